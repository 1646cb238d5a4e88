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

// Render renders tmpl for a task whose host directory is taskDir. Source
// and destination paths are interpolated with env and must stay inside the
// allocation directory; both are opened beneath its descriptor, so a
// symbolic link on the way (which a task can plant in its own directories)
// is refused rather than followed. The source must be a regular file with a
// single hard link.
func Render(tmpl *nomadlike.Template, env *taskenv.Env, ad *allocdir.AllocDir, taskDir string) (*Result, error) {
	root, err := ad.Open()
	if err != nil {
		return nil, err
	}
	defer root.Close()
	body := tmpl.EmbeddedTmpl
	if tmpl.SourcePath != "" {
		b, err := readSource(root, ad, taskDir, env.ReplaceEnv(tmpl.SourcePath))
		if err != nil {
			return nil, fmt.Errorf("template source: %w", err)
		}
		body = string(b)
	}
	if tmpl.DestPath == "" {
		return nil, errors.New("template destination: must not be empty")
	}
	dest, err := ad.RelPath(taskDir, env.ReplaceEnv(tmpl.DestPath))
	if err != nil {
		return nil, fmt.Errorf("template destination: %w", err)
	}
	mode := os.FileMode(0o644)
	if tmpl.Perms != "" {
		m, err := strconv.ParseUint(tmpl.Perms, 8, 32)
		if err != nil {
			return nil, fmt.Errorf("template perms %q: must be octal like \"0644\"", tmpl.Perms)
		}
		mode = os.FileMode(m) & os.ModePerm
	}
	out, err := Execute(body, tmpl.LeftDelim, tmpl.RightDelim, env)
	if err != nil {
		return nil, err
	}
	if err := root.WriteFileAtomic(dest, out, mode); err != nil {
		return nil, fmt.Errorf("template destination: %w", err)
	}
	res := &Result{Path: filepath.Join(ad.Dir, dest)}
	if tmpl.Envvars {
		res.Env, err = ParseEnvFile(out)
		if err != nil {
			return nil, fmt.Errorf("template %s as env: %w", tmpl.DestPath, err)
		}
	}
	return res, nil
}

// Execute runs a template body with the task's environment.
func Execute(body, left, right string, env *taskenv.Env) ([]byte, error) {
	t := template.New("template").Option("missingkey=zero").Funcs(funcs(env))
	if left != "" || right != "" {
		t = t.Delims(left, right)
	}
	t, err := t.Parse(body)
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, nil); err != nil {
		return nil, fmt.Errorf("execute template: %w", err)
	}
	return buf.Bytes(), nil
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
	for _, n := range []string{"key", "keyOrDefault", "ls", "tree", "service", "services", "secret", "secrets", "nomadVar", "nomadService"} {
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
			return nil, fmt.Errorf("line %d: want KEY=VALUE, got %q", line, l)
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
