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

func TestBuildBusyboxFormats(t *testing.T) {
	if _, err := os.Stat(DefaultBusybox); err != nil {
		t.Fatalf("busybox-static is required (make deps installs it): %v", err)
	}
	const ref = "bars/busybox:1"
	cases := []struct {
		name      string
		format    Format
		wantFiles []string
		noFiles   []string
		check     func(t *testing.T, files map[string][]byte)
	}{
		{"oci", FormatOCI, []string{"oci-layout", "index.json"}, []string{"manifest.json"}, func(t *testing.T, files map[string][]byte) {
			a := indexOf(t, files).Manifests[0].Annotations
			if a[AnnotationImageName] != ref || a[ocispec.AnnotationRefName] != "1" {
				t.Errorf("annotations = %v, want %s = %q and ref.name = the tag", a, AnnotationImageName, ref)
			}
		}},
		{"oci ref.name only", FormatOCIRefName, []string{"oci-layout", "index.json"}, []string{"manifest.json"}, func(t *testing.T, files map[string][]byte) {
			a := indexOf(t, files).Manifests[0].Annotations
			if len(a) != 1 || a[ocispec.AnnotationRefName] != ref {
				t.Errorf("annotations = %v, want only ref.name = %q", a, ref)
			}
		}},
		{"docker save", FormatDockerSave, []string{"manifest.json"}, []string{"oci-layout", "index.json"}, func(t *testing.T, files map[string][]byte) {
			var m []struct {
				Config   string
				RepoTags []string
				Layers   []string
			}
			if err := json.Unmarshal(files["manifest.json"], &m); err != nil || len(m) != 1 {
				t.Fatalf("manifest.json = %s, %v; want one image", files["manifest.json"], err)
			}
			if len(m[0].RepoTags) != 1 || m[0].RepoTags[0] != ref {
				t.Errorf("RepoTags = %v, want [%s]", m[0].RepoTags, ref)
			}
			for _, p := range append([]string{m[0].Config}, m[0].Layers...) {
				if _, ok := files[p]; !ok {
					t.Errorf("manifest.json names %s, not in the archive", p)
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := BuildBusybox(&buf, Options{Ref: ref, Format: tc.format}); err != nil {
				t.Fatal(err)
			}
			files := untar(t, &buf)
			for _, f := range tc.wantFiles {
				if _, ok := files[f]; !ok {
					t.Errorf("archive lacks %s", f)
				}
			}
			for _, f := range tc.noFiles {
				if _, ok := files[f]; ok {
					t.Errorf("archive has %s, want none", f)
				}
			}
			tc.check(t, files)
		})
	}
}

func untar(t *testing.T, r io.Reader) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		files[hdr.Name], _ = io.ReadAll(tr)
	}
}

func indexOf(t *testing.T, files map[string][]byte) ocispec.Index {
	t.Helper()
	var index ocispec.Index
	if err := json.Unmarshal(files["index.json"], &index); err != nil || len(index.Manifests) != 1 {
		t.Fatalf("index.json = %s, %v; want one manifest", files["index.json"], err)
	}
	return index
}
