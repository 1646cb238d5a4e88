package ociimage

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestBuildBusybox(t *testing.T) {
	if _, err := os.Stat(DefaultBusybox); err != nil {
		t.Fatalf("busybox-static is required (make deps installs it): %v", err)
	}
	var a, b bytes.Buffer
	opts := Options{Ref: "docker.io/library/busybox:test"}
	if err := BuildBusybox(&a, opts); err != nil {
		t.Fatal(err)
	}
	if err := BuildBusybox(&b, opts); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two builds of the same image differ; archives must be reproducible")
	}

	files := map[string][]byte{}
	tr := tar.NewReader(&a)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		files[hdr.Name] = data
	}
	var index ocispec.Index
	if err := json.Unmarshal(files["index.json"], &index); err != nil {
		t.Fatalf("index.json: %v", err)
	}
	if len(index.Manifests) != 1 || index.Manifests[0].Annotations[AnnotationImageName] != opts.Ref {
		t.Fatalf("index manifests = %+v, want one named %q", index.Manifests, opts.Ref)
	}
	// Every descriptor must point at a blob with the right digest and size.
	check := func(d ocispec.Descriptor) []byte {
		t.Helper()
		blob, ok := files[blobPath(d.Digest)]
		if !ok {
			t.Fatalf("blob %s missing", d.Digest)
		}
		if digest.FromBytes(blob) != d.Digest || int64(len(blob)) != d.Size {
			t.Fatalf("blob %s: digest or size mismatch", d.Digest)
		}
		return blob
	}
	var manifest ocispec.Manifest
	if err := json.Unmarshal(check(index.Manifests[0]), &manifest); err != nil {
		t.Fatal(err)
	}
	check(manifest.Config)
	layer := check(manifest.Layers[0])
	names := map[string]string{}
	lr := tar.NewReader(bytes.NewReader(layer))
	for {
		hdr, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names[hdr.Name] = hdr.Linkname
	}
	for _, want := range []string{"bin/busybox", "bin/sh", "bin/echo", "bin/sleep", "etc/passwd", "tmp/"} {
		if _, ok := names[want]; !ok {
			t.Errorf("layer lacks %s", want)
		}
	}
	if names["bin/sh"] != "busybox" {
		t.Errorf("bin/sh links to %q, want busybox", names["bin/sh"])
	}
}
