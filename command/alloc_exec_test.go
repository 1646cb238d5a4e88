package command

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// fakeExec serves one exec websocket as the agent does: it echoes the
// stdin it gets after "out", then writes out and exits with code.
func fakeExec(t *testing.T, w http.ResponseWriter, r *http.Request, out string, code int) {
	conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
	if err != nil {
		t.Errorf("upgrade: %v", err)
		return
	}
	defer conn.Close()
	var stdin strings.Builder
	for {
		var in api.ExecStreamingInput
		if err := conn.ReadJSON(&in); err != nil {
			t.Errorf("read: %v", err)
			return
		}
		if in.Stdin != nil {
			stdin.Write(in.Stdin.Data)
			if in.Stdin.Close {
				break
			}
		}
	}
	_ = conn.WriteJSON(&api.ExecStreamingOutput{Stdout: &api.ExecStreamingIOOperation{Data: []byte(out + stdin.String())}})
	_ = conn.WriteJSON(&api.ExecStreamingOutput{Exited: true, Result: &api.ExecStreamingExitResult{ExitCode: code}})
}

func TestEscapeReader(t *testing.T) {
	cases := []struct {
		name, in, want string
		quit           bool
	}{
		{name: "plain", in: "ls\n", want: "ls\n"},
		{name: "quit at start", in: "~.rest", want: "", quit: true},
		{name: "quit after newline", in: "ls\n~.", want: "ls\n", quit: true},
		{name: "tilde mid line", in: "a~.b", want: "a~.b"},
		{name: "double tilde", in: "~~x", want: "~x"},
		{name: "tilde then other", in: "~x", want: "~x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			quit := false
			r := &escapeReader{r: strings.NewReader(tc.in), esc: '~', atLineStart: true, onQuit: func() { quit = true }}
			var got strings.Builder
			buf := make([]byte, 64)
			for {
				n, err := r.Read(buf)
				got.Write(buf[:n])
				if err != nil {
					break
				}
			}
			if got.String() != tc.want || quit != tc.quit {
				t.Errorf("escapeReader(%q) = %q quit %v, want %q quit %v", tc.in, got.String(), quit, tc.want, tc.quit)
			}
		})
	}
}
