package containerd_test

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	ctrd "github.com/nomadlike/nomadlike/plugins/containerd"
	"github.com/nomadlike/nomadlike/plugins/containerd/ctrdtest"
	"github.com/nomadlike/nomadlike/plugins/containerd/ociimage"
)

// TestImageReferences imports archives that name their image in each form
// the tools write (familiar or normalized, OCI index annotations or docker
// save's RepoTags) and runs a task whose image names it in another form:
// references compare as Docker compares them. Each case has its own
// containerd namespace so every case imports its archive afresh.
func TestImageReferences(t *testing.T) {
	e := &env{daemon: ctrdtest.Start(t, testNamespace), dataDir: t.TempDir()}
	e.archive = filepath.Join(t.TempDir(), "unused.tar")
	const digestOf = "@digest" // replaced by the archive's manifest digest
	cases := []struct {
		name    string
		archive string // the name the archive gives its image
		format  ociimage.Format
		image   string // config.image
		wantErr string // "" when the task must run
	}{
		{"familiar name in the OCI index", "bars/busybox:1", ociimage.FormatOCI, "bars/busybox:1", ""},
		{"normalized archive, familiar image", "docker.io/bars/busybox:1", ociimage.FormatOCI, "bars/busybox:1", ""},
		{"familiar archive, normalized image", "bars/busybox:1", ociimage.FormatOCI, "docker.io/bars/busybox:1", ""},
		{"ref.name annotation only", "bars/busybox:1", ociimage.FormatOCIRefName, "docker.io/bars/busybox:1", ""},
		{"docker save RepoTags", "bars/busybox:1", ociimage.FormatDockerSave, "bars/busybox:1", ""},
		{"no tag is latest", "busybox", ociimage.FormatOCI, "busybox", ""},
		{"library image normalized", "busybox:latest", ociimage.FormatDockerSave, "docker.io/library/busybox:latest", ""},
		{"digest reference", "bars/busybox:1", ociimage.FormatOCI, "bars/busybox" + digestOf, ""},
		{"tag and digest reference", "bars/busybox:1", ociimage.FormatOCI, "bars/busybox:other" + digestOf, ""},
		{"other digest refused", "bars/busybox:1", ociimage.FormatOCI,
			"bars/busybox@sha256:" + strings.Repeat("0", 64), "holds [bars/busybox:1], not docker.io/bars/busybox@sha256:"},
		{"other tag refused", "bars/busybox:1", ociimage.FormatOCI, "bars/busybox:2", "holds [bars/busybox:1], not docker.io/bars/busybox:2"},
		{"other repository refused", "bars/busybox:1", ociimage.FormatOCI, "foo/busybox:1", "not docker.io/foo/busybox:1"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ns := "nomadlike-imgref-" + string(rune('a'+i))
			t.Cleanup(func() { deleteImages(t, e.daemon.Address, ns) })
			d := e.driver(t, map[string]any{"namespace": ns})
			image := tc.image
			cfg := e.task(t, "ref", map[string]any{"image": "placeholder", "image_archive": "local/img.tar", "command": "true"})
			archive := filepath.Join(cfg.TaskDir.LocalDir, "img.tar")
			buildArchive(t, archive, ociimage.Options{Ref: tc.archive, Format: tc.format})
			if strings.HasSuffix(image, digestOf) {
				image = strings.TrimSuffix(image, digestOf) + "@" + manifestDigest(t, archive)
			}
			cfg.Config, _ = json.Marshal(map[string]any{"image": image, "image_archive": "local/img.tar", "command": "true"})
			_, err := d.StartTask(cfg)
			if err == nil {
				defer destroy(t, d, cfg.ID)
			}
			if tc.wantErr != "" {
				if !errors.Is(err, ctrd.ErrImageUnavailable) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("StartTask(image %q, archive names %q) = %v, want ErrImageUnavailable with %q", image, tc.archive, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("StartTask(image %q, archive names %q) = %v, want it to run", image, tc.archive, err)
			}
			if res := wait(t, d, cfg.ID); !res.Successful() {
				t.Fatalf("exit = %+v, want success", res)
			}
		})
	}

	t.Run("image in the store under its familiar name needs no archive", func(t *testing.T) {
		const ns = "nomadlike-imgref-store"
		t.Cleanup(func() { deleteImages(t, e.daemon.Address, ns) })
		archive := filepath.Join(t.TempDir(), "img.tar")
		buildArchive(t, archive, ociimage.Options{Ref: "bars/busybox:stored"})
		c := client(t, e.daemon.Address)
		f, err := os.Open(archive)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := c.Import(nsCtx(t, ns), f); err != nil {
			t.Fatalf("import as `ctr image import` does: %v", err)
		}
		d := e.driver(t, map[string]any{"namespace": ns})
		cfg := e.task(t, "stored", map[string]any{"image": "docker.io/bars/busybox:stored", "image_archive": "", "command": "true"})
		if _, err := d.StartTask(cfg); err != nil {
			t.Fatalf("StartTask(docker.io/bars/busybox:stored) = %v, want the stored bars/busybox:stored", err)
		}
		defer destroy(t, d, cfg.ID)
		if res := wait(t, d, cfg.ID); !res.Successful() {
			t.Fatalf("exit = %+v, want success", res)
		}
	})
}

func buildArchive(t *testing.T, path string, opts ociimage.Options) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := ociimage.BuildBusybox(f, opts); err != nil {
		t.Fatalf("BuildBusybox(%+v): %v", opts, err)
	}
}

// manifestDigest returns the digest of the image manifest an OCI archive's
// index lists first.
func manifestDigest(t *testing.T, archive string) string {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err != nil {
			t.Fatalf("%s: no index.json: %v", archive, err)
		}
		if hdr.Name != "index.json" {
			continue
		}
		var idx ocispec.Index
		b, _ := io.ReadAll(tr)
		if err := json.Unmarshal(b, &idx); err != nil || len(idx.Manifests) == 0 {
			t.Fatalf("index.json %s: %v", b, err)
		}
		return idx.Manifests[0].Digest.String()
	}
}

func client(t *testing.T, address string) *containerd.Client {
	t.Helper()
	c, err := containerd.New(address, containerd.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatalf("connect to containerd: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func nsCtx(t *testing.T, ns string) context.Context {
	ctx, cancel := context.WithTimeout(namespaces.WithNamespace(context.Background(), ns), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// deleteImages removes every image of namespace ns, so a shared daemon
// (NOMADLIKE_CONTAINERD_ADDRESS) keeps nothing of the test.
func deleteImages(t *testing.T, address, ns string) {
	c, err := containerd.New(address, containerd.WithTimeout(5*time.Second))
	if err != nil {
		return
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(namespaces.WithNamespace(context.Background(), ns), time.Minute)
	defer cancel()
	imgs, err := c.ImageService().List(ctx)
	if err != nil {
		return
	}
	for _, im := range imgs {
		if err := c.ImageService().Delete(ctx, im.Name); err != nil {
			t.Logf("cleanup: delete image %s: %v", im.Name, err)
		}
	}
}
