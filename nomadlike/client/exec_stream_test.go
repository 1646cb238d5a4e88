package client_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// TestExecWebsocket drives the exec websocket with Nomad's messages: stdin
// reaches the command, output and the exit code come back; a message over
// the 64 KiB bound ends the session; bad parameters are refused before
// the upgrade.
func TestExecWebsocket(t *testing.T) {
	e := newEnv(t)
	c := e.start(e.config())
	a := e.alloc(c.NodeID(), map[string]any{"run_for": "1h"})
	e.waitServerStatus(a.ID, nomadlike.AllocClientStatusRunning)
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(srv.Close)
	base := "ws" + strings.TrimPrefix(srv.URL, "http") + "/v1/client/allocation/" + a.ID + "/exec"
	dial := func(t *testing.T, query string) *websocket.Conn {
		t.Helper()
		conn, resp, err := websocket.DefaultDialer.Dial(base+"?"+query, nil)
		if err != nil {
			t.Fatalf("dial: %v (%+v)", err, resp)
		}
		t.Cleanup(func() { conn.Close() })
		_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		return conn
	}
	cmd := "command=" + url.QueryEscape(`["/bin/sh","-c","x"]`)

	t.Run("stdin, output and exit code", func(t *testing.T) {
		conn := dial(t, cmd+"&tty=false")
		for _, in := range []api.ExecStreamingInput{
			{}, // a heartbeat
			{TTYSize: &api.TerminalSize{Height: 10, Width: 20}},
			{Stdin: &api.ExecStreamingIOOperation{Data: []byte("hello")}},
			{Stdin: &api.ExecStreamingIOOperation{Close: true}},
		} {
			if err := conn.WriteJSON(&in); err != nil {
				t.Fatal(err)
			}
		}
		var stdout, stderr string
		for {
			var out api.ExecStreamingOutput
			if err := conn.ReadJSON(&out); err != nil {
				t.Fatalf("read: %v (stdout %q)", err, stdout)
			}
			if out.Stdout != nil {
				stdout += string(out.Stdout.Data)
			}
			if out.Stderr != nil {
				stderr += string(out.Stderr.Data)
			}
			if out.Exited {
				if out.Result == nil || out.Result.ExitCode != 3 || stdout != "hello" || stderr != "/bin/sh -c x" {
					t.Fatalf("exit %+v stdout %q stderr %q; want 3, hello, the command", out.Result, stdout, stderr)
				}
				return
			}
		}
	})

	t.Run("a message over the bound ends the session", func(t *testing.T) {
		conn := dial(t, cmd)
		big := api.ExecStreamingInput{Stdin: &api.ExecStreamingIOOperation{Data: make([]byte, api.ExecMaxMessage)}}
		_ = conn.WriteJSON(&big)
		for {
			var out api.ExecStreamingOutput
			err := conn.ReadJSON(&out)
			if err == nil {
				if out.Exited {
					t.Fatalf("the session ran to an exit (%+v) after a message over %d bytes", out.Result, api.ExecMaxMessage)
				}
				continue
			}
			var ce *websocket.CloseError
			if errors.As(err, &ce) && ce.Code == websocket.CloseMessageTooBig {
				return
			}
			t.Fatalf("session ended with %v, want close code %d (message too big)", err, websocket.CloseMessageTooBig)
		}
	})

	for _, tc := range []struct{ name, query string }{
		{"no command", "tty=true"},
		{"command not a JSON array", "command=ls"},
		{"bad tty", cmd + "&tty=maybe"},
		{"unknown task", cmd + "&task=nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, resp, err := websocket.DefaultDialer.Dial(base+"?"+tc.query, nil)
			if err == nil || resp == nil || resp.StatusCode/100 != 4 {
				t.Fatalf("dial %q = %v, %+v; want a 4xx before the upgrade", tc.query, err, resp)
			}
		})
	}

	t.Run("no upgrade", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/v1/client/allocation/" + a.ID + "/exec?" + cmd)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("GET exec without an upgrade = %d, want 400", resp.StatusCode)
		}
	})
}
