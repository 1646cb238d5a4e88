package getter

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
	"github.com/nomadlike/nomadlike/nomadlike/client/taskenv"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func tgz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func zipped(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	zw.Close()
	return buf.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func TestGet(t *testing.T) {
	payload := []byte("#!/bin/sh\necho hi\n")
	archive := tgz(t, map[string]string{"bin/app": "app", "README": "read me"})
	evil := tgz(t, map[string]string{"../../../../evil": "x"})
	zipArchive := zipped(t, map[string]string{"z/one.txt": "1"})
	files := map[string][]byte{"/run.sh": payload, "/app.tar.gz": archive, "/evil.tar.gz": evil, "/z.zip": zipArchive}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/private" {
			if r.Header.Get("Authorization") != "Bearer t" {
				http.Error(w, "no", http.StatusForbidden)
				return
			}
			w.Write(payload)
			return
		}
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	localSrc := filepath.Join(t.TempDir(), "local.txt")
	os.WriteFile(localSrc, []byte("local"), 0o600)

	cases := []struct {
		name      string
		art       nomadlike.TaskArtifact
		wantFiles map[string]string // relative to the task dir
		wantErr   error
		errText   string
		hostPaths bool // disable_filesystem_isolation
	}{
		{name: "http with checksum", art: nomadlike.TaskArtifact{GetterSource: srv.URL + "/run.sh", GetterOptions: map[string]string{"checksum": sha(payload)}},
			wantFiles: map[string]string{"local/run.sh": string(payload)}},
		{name: "checksum mismatch", art: nomadlike.TaskArtifact{GetterSource: srv.URL + "/run.sh", GetterOptions: map[string]string{"checksum": sha([]byte("other"))}},
			wantErr: ErrChecksum},
		{name: "tar.gz unpacked", art: nomadlike.TaskArtifact{GetterSource: srv.URL + "/app.tar.gz", RelativeDest: "local/app"},
			wantFiles: map[string]string{"local/app/bin/app": "app", "local/app/README": "read me"}},
		{name: "archive=false keeps the file", art: nomadlike.TaskArtifact{GetterSource: srv.URL + "/app.tar.gz", GetterOptions: map[string]string{"archive": "false"}},
			wantFiles: map[string]string{"local/app.tar.gz": string(archive)}},
		{name: "zip unpacked", art: nomadlike.TaskArtifact{GetterSource: srv.URL + "/z.zip"},
			wantFiles: map[string]string{"local/z/one.txt": "1"}},
		{name: "zip slip", art: nomadlike.TaskArtifact{GetterSource: srv.URL + "/evil.tar.gz"}, wantErr: ErrUnsafeArchive},
		{name: "file mode", art: nomadlike.TaskArtifact{GetterSource: srv.URL + "/run.sh", GetterMode: "file", RelativeDest: "local/bin/renamed"},
			wantFiles: map[string]string{"local/bin/renamed": string(payload)}},
		{name: "headers", art: nomadlike.TaskArtifact{GetterSource: srv.URL + "/private", GetterHeaders: map[string]string{"Authorization": "Bearer t"}},
			wantFiles: map[string]string{"local/private": string(payload)}},
		{name: "404", art: nomadlike.TaskArtifact{GetterSource: srv.URL + "/missing"}, errText: "bad response code: 404"},
		{name: "local absolute path", art: nomadlike.TaskArtifact{GetterSource: localSrc}, hostPaths: true,
			wantFiles: map[string]string{"local/local.txt": "local"}},
		{name: "local file url", art: nomadlike.TaskArtifact{GetterSource: "file://" + localSrc, RelativeDest: "${NOMAD_TASK_NAME}-files"}, hostPaths: true,
			wantFiles: map[string]string{"app-files/local.txt": "local"}},
		{name: "host path refused", art: nomadlike.TaskArtifact{GetterSource: localSrc}, wantErr: ErrSourceNotAllowed, errText: "disable_filesystem_isolation"},
		{name: "destination traversal", art: nomadlike.TaskArtifact{GetterSource: localSrc, RelativeDest: "../../../x"}, hostPaths: true, wantErr: allocdir.ErrEscapes},
		{name: "unsupported scheme", art: nomadlike.TaskArtifact{GetterSource: "s3://bucket/x"}, wantErr: ErrUnsupportedSource},
		{name: "bad checksum option", art: nomadlike.TaskArtifact{GetterSource: localSrc, GetterOptions: map[string]string{"checksum": "sha256:zz"}}, errText: "hex digits"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := fixture.Job()
			node := fixture.Node()
			alloc := fixture.Alloc(job, node, 0)
			ad := allocdir.New(t.TempDir(), alloc.ID)
			ad.Build()
			td, _ := ad.BuildTask("app")
			env := taskenv.Build(node, alloc, job.TaskGroups[0].Tasks[0], taskenv.Paths{})
			cfg := DefaultConfig()
			cfg.DisableFilesystemIsolation = tc.hostPaths
			g := New(cfg)
			g.HTTP = srv.Client()
			err := g.Get(context.Background(), &tc.art, env, ad, td.Dir)
			if tc.wantErr != nil || tc.errText != "" {
				if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("Get() error = %v, want %v %q", err, tc.wantErr, tc.errText)
				}
				// Nothing but empty dirs may be left behind on failure.
				filepath.WalkDir(td.LocalDir, func(p string, d os.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						t.Errorf("left behind %s", p)
					}
					return nil
				})
				return
			}
			if err != nil {
				t.Fatalf("Get() error = %v", err)
			}
			for rel, want := range tc.wantFiles {
				b, err := os.ReadFile(filepath.Join(td.Dir, rel))
				if err != nil || string(b) != want {
					t.Errorf("%s = %q, %v, want %q", rel, b, err, want)
				}
			}
		})
	}
}
