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

// Sentinel errors.
var (
	// ErrChecksum is returned when a download does not match its checksum.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrUnsupportedSource is returned for a source scheme nomadlike cannot fetch.
	ErrUnsupportedSource = errors.New("unsupported artifact source")
)

// Getter fetches artifacts. The zero value uses http.DefaultClient.
type Getter struct {
	HTTP *http.Client
}

// Get fetches one artifact for a task whose host directory is taskDir.
func (g *Getter) Get(ctx context.Context, a *nomadlike.TaskArtifact, env *taskenv.Env, ad *allocdir.AllocDir, taskDir string) error {
	src := env.ReplaceEnv(a.GetterSource)
	destRel := env.ReplaceEnv(a.RelativeDest)
	if destRel == "" {
		destRel = "local/"
	}
	dest, err := ad.Resolve(taskDir, destRel)
	if err != nil {
		return fmt.Errorf("artifact destination: %w", err)
	}
	opts := map[string]string{}
	for k, v := range a.GetterOptions {
		opts[k] = env.ReplaceEnv(v)
	}
	sum, err := parseChecksum(opts["checksum"])
	if err != nil {
		return err
	}

	u, err := url.Parse(src)
	if err != nil {
		return fmt.Errorf("artifact source %q: %w", src, err)
	}
	var name string // base name of the source file
	var open func() (io.ReadCloser, error)
	switch {
	case u.Scheme == "" && filepath.IsAbs(src), u.Scheme == "file":
		p := src
		if u.Scheme == "file" {
			p = u.Path
		}
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("artifact source: %w", err)
		}
		if fi.IsDir() {
			if sum != nil {
				return fmt.Errorf("artifact source %s: a checksum needs a file, not a directory", p)
			}
			return copyDir(ad, p, dest)
		}
		name = filepath.Base(p)
		open = func() (io.ReadCloser, error) { return os.Open(p) }
	case u.Scheme == "http" || u.Scheme == "https":
		name = path.Base(u.Path)
		open = func() (io.ReadCloser, error) { return g.httpGet(ctx, u.String(), a.GetterHeaders) }
	default:
		return fmt.Errorf("artifact source %q: %w (want an absolute path, file://, http:// or https://)", src, ErrUnsupportedSource)
	}
	if name == "" || name == "/" || name == "." {
		name = "artifact"
	}

	// Download into the destination's parent first: a failed checksum leaves
	// nothing where the task would find it.
	stageDir := dest
	if a.GetterMode == "file" {
		stageDir = filepath.Dir(dest)
	}
	if err := os.MkdirAll(stageDir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(stageDir, ".artifact-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	rc, err := open()
	if err != nil {
		tmp.Close()
		return err
	}
	var h hash.Hash
	w := io.Writer(tmp)
	if sum != nil {
		h = sum.newHash()
		w = io.MultiWriter(tmp, h)
	}
	_, err = io.Copy(w, rc)
	rc.Close()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("download %s: %w", src, err)
	}
	if sum != nil {
		if got := hex.EncodeToString(h.Sum(nil)); got != sum.hex {
			return fmt.Errorf("%s: %w: %s is %s, want %s", src, ErrChecksum, sum.kind, got, sum.hex)
		}
	}

	if a.GetterMode != "file" && opts["archive"] != "false" {
		if kind := archiveKind(name); kind != "" {
			return extract(ad, kind, tmpName, dest)
		}
	}
	target := dest
	if a.GetterMode != "file" {
		target = filepath.Join(dest, name)
	}
	if err := os.Chmod(tmpName, 0o644); err != nil {
		return err
	}
	return os.Rename(tmpName, target)
}

func (g *Getter) httpGet(ctx context.Context, u string, headers map[string]string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
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
		return nil, fmt.Errorf("download %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("download %s: bad response code: %d", u, resp.StatusCode)
	}
	return resp.Body, nil
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

// copyDir copies a local directory tree into dest, confining every entry.
func copyDir(ad *allocdir.AllocDir, src, dest string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target, err := ad.Resolve(dest, rel)
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			fi, err := d.Info()
			if err != nil {
				return err
			}
			in, err := os.Open(p)
			if err != nil {
				return err
			}
			defer in.Close()
			return writeFile(target, in, fi.Mode().Perm())
		}
		return nil // links and devices are not copied
	})
}

func writeFile(target string, r io.Reader, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	// Remove first so an existing symbolic link is replaced, not followed.
	_ = os.Remove(target)
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
