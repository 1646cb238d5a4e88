package getter

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
	"github.com/nomadlike/nomadlike/nomadlike/client/taskenv"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// The attacks of issue #10 item 2 on the getter: a job that reads host
// files through an artifact, archives that write outside their
// destination or without bound, and links the task plants in its own
// directory before artifacts are fetched again.

// testTask is one task's directories with a getter to fetch into them.
type testTask struct {
	ad  *allocdir.AllocDir
	td  allocdir.TaskDir
	env *taskenv.Env
}

func newTestTask(t *testing.T) *testTask {
	t.Helper()
	job := fixture.Job()
	node := fixture.Node()
	alloc := fixture.Alloc(job, node, 0)
	ad := allocdir.New(t.TempDir(), alloc.ID)
	if err := ad.Build(); err != nil {
		t.Fatal(err)
	}
	td, err := ad.BuildTask("app")
	if err != nil {
		t.Fatal(err)
	}
	return &testTask{ad: ad, td: td, env: taskenv.Build(node, alloc, job.TaskGroups[0].Tasks[0], taskenv.Paths{})}
}

func (tt *testTask) get(g *Getter, a nomadlike.TaskArtifact) error {
	return g.Get(context.Background(), &a, tt.env, tt.ad, tt.td.Dir)
}

// files lists the regular files and links below dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// hostFile writes a root-only file outside any allocation, like
// /etc/shadow.
func hostFile(t *testing.T, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "shadow")
	if err := os.WriteFile(p, []byte("root:secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLocalSourcePolicy(t *testing.T) {
	secret := hostFile(t, 0o600)
	setuid := hostFile(t, 0o4755)
	cases := []struct {
		name      string
		src       string // "TASK" and "ALLOC" are replaced by the host dirs
		plant     func(tt *testTask)
		hostPaths bool
		wantErr   error
		wantFile  string // relative to local/, with wantMode
		wantMode  os.FileMode
	}{
		{name: "host path", src: secret, wantErr: ErrSourceNotAllowed},
		{name: "host file url", src: "file://" + secret, wantErr: ErrSourceNotAllowed},
		{name: "agent state next to the alloc dirs", src: "file://ALLOC/../../client/state.db", wantErr: ErrSourceNotAllowed,
			plant: func(tt *testTask) {
				state := filepath.Join(filepath.Dir(filepath.Dir(tt.ad.Dir)), "client")
				os.MkdirAll(state, 0o700)
				os.WriteFile(filepath.Join(state, "state.db"), []byte("node secret"), 0o600)
			}},
		{name: "relative path out of the task dir", src: "../../../../etc/passwd", wantErr: ErrSourceNotAllowed},
		{name: "task link to a host file", src: "local/link", wantErr: ErrSourceNotAllowed,
			plant: func(tt *testTask) { os.Symlink(secret, filepath.Join(tt.td.LocalDir, "link")) }},
		{name: "task link in the alloc dir", src: "ALLOC/data/link", wantErr: ErrSourceNotAllowed,
			plant: func(tt *testTask) { os.Symlink(secret, filepath.Join(tt.ad.SharedDir(), "data", "link")) }},
		{name: "task hard link to a host file", src: "local/hard", wantErr: ErrSourceNotAllowed,
			plant: func(tt *testTask) { os.Link(secret, filepath.Join(tt.td.LocalDir, "hard")) }},
		{name: "hard link inside a copied directory", src: "local/dir", wantErr: ErrSourceNotAllowed,
			plant: func(tt *testTask) {
				os.Mkdir(filepath.Join(tt.td.LocalDir, "dir"), 0o755)
				os.Link(secret, filepath.Join(tt.td.LocalDir, "dir", "hard"))
			}},
		{name: "fifo is not read", src: "local/fifo", wantErr: ErrUnsupportedSource,
			plant: func(tt *testTask) { syscall.Mkfifo(filepath.Join(tt.td.LocalDir, "fifo"), 0o666) }},
		{name: "file in the task dir", src: "TASK/local/in.txt", wantFile: "in.txt", wantMode: 0o640,
			plant: func(tt *testTask) { os.WriteFile(filepath.Join(tt.td.Dir, "local", "in.txt"), []byte("x"), 0o640) }},
		{name: "relative file in the alloc dir", src: "../alloc/data/shared.txt", wantFile: "shared.txt", wantMode: 0o604,
			plant: func(tt *testTask) {
				p := filepath.Join(tt.ad.SharedDir(), "data", "shared.txt")
				os.WriteFile(p, []byte("x"), 0o604)
				os.Chmod(p, 0o604)
			}},
		{name: "host path allowed by the operator keeps 0600", src: "file://" + secret, hostPaths: true, wantFile: "shadow", wantMode: 0o600},
		{name: "setuid is dropped", src: setuid, hostPaths: true, wantFile: "shadow", wantMode: 0o755},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tt := newTestTask(t)
			if tc.plant != nil {
				tc.plant(tt)
			}
			src := strings.NewReplacer("TASK", tt.td.Dir, "ALLOC", tt.ad.SharedDir()).Replace(tc.src)
			cfg := DefaultConfig()
			cfg.DisableFilesystemIsolation = tc.hostPaths
			err := tt.get(New(cfg), nomadlike.TaskArtifact{GetterSource: src, RelativeDest: "local/out"})
			out := filepath.Join(tt.td.LocalDir, "out")
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !Permanent(err) {
					t.Fatalf("Get(%s) = %v, want permanent %v", src, err, tc.wantErr)
				}
				if got := files(t, out); len(got) != 0 {
					t.Errorf("Get(%s) failed but left %v", src, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Get(%s) = %v", src, err)
			}
			fi, err := os.Stat(filepath.Join(out, tc.wantFile))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != tc.wantMode {
				t.Errorf("%s mode = %v, want %v", tc.wantFile, fi.Mode(), tc.wantMode)
			}
		})
	}
}

// entry is one tar entry of a test archive.
type entry struct {
	name, body, link string
	typ              byte
	mode             int64
}

func tarGz(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		typ, mode := e.typ, e.mode
		if typ == 0 {
			typ = tar.TypeReg
		}
		if mode == 0 {
			mode = 0o644
		}
		h := &tar.Header{Name: e.name, Typeflag: typ, Mode: mode, Linkname: e.link}
		if typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.body))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// zipOf builds a zip; an entry with a link is a symbolic link.
func zipOf(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(0o644)
		body := e.body
		if e.link != "" {
			h.SetMode(os.ModeSymlink | 0o777)
			body = e.link
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	zw.Close()
	return buf.Bytes()
}

// serve serves name → body over HTTP.
func serve(t *testing.T, bodies map[string][]byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := bodies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestArchiveAttacks(t *testing.T) {
	outside := t.TempDir() // where nothing may appear
	secret := hostFile(t, 0o600)
	zeros := strings.Repeat("\x00", 1<<20)
	cases := []struct {
		name    string
		archive []byte
		ext     string
		limits  func(*Config)
		wantErr error
		errText string
	}{
		{name: "zip slip", archive: tarGz(t, entry{name: "ok.txt", body: "1"}, entry{name: "../../../../x", body: "x"}),
			wantErr: ErrUnsafeArchive},
		{name: "dotdot inside a path", archive: tarGz(t, entry{name: "a/../../x", body: "x"}), wantErr: ErrUnsafeArchive},
		{name: "absolute path", archive: tarGz(t, entry{name: outside + "/abs", body: "x"}), wantErr: ErrUnsafeArchive},
		{name: "symlink to a host dir then a file through it", wantErr: ErrUnsafeArchive,
			archive: tarGz(t, entry{name: "etc", typ: tar.TypeSymlink, link: outside}, entry{name: "etc/pwned", body: "x"})},
		{name: "relative symlink out then a file through it", wantErr: ErrUnsafeArchive,
			archive: tarGz(t, entry{name: "up", typ: tar.TypeSymlink, link: "../../../../../../../../" + outside}, entry{name: "up/pwned", body: "x"})},
		{name: "hardlink to a host file", wantErr: ErrUnsafeArchive,
			archive: tarGz(t, entry{name: "shadow", typ: tar.TypeLink, link: secret})},
		{name: "hardlink by relative path", wantErr: ErrUnsafeArchive,
			archive: tarGz(t, entry{name: "shadow", typ: tar.TypeLink, link: "../../../../../../../.." + secret})},
		{name: "device entry", wantErr: ErrUnsafeArchive,
			archive: tarGz(t, entry{name: "sda", typ: tar.TypeBlock})},
		{name: "zip slip in a zip", ext: ".zip", archive: zipOf(t, entry{name: "ok", body: "1"}, entry{name: "../../x", body: "x"}),
			wantErr: ErrUnsafeArchive},
		{name: "zip symlink out", ext: ".zip", archive: zipOf(t, entry{name: "etc", link: outside}, entry{name: "etc/pwned", body: "x"}),
			wantErr: ErrUnsafeArchive},
		{name: "gzip bomb over decompression_size_limit", archive: tarGz(t, entry{name: "a", body: zeros}, entry{name: "b", body: zeros}),
			limits:  func(c *Config) { c.DecompressionSizeLimit = 1<<20 + 10 },
			wantErr: ErrLimitExceeded, errText: "exceeds decompression_size_limit of 1048586 bytes"},
		{name: "too many files", archive: tarGz(t, entry{name: "d/", typ: tar.TypeDir}, entry{name: "d/1"}, entry{name: "d/2"}, entry{name: "d/3"}),
			limits:  func(c *Config) { c.DecompressionFileCountLimit = 3 },
			wantErr: ErrLimitExceeded, errText: "exceeds decompression_file_count_limit of 3 entries"},
		{name: "too many files in a zip", ext: ".zip", archive: zipOf(t, entry{name: "1"}, entry{name: "2"}, entry{name: "3"}),
			limits:  func(c *Config) { c.DecompressionFileCountLimit = 2 },
			wantErr: ErrLimitExceeded, errText: "exceeds decompression_file_count_limit of 2 entries"},
		{name: "zip bomb", ext: ".zip", archive: zipOf(t, entry{name: "big", body: zeros}),
			limits:  func(c *Config) { c.DecompressionSizeLimit = 1000 },
			wantErr: ErrLimitExceeded, errText: "exceeds decompression_size_limit of 1000 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ext := tc.ext
			if ext == "" {
				ext = ".tar.gz"
			}
			srv := serve(t, map[string][]byte{"/a" + ext: tc.archive})
			cfg := DefaultConfig()
			if tc.limits != nil {
				tc.limits(&cfg)
			}
			g := New(cfg)
			g.HTTP = srv.Client()
			tt := newTestTask(t)
			err := tt.get(g, nomadlike.TaskArtifact{GetterSource: srv.URL + "/a" + ext})
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.errText) || !Permanent(err) {
				t.Fatalf("Get() = %v, want permanent %v %q", err, tc.wantErr, tc.errText)
			}
			if got := files(t, tt.td.LocalDir); len(got) != 0 {
				t.Errorf("failed archive left %v in the task dir", got)
			}
			if got := files(t, tt.ad.Dir); len(got) != 0 {
				t.Errorf("failed archive left %v in the alloc dir", got)
			}
			if got := files(t, outside); len(got) != 0 {
				t.Errorf("archive wrote %v outside the allocation", got)
			}
			if b, _ := os.ReadFile(secret); string(b) != "root:secret\n" {
				t.Errorf("host file changed: %q", b)
			}
		})
	}
}

// TestArchiveLinksInside: links that stay in the destination still work,
// and modes keep their permission bits but lose setuid.
func TestArchiveLinksInside(t *testing.T) {
	archive := tarGz(t,
		entry{name: "bin/", typ: tar.TypeDir},
		entry{name: "bin/app", body: "app", mode: 0o4755},
		entry{name: "bin/app2", typ: tar.TypeLink, link: "bin/app"},
		entry{name: "current", typ: tar.TypeSymlink, link: "bin"},
		entry{name: "current/conf", body: "c", mode: 0o600},
	)
	srv := serve(t, map[string][]byte{"/a.tgz": archive})
	g := New(DefaultConfig())
	g.HTTP = srv.Client()
	tt := newTestTask(t)
	if err := tt.get(g, nomadlike.TaskArtifact{GetterSource: srv.URL + "/a.tgz"}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{"bin/app": 0o755, "bin/app2": 0o755, "bin/conf": 0o600} {
		fi, err := os.Stat(filepath.Join(tt.td.LocalDir, name))
		if err != nil || fi.Mode() != want {
			t.Errorf("%s = %v, %v, want mode %v", name, fi, err, want)
		}
	}
	if l, err := os.Readlink(filepath.Join(tt.td.LocalDir, "current")); err != nil || l != "bin" {
		t.Errorf("current -> %q, %v, want bin", l, err)
	}
}

func TestHTTPMaxSize(t *testing.T) {
	body := bytes.Repeat([]byte("a"), 2048)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			// No Content-Length: the limit must hold while reading.
			w.(http.Flusher).Flush()
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	for _, path := range []string{"/sized", "/chunked"} {
		t.Run(path, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.HTTPMaxSize = 1024
			g := New(cfg)
			g.HTTP = srv.Client()
			tt := newTestTask(t)
			err := tt.get(g, nomadlike.TaskArtifact{GetterSource: srv.URL + path})
			if !errors.Is(err, ErrLimitExceeded) || !strings.Contains(err.Error(), "exceeds http_max_size of 1024 bytes") {
				t.Fatalf("Get() = %v, want exceeds http_max_size of 1024 bytes", err)
			}
			if got := files(t, tt.td.LocalDir); len(got) != 0 {
				t.Errorf("oversized download left %v", got)
			}
		})
	}
}

// TestTaskPlantedLinks: the task directory is the task's to write, and
// artifacts are fetched again when the alloc is restored; links it plants
// where an artifact lands must be replaced or refused, never followed out.
func TestTaskPlantedLinks(t *testing.T) {
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim")
	archive := tarGz(t, entry{name: "app/run.sh", body: "new"})
	srv := serve(t, map[string][]byte{"/run.sh": []byte("new"), "/app.tgz": archive})
	cases := []struct {
		name    string
		plant   map[string]string // link name below local/ → target
		art     nomadlike.TaskArtifact
		wantErr bool
	}{
		{name: "link at the downloaded file's name", plant: map[string]string{"run.sh": victim},
			art: nomadlike.TaskArtifact{GetterSource: srv.URL + "/run.sh"}},
		{name: "link at an archive directory", plant: map[string]string{"app": outside}, wantErr: true,
			art: nomadlike.TaskArtifact{GetterSource: srv.URL + "/app.tgz"}},
		{name: "link as the destination", plant: map[string]string{"dest": outside}, wantErr: true,
			art: nomadlike.TaskArtifact{GetterSource: srv.URL + "/run.sh", RelativeDest: "local/dest"}},
		{name: "link as a file-mode parent", plant: map[string]string{"bin": outside}, wantErr: true,
			art: nomadlike.TaskArtifact{GetterSource: srv.URL + "/run.sh", GetterMode: "file", RelativeDest: "local/bin/tool"}},
		{name: "link to another task's secrets", plant: map[string]string{"s": "../../other/secrets"}, wantErr: true,
			art: nomadlike.TaskArtifact{GetterSource: srv.URL + "/app.tgz", RelativeDest: "local/s"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(victim, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			tt := newTestTask(t)
			if _, err := tt.ad.BuildTask("other"); err != nil {
				t.Fatal(err)
			}
			for name, target := range tc.plant {
				if err := os.Symlink(target, filepath.Join(tt.td.LocalDir, name)); err != nil {
					t.Fatal(err)
				}
			}
			g := New(DefaultConfig())
			g.HTTP = srv.Client()
			err := tt.get(g, tc.art)
			if tc.wantErr != (err != nil) {
				t.Fatalf("Get() = %v, want error %v", err, tc.wantErr)
			}
			if b, _ := os.ReadFile(victim); string(b) != "old" {
				t.Errorf("wrote through the planted link: victim = %q", b)
			}
			if got := files(t, outside); len(got) != 1 {
				t.Errorf("outside dir holds %v, want only victim", got)
			}
			if got := files(t, filepath.Join(tt.ad.Dir, "other")); len(got) != 0 {
				t.Errorf("wrote %v into another task's directory", got)
			}
			if tc.wantErr {
				return
			}
			if fi, err := os.Lstat(filepath.Join(tt.td.LocalDir, "run.sh")); err != nil || !fi.Mode().IsRegular() {
				t.Errorf("local/run.sh = %v, %v, want the downloaded file in place of the link", fi, err)
			}
		})
	}
}

// TestHTTPReadTimeout: a server that sends a little and then stalls is cut
// off at http_read_timeout, and nothing is left behind.
func TestHTTPReadTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	cfg := DefaultConfig()
	cfg.HTTPReadTimeout = 200 * time.Millisecond
	g := New(cfg)
	g.HTTP = srv.Client()
	tt := newTestTask(t)
	err := tt.get(g, nomadlike.TaskArtifact{GetterSource: srv.URL + "/slow"})
	if err == nil || !strings.Contains(err.Error(), "exceeds http_read_timeout of 200ms") {
		t.Fatalf("Get() = %v, want exceeds http_read_timeout of 200ms", err)
	}
	if got := files(t, tt.td.LocalDir); len(got) != 0 {
		t.Errorf("stalled download left %v", got)
	}
}
