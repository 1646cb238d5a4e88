package getter

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
	"github.com/nomadlike/nomadlike/nomadlike/client/taskenv"
)

// Getter fetches artifacts under a Config. It is safe for concurrent use.
type Getter struct {
	// HTTP is the client for http(s) sources; http.DefaultClient when nil.
	HTTP *http.Client
	cfg  Config
}

// New returns a Getter enforcing cfg.
func New(cfg Config) *Getter { return &Getter{cfg: cfg} }

// httpMode is the mode of a file downloaded over HTTP, which has none.
const httpMode fs.FileMode = 0o644

// Get fetches one artifact for a task whose host directory is taskDir. The
// files it writes are owned by the agent's user (root) and keep their
// source's permission bits, without setuid, setgid or sticky bits (0644 for
// HTTP downloads). Nothing is written outside the destination, whatever
// links the destination holds; on failure nothing new is left in it.
func (g *Getter) Get(ctx context.Context, a *nomadlike.TaskArtifact, env *taskenv.Env, ad *allocdir.AllocDir, taskDir string) error {
	src := env.ReplaceEnv(a.GetterSource)
	destRel := env.ReplaceEnv(a.RelativeDest)
	if destRel == "" {
		destRel = "local/"
	}
	opts := map[string]string{}
	for k, v := range a.GetterOptions {
		opts[k] = env.ReplaceEnv(v)
	}
	sum, err := parseChecksum(opts["checksum"])
	if err != nil {
		return err
	}
	fileMode := a.GetterMode == "file"
	dest, target, err := openDestination(ad, taskDir, destRel, fileMode)
	if err != nil {
		return err
	}
	defer dest.Close()

	u, err := url.Parse(src)
	if err != nil {
		return fmt.Errorf("artifact source %q: %w", src, err)
	}
	j := &job{g: g, dest: dest, src: src, sum: sum}
	switch {
	case u.Scheme == "" || u.Scheme == "file":
		p := src
		if u.Scheme == "file" {
			p = u.Path
		}
		ls, err := g.openLocal(p, ad, taskDir)
		if err != nil {
			return err
		}
		defer ls.Close()
		if ls.dir != nil {
			if sum != nil || fileMode {
				return fmt.Errorf("artifact source %q is a directory: a checksum or mode = \"file\" needs a file", src)
			}
			return j.copyDir(ls.dir)
		}
		j.name, j.mode = ls.name, ls.mode
		err = j.download(func(w io.Writer) error {
			_, err := io.Copy(w, ls.file)
			return err
		})
	case u.Scheme == "http" || u.Scheme == "https":
		j.name, j.mode = path.Base(u.Path), httpMode
		err = j.download(func(w io.Writer) error { return g.httpGet(ctx, u.String(), a.GetterHeaders, w) })
	default:
		return fmt.Errorf("artifact source %q: %w (want a path, file://, http:// or https://)", src, ErrUnsupportedSource)
	}
	if err != nil {
		return err
	}
	defer j.removeTemp()
	if !fileMode && opts["archive"] != "false" {
		if kind := archiveKind(j.name); kind != "" {
			return j.unpack(kind)
		}
	}
	if target == "" {
		target = j.name
	}
	return j.place(target)
}

// openDestination creates the destination directory (for mode "file", the
// parent of the destination file) in the task directory or the shared
// alloc directory and opens it as a root: links in it are followed only
// while they stay inside. It returns the file name to write for mode
// "file".
func openDestination(ad *allocdir.AllocDir, taskDir, destRel string, fileMode bool) (*os.Root, string, error) {
	p := filepath.Join(taskDir, destRel)
	var file string
	if fileMode {
		p, file = filepath.Dir(p), filepath.Base(p)
	}
	base, rel, err := sandboxRoot(ad, taskDir, p)
	if err != nil {
		return nil, "", fmt.Errorf("artifact destination: %w", err)
	}
	if base == nil {
		return nil, "", fmt.Errorf("artifact destination %q: %w: %w (want a path in the task directory or the alloc directory)", destRel, ErrDestination, allocdir.ErrEscapes)
	}
	defer base.Close()
	if err := base.MkdirAll(rel, 0o755); err != nil {
		return nil, "", fmt.Errorf("artifact destination %q: %w: %w", destRel, ErrDestination, err)
	}
	dest, err := base.OpenRoot(rel)
	if err != nil {
		return nil, "", fmt.Errorf("artifact destination %q: %w: %w", destRel, ErrDestination, err)
	}
	return dest, file, nil
}

// job is one artifact being fetched into dest.
type job struct {
	g    *Getter
	dest *os.Root
	src  string
	sum  *checksum
	name string      // base name of the source
	mode fs.FileMode // mode the fetched file gets
	tmp  string      // the downloaded file, a temporary name in dest
	file *os.File    // tmp, open: it is read and chmod'ed through this
}

// stagePrefix starts the names of temporary files and directories in a
// destination.
const stagePrefix = ".artifact-"

// download writes the source into a temporary file in the destination and
// checks its checksum.
func (j *job) download(fetch func(io.Writer) error) error {
	if j.name == "" || j.name == "/" || j.name == "." || !filepath.IsLocal(j.name) {
		j.name = "artifact"
	}
	f, name, err := createTemp(j.dest, "")
	if err != nil {
		return err
	}
	j.tmp, j.file = name, f
	var h hash.Hash
	w := io.Writer(f)
	if j.sum != nil {
		h = j.sum.newHash()
		w = io.MultiWriter(f, h)
	}
	if err := fetch(w); err != nil {
		j.removeTemp()
		return fmt.Errorf("download %s: %w", j.src, err)
	}
	if j.sum != nil {
		if got := hex.EncodeToString(h.Sum(nil)); got != j.sum.hex {
			j.removeTemp()
			return fmt.Errorf("%s: %w: %s is %s, want %s", j.src, ErrChecksum, j.sum.kind, got, j.sum.hex)
		}
	}
	return nil
}

func (j *job) removeTemp() {
	if j.file != nil {
		j.file.Close()
		j.file = nil
	}
	if j.tmp != "" {
		_ = j.dest.Remove(j.tmp)
		j.tmp = ""
	}
}

// place gives the downloaded file its mode and renames it to target; a
// rename replaces a link at target instead of writing through it.
func (j *job) place(target string) error {
	err := j.file.Chmod(j.mode.Perm())
	if cerr := j.file.Close(); err == nil {
		err = cerr
	}
	j.file = nil
	if err != nil {
		return err
	}
	if err := j.dest.Rename(j.tmp, target); err != nil {
		return fmt.Errorf("artifact %s: %w", target, err)
	}
	j.tmp = ""
	return nil
}

// createTemp creates a new file (suffix "" ) or directory (suffix ".d")
// with a random name in root, mode 0600 or 0700.
func createTemp(root *os.Root, suffix string) (*os.File, string, error) {
	for range 100 {
		name := stagePrefix + nomadlike.GenerateUUID()[:8] + suffix
		if suffix != "" {
			err := root.Mkdir(name, 0o700)
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			return nil, name, err
		}
		f, err := root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, name, err
	}
	return nil, "", errors.New("cannot create a temporary name in the artifact destination")
}

func (g *Getter) httpGet(ctx context.Context, u string, headers map[string]string, w io.Writer) error {
	if t := g.cfg.HTTPReadTimeout; t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, t, fmt.Errorf("exceeds http_read_timeout of %s", t))
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	hc := g.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return timeoutCause(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("bad response code: %d", resp.StatusCode)
	}
	max := g.cfg.HTTPMaxSize
	if max > 0 && resp.ContentLength > max {
		return tooLarge(max)
	}
	var body io.Reader = resp.Body
	if max > 0 {
		body = io.LimitReader(resp.Body, max+1)
	}
	n, err := io.Copy(w, body)
	if err != nil {
		return timeoutCause(ctx, err)
	}
	if max > 0 && n > max {
		return tooLarge(max)
	}
	return nil
}

func tooLarge(max int64) error {
	return fmt.Errorf("exceeds http_max_size of %d bytes: %w", max, ErrLimitExceeded)
}

// timeoutCause names http_read_timeout when it is what ended the download.
func timeoutCause(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
		return fmt.Errorf("%w (%v)", cause, err)
	}
	return err
}

type checksum struct {
	kind, hex string
}

func (c *checksum) newHash() hash.Hash {
	switch c.kind {
	case "md5":
		return md5.New()
	case "sha1":
		return sha1.New()
	case "sha512":
		return sha512.New()
	}
	return sha256.New()
}

func parseChecksum(s string) (*checksum, error) {
	if s == "" {
		return nil, nil
	}
	kind, sum, ok := strings.Cut(s, ":")
	if !ok {
		return nil, fmt.Errorf("artifact checksum %q: want TYPE:HEX, like sha256:...", s)
	}
	kind = strings.ToLower(kind)
	want := map[string]int{"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
	n, known := want[kind]
	if !known {
		return nil, fmt.Errorf("artifact checksum %q: unknown type %q (md5, sha1, sha256, sha512)", s, kind)
	}
	sum = strings.ToLower(sum)
	if _, err := hex.DecodeString(sum); err != nil || len(sum) != n {
		return nil, fmt.Errorf("artifact checksum %q: want %d hex digits", s, n)
	}
	return &checksum{kind: kind, hex: sum}, nil
}
