// Command mkimage writes an OCI image archive of busybox-static, for hosts
// with no registry: go run ./scripts/mkimage -o busybox.tar
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nomadlike/nomadlike/plugins/containerd/ociimage"
)

func main() {
	out := flag.String("o", "busybox.tar", "output archive path")
	ref := flag.String("ref", "docker.io/library/busybox:latest", "image name")
	busybox := flag.String("busybox", ociimage.DefaultBusybox, "statically linked busybox")
	format := flag.String("format", "oci", "archive layout: oci, oci-refname (ref.name annotation only) or docker (docker save's manifest.json)")
	flag.Parse()
	f, ok := formats[*format]
	if !ok {
		fmt.Fprintf(os.Stderr, "mkimage: -format %q: want oci, oci-refname or docker\n", *format)
		os.Exit(2)
	}
	if err := run(*out, ociimage.Options{Ref: *ref, Busybox: *busybox, Format: f}); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

var formats = map[string]ociimage.Format{
	"oci":         ociimage.FormatOCI,
	"oci-refname": ociimage.FormatOCIRefName,
	"docker":      ociimage.FormatDockerSave,
}

func run(out string, opts ociimage.Options) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := ociimage.BuildBusybox(f, opts); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
