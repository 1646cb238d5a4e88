package agent

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveLimited serves h with the agent's HTTP server and listener.
func serveLimited(t *testing.T, h http.Handler, l Limits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(h, l)
	go srv.Serve(listenHTTP(ln, l))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// A request whose body has all arrived keeps its context however long the
// handler then takes (a blocking query after a body, a slow write): the
// body deadline must not outlive the body.
func TestBodyDeadlineIsLiftedAfterTheBody(t *testing.T) {
	const timeout = 200 * time.Millisecond
	result := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			result <- err
			return
		}
		select {
		case <-r.Context().Done():
			result <- r.Context().Err()
		case <-time.After(5 * timeout):
			result <- nil
		}
		io.WriteString(w, "ok")
	})
	l := DefaultLimits()
	l.HTTPBodyReadTimeout = timeout
	addr := serveLimited(t, h, l)
	resp, err := http.Post("http://"+addr+"/", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := <-result; err != nil {
		t.Fatalf("handler after the body: %v, want the request to stay alive", err)
	}
}

// A body dribbled slower than the limits allow loses its connection.
func TestBodyDeadlineClosesDribbledBody(t *testing.T) {
	result := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		result <- err
	})
	l := DefaultLimits()
	l.HTTPBodyReadTimeout = 300 * time.Millisecond
	addr := serveLimited(t, h, l)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
	stop := make(chan struct{})
	defer close(stop)
	go func() { // one byte every 50ms: never idle, never done
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := c.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	select {
	case err := <-result:
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("reading the dribbled body: %v, want a timeout", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the dribbled body was still being read after 20s")
	}
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.Copy(io.Discard, c); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the connection stayed open after the body timed out")
		}
	}
}

// Connections over http_max_conns_per_client get a 429 answer.
func TestHTTPConnLimitAnswers429(t *testing.T) {
	l := DefaultLimits()
	l.HTTPMaxConnsPerClient = 1
	entered := make(chan struct{}, 1)
	addr := serveLimited(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-r.Context().Done()
	}), l)
	holder, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	io.WriteString(holder, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	select {
	case <-entered:
	case <-time.After(20 * time.Second):
		t.Fatal("the first request never reached the handler")
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read the answer to a connection over the limit: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(b), "http_max_conns_per_client") {
		t.Fatalf("answer = %d %q, want 429 naming http_max_conns_per_client", resp.StatusCode, b)
	}
}

// A body the API refuses as too large is left partly unread: the rest
// must not stay on a reused connection to be read as the next request
// (which then failed with 431 Request Header Fields Too Large).
func TestTooLargeBodyClosesConnection(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a, c := devServer(t)
	waitLeader(ctx, t, c)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	big := make([]byte, 40<<20)
	copy(big, `{"Job": {"ID": "huge", "Meta": {"x": "`)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, "http://"+a.HTTPAddr()+"/v1/jobs", bytes.NewReader(big))
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("PUT of 40 MiB = %d, want 413", resp.StatusCode)
	}
	resp, err = hc.Get("http://" + a.HTTPAddr() + "/v1/jobs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/jobs after a refused large body = %d, want 200", resp.StatusCode)
	}
}
