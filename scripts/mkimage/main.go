// Command mkimage writes an OCI image archive of busybox-static, for hosts
// with no registry: go run ./scripts/mkimage -o busybox.tar
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nomadlike/nomadlike/drivers/containerd/ociimage"
)

func main() {
	out := flag.String("o", "busybox.tar", "output archive path")
	ref := flag.String("ref", "docker.io/library/busybox:latest", "image name")
	busybox := flag.String("busybox", ociimage.DefaultBusybox, "statically linked busybox")
	flag.Parse()
	if err := run(*out, *ref, *busybox); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func run(out, ref, busybox string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := ociimage.BuildBusybox(f, ociimage.Options{Ref: ref, Busybox: busybox}); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
