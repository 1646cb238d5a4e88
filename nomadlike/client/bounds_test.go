package client_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client"
)

// signalBody is a signal request whose signal name is size bytes long,
// produced on the fly; read counts the bytes the handler pulled from it.
type signalBody struct {
	prefix, suffix string
	size, off      int64
	read           int64
}

func (b *signalBody) Read(p []byte) (int, error) {
	total := int64(len(b.prefix)) + b.size + int64(len(b.suffix))
	if b.off >= total {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && b.off < total {
		switch {
		case b.off < int64(len(b.prefix)):
			p[n] = b.prefix[b.off]
		case b.off < int64(len(b.prefix))+b.size:
			p[n] = 'A'
		default:
			p[n] = b.suffix[b.off-int64(len(b.prefix))-b.size]
		}
		n++
		b.off++
	}
	b.read += int64(n)
	return n, nil
}

// signalEvents counts the Signaling events the client holds for the alloc
// and the signals its driver received.
func signalEvents(e *env, c *client.Client, allocID string) (events, sent int) {
	for _, a := range c.Allocations() {
		if a.ID != allocID {
			continue
		}
		for _, ts := range a.TaskStates {
			for _, ev := range ts.Events {
				if ev.Type == nomadlike.TaskEventSignaling {
					events++
				}
			}
		}
	}
	for _, ev := range e.host.Events() {
		if strings.HasPrefix(ev, "signal ") {
			sent++
		}
	}
	return events, sent
}

// TestSignalBodyLimit sends a 50 MB signal request to a real client's
// handler for a running allocation: it is refused with 413 having read no
// more than the limit, and no task event is recorded nor signal sent.
func TestSignalBodyLimit(t *testing.T) {
	e := newEnv(t)
	c := e.start(e.config())
	a := e.alloc(c.NodeID(), map[string]any{"run_for": "1h"})
	e.waitServerStatus(a.ID, nomadlike.AllocClientStatusRunning)
	h := c.Handler()

	cases := []struct {
		name          string
		contentLength int64 // -1: chunked, the length unknown in advance
		maxRead       int64
	}{
		{"declared length", 50 << 20, 0},
		{"chunked", -1, client.MaxRequestBody + 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := &signalBody{prefix: `{"Signal":"`, size: 50 << 20, suffix: `"}`}
			if tc.contentLength > 0 {
				tc.contentLength = int64(len(body.prefix)+len(body.suffix)) + body.size
			}
			r := httptest.NewRequest(http.MethodPost, "/v1/client/allocation/"+a.ID+"/signal", io.NopCloser(body))
			r.ContentLength = tc.contentLength
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "64 KiB") {
				t.Errorf("POST signal (50 MB) = %d %.200q, want 413 naming the 64 KiB limit", w.Code, w.Body.String())
			}
			if body.read > tc.maxRead {
				t.Errorf("handler read %d bytes of the body, want at most %d", body.read, tc.maxRead)
			}
			if w.Body.Len() > 1024 {
				t.Errorf("error body is %d bytes, want under 1 KiB", w.Body.Len())
			}
		})
	}
	if events, sent := signalEvents(e, c, a.ID); events != 0 || sent != 0 {
		t.Errorf("after refused requests: %d Signaling events, %d signals sent; want none", events, sent)
	}
}

// TestSignalNameValidated checks that a signal name is validated before
// anything is recorded or sent, and that a valid one is sent canonical.
func TestSignalNameValidated(t *testing.T) {
	e := newEnv(t)
	c := e.start(e.config())
	a := e.alloc(c.NodeID(), map[string]any{"run_for": "1h"})
	e.waitServerStatus(a.ID, nomadlike.AllocClientStatusRunning)
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(srv.Close)
	post := func(body string) (int, string) {
		t.Helper()
		resp, err := http.Post(srv.URL+"/v1/client/allocation/"+a.ID+"/signal", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	bad := []struct{ name, body, want string }{
		{"unknown", `{"Signal":"SIGNOPE"}`, "not a known signal"},
		{"number", `{"Signal":"9"}`, "not a known signal"},
		{"long", `{"Signal":"` + strings.Repeat("B", 40<<10) + `"}`, "…(40960 bytes)"},
		{"control", `{"Signal":"HUP\nINJECTED"}`, "invalid signal"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			code, body := post(tc.body)
			if code != http.StatusBadRequest || !strings.Contains(body, tc.want) || len(body) > 1024 {
				t.Errorf("signal %s = %d %.200q (%d bytes), want 400 with %q under 1 KiB", tc.name, code, body, len(body), tc.want)
			}
		})
	}
	if events, sent := signalEvents(e, c, a.ID); events != 0 || sent != 0 {
		t.Fatalf("after invalid signals: %d Signaling events, %d signals sent; want none", events, sent)
	}
	if code, body := post(`{"Signal":"hup"}`); code != http.StatusOK {
		t.Fatalf("signal hup = %d %s, want 200", code, body)
	}
	if events, sent := signalEvents(e, c, a.ID); events != 1 || sent != 1 {
		t.Errorf("after one valid signal: %d events, %d sent; want 1 and 1", events, sent)
	}
	found := false
	for _, ev := range e.host.Events() {
		found = found || strings.HasSuffix(ev, " SIGHUP")
	}
	if !found {
		t.Errorf("driver events %v, want the canonical SIGHUP", e.host.Events())
	}
}
