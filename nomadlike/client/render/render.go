package render

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/nomadlike/nomadlike/drivers/beneath"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
	"github.com/nomadlike/nomadlike/nomadlike/client/taskenv"
)

// ErrUnsupported is returned by template functions that need Consul or Vault.
var ErrUnsupported = errors.New("not supported by nomadlike (no Consul or Vault integration)")

// Result is what rendering one template produced.
type Result struct {
	// Path is the rendered file on the host.
	Path string
	// Env holds the KEY=VALUE pairs of a template with env = true.
	Env map[string]string
}

// Render renders tmpl for a task whose host directory is taskDir, without
// Nomad data (the functions that read it fail with ErrNoData). Source
// and destination paths are interpolated with env and must stay inside the
// allocation directory; both are opened beneath its descriptor, so a
// symbolic link on the way (which a task can plant in its own directories)
// is refused rather than followed. The source must be a regular file with a
// single hard link.
func Render(tmpl *nomadlike.Template, env *taskenv.Env, ad *allocdir.AllocDir, taskDir string) (*Result, error) {
	p, err := Prepare(tmpl, env, ad, taskDir)
	if err != nil {
		return nil, err
	}
	out, err := p.Execute(nil, "")
	if err != nil {
		return nil, err
	}
	if _, err := p.Write(out.Content); err != nil {
		return nil, err
	}
	return p.Result(out.Content)
}

// Prepared is a template whose body was read and whose destination was
// checked; it can be executed and written many times.
type Prepared struct {
	Tmpl *nomadlike.Template
	body string
	dest string // relative to the allocation directory
	mode os.FileMode
	env  *taskenv.Env
	ad   *allocdir.AllocDir
}

// Output is one execution of a prepared template.
type Output struct {
	Content []byte
	// Deps is the server data the execution read; Missing is the part of
	// it not known yet: while Missing is not empty the output is
	// incomplete and must not be written.
	Deps    []Dep
	Missing []Dep
}

// Prepare reads tmpl's source (or data) and resolves its destination.
func Prepare(tmpl *nomadlike.Template, env *taskenv.Env, ad *allocdir.AllocDir, taskDir string) (*Prepared, error) {
	p := &Prepared{Tmpl: tmpl, body: tmpl.EmbeddedTmpl, env: env, ad: ad, mode: 0o644}
	if tmpl.SourcePath != "" {
		root, err := ad.Open()
		if err != nil {
			return nil, err
		}
		b, err := readSource(root, ad, taskDir, env.ReplaceEnv(tmpl.SourcePath))
		root.Close()
		if err != nil {
			return nil, fmt.Errorf("template source: %w", err)
		}
		p.body = string(b)
	}
	if tmpl.DestPath == "" {
		return nil, errors.New("template destination: must not be empty")
	}
	dest, err := ad.RelPath(taskDir, env.ReplaceEnv(tmpl.DestPath))
	if err != nil {
		return nil, fmt.Errorf("template destination: %w", err)
	}
	p.dest = dest
	if tmpl.Perms != "" {
		m, err := strconv.ParseUint(tmpl.Perms, 8, 32)
		if err != nil {
			return nil, fmt.Errorf("template perms %q: must be octal like \"0644\"", tmpl.Perms)
		}
		p.mode = os.FileMode(m) & os.ModePerm
	}
	return p, nil
}

// Path is the destination on the host.
func (p *Prepared) Path() string { return filepath.Join(p.ad.Dir, p.dest) }

// Execute runs the template with data (nil: no Nomad data); ns is the
// namespace of queries without "@namespace".
func (p *Prepared) Execute(data Data, ns string) (*Output, error) {
	r := &recorder{data: data, ns: ns, seen: map[Dep]bool{}}
	b, err := execute(p.body, p.Tmpl.LeftDelim, p.Tmpl.RightDelim, p.Tmpl.ErrMissingKey, p.env, r)
	if err != nil && len(r.missing) > 0 && !errors.Is(err, ErrBadQuery) && !errors.Is(err, ErrNoData) {
		// Functions see empty values while data is missing and may fail
		// on them (parseInt, a missing key): wait for the data instead.
		return &Output{Deps: r.deps, Missing: r.missing}, nil
	}
	if err != nil {
		return nil, err
	}
	return &Output{Content: b, Deps: r.deps, Missing: r.missing}, nil
}

// Write writes content to the destination atomically (a temporary file
// renamed over it, beneath the allocation directory's descriptor).
func (p *Prepared) Write(content []byte) (string, error) {
	root, err := p.ad.Open()
	if err != nil {
		return "", err
	}
	defer root.Close()
	if err := root.WriteFileAtomic(p.dest, content, p.mode); err != nil {
		return "", fmt.Errorf("template destination: %w", err)
	}
	return p.Path(), nil
}

// Result parses content as the template's result (its env when env = true).
func (p *Prepared) Result(content []byte) (*Result, error) {
	res := &Result{Path: p.Path()}
	if p.Tmpl.Envvars {
		var err error
		if res.Env, err = ParseEnvFile(content); err != nil {
			return nil, fmt.Errorf("template %s as env: %w", p.Tmpl.DestPath, err)
		}
	}
	return res, nil
}

// Execute runs a template body with the task's environment, without Nomad
// data.
func Execute(body, left, right string, env *taskenv.Env) ([]byte, error) {
	return execute(body, left, right, false, env, &recorder{seen: map[Dep]bool{}})
}

func execute(body, left, right string, errMissingKey bool, env *taskenv.Env, r *recorder) ([]byte, error) {
	missingKey := "missingkey=zero"
	if errMissingKey {
		missingKey = "missingkey=error"
	}
	t := template.New("template").Option(missingKey).Funcs(funcs(env)).Funcs(nomadFuncs(r))
	if left != "" || right != "" {
		t = t.Delims(left, right)
	}
	t, err := t.Parse(body)
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, nil); err != nil {
		return nil, fmt.Errorf("execute template: %w", redact(err))
	}
	return buf.Bytes(), nil
}

// quoted matches a Go-quoted string in an error message.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// redactedError hides the values a function's error quotes ("parseInt":
// strconv.ParseInt: parsing "s3cret"): they may be secrets, and the error
// reaches task events and logs. errors.Is still sees the cause.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func redact(err error) error {
	msg := err.Error()
	i := strings.Index(msg, "error calling ")
	if i < 0 {
		return err
	}
	return &redactedError{msg: msg[:i] + quoted.ReplaceAllString(msg[i:], `"(redacted)"`), err: err}
}

func funcs(env *taskenv.Env) template.FuncMap {
	unsupported := func(name string) any {
		return func(args ...any) (string, error) {
			return "", fmt.Errorf("%s: %w", name, ErrUnsupported)
		}
	}
	fm := template.FuncMap{
		"env": func(k string) string {
			v, _ := env.Get(k)
			return v
		},
		"toUpper":    strings.ToUpper,
		"toLower":    strings.ToLower,
		"trimSpace":  strings.TrimSpace,
		"split":      func(sep, s string) []string { return strings.Split(s, sep) },
		"join":       func(sep string, l []string) string { return strings.Join(l, sep) },
		"replaceAll": func(old, new, s string) string { return strings.ReplaceAll(s, old, new) },
		"contains":   func(sub, s string) bool { return strings.Contains(s, sub) },
		"parseInt":   func(s string) (int64, error) { return strconv.ParseInt(strings.TrimSpace(s), 10, 64) },
		"parseBool":  func(s string) (bool, error) { return strconv.ParseBool(strings.TrimSpace(s)) },
		"base64Encode": func(s string) string {
			return base64.StdEncoding.EncodeToString([]byte(s))
		},
		"base64Decode": func(s string) (string, error) {
			b, err := base64.StdEncoding.DecodeString(s)
			return string(b), err
		},
		"timestamp": func(layout ...string) string {
			if len(layout) > 0 {
				return time.Now().UTC().Format(layout[0])
			}
			return time.Now().UTC().Format(time.RFC3339)
		},
	}
	for _, n := range []string{"key", "keyOrDefault", "ls", "tree", "service", "services", "secret", "secrets"} {
		fm[n] = unsupported(n)
	}
	return fm
}

// ParseEnvFile parses KEY=VALUE lines; blank lines and # comments are
// skipped, "export " prefixes and matching quotes around values removed.
func ParseEnvFile(b []byte) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	line := 0
	for sc.Scan() {
		line++
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		l = strings.TrimPrefix(l, "export ")
		k, v, ok := strings.Cut(l, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			// The line is not quoted: it may hold a secret.
			return nil, fmt.Errorf("line %d: want KEY=VALUE", line)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			if v[0] == '"' {
				if uq, err := strconv.Unquote(v); err == nil {
					v = uq
				} else {
					v = v[1 : len(v)-1]
				}
			} else {
				v = v[1 : len(v)-1]
			}
		}
		out[k] = v
	}
	return out, sc.Err()
}

// readSource reads a template source file, rel to taskDir.
func readSource(root *beneath.Dir, ad *allocdir.AllocDir, taskDir, rel string) ([]byte, error) {
	src, err := ad.RelPath(taskDir, rel)
	if err != nil {
		return nil, err
	}
	f, err := root.OpenExisting(src, os.O_RDONLY, beneath.Want{Owner: beneath.AnyOwner})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
