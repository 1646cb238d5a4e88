package command

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/urfave/cli/v2"
)

// Every command that talks to an agent takes -token, and sends it (or
// NOMAD_TOKEN) as X-Nomad-Token.
func TestTokenFlagOnEveryAgentCommand(t *testing.T) {
	app := NewApp(&bytes.Buffer{}, &bytes.Buffer{})
	var walk func(path string, cmds []*cli.Command)
	walk = func(path string, cmds []*cli.Command) {
		for _, c := range cmds {
			p := path + " " + c.Name
			if hasFlag(c.Flags, "address") && !hasFlag(c.Flags, "token") {
				t.Errorf("%s takes -address but not -token", p)
			}
			walk(p, c.Subcommands)
		}
	}
	walk("nomadlike", app.Commands)

	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("X-Nomad-Token"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("[]"))
	}))
	defer srv.Close()
	cases := []struct {
		name, env string
		args      []string
		want      string
	}{
		{"flag", "", []string{"job", "status", "-address", srv.URL, "-token", "from-flag"}, "from-flag"},
		{"NOMAD_TOKEN", "from-env", []string{"node", "status", "-address", srv.URL}, "from-env"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("NOMAD_TOKEN", tc.env)
			t.Setenv("NOMADLIKE_TOKEN", "")
			mu.Lock()
			seen = nil
			mu.Unlock()
			RunWith(append([]string{"nomadlike"}, tc.args...), &bytes.Buffer{}, &bytes.Buffer{})
			mu.Lock()
			defer mu.Unlock()
			if len(seen) == 0 || seen[0] != tc.want {
				t.Errorf("X-Nomad-Token seen = %q, want %q", seen, tc.want)
			}
		})
	}
}
