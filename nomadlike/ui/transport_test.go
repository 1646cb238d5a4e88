package ui

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestInProcessStreams: a response streams through the in-process transport
// before the handler returns, and closing the body ends the handler.
func TestInProcessStreams(t *testing.T) {
	ended := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Test", "yes")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		ended <- r.Context().Err()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := &http.Client{Transport: inProcess{h: h}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://agent.internal/x", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("X-Test") != "yes" {
		t.Errorf("response = %d %v, want 202 with the handler's header", resp.StatusCode, resp.Header)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "first\n" {
		t.Fatalf("first line = %q, %v; want it while the handler still runs", line, err)
	}
	resp.Body.Close()
	select {
	case err := <-ended:
		if err == nil {
			t.Error("handler context not cancelled")
		}
	case <-ctx.Done():
		t.Fatal("closing the body did not end the handler")
	}
}

func TestValidToken(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"uuid", "7c4a3b2e-0f1d-4f7e-9a51-2f0c3d4e5f60", true},
		{"jwt", "eyJhbGciOi.eyJzdWIiOi.sig-_", true},
		{"empty", "", false},
		{"space", "a b", false},
		{"semicolon", "a;b", false},
		{"newline", "a\nb", false},
		{"non-ascii", "tökén", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validToken(tt.in); got != tt.want {
				t.Errorf("validToken(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestIsLocalUIPath(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"/ui/jobs", true},
		{"/ui/job?id=x", true},
		{"//evil.example/ui/", false},
		{"/ui//evil.example", false},
		{`/ui/\evil`, false},
		{"https://evil.example/ui/", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := isLocalUIPath(tt.in); got != tt.want {
			t.Errorf("isLocalUIPath(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
