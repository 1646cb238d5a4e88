package ui

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
)

// inProcess is an http.RoundTripper that serves each request with an
// http.Handler in this process (the agent's API handler) instead of a
// connection. The response body streams: the handler runs in its own
// goroutine and writes into a pipe, so a followed log or a blocking query
// works as it would over the network. Closing the body, or ending the
// request's context, cancels the handler's context.
//
// Why not a loopback connection: the agent may listen on a public address
// only, behind mTLS that wants a client certificate, and with a per-client
// connection limit that every UI user's fetches would then share (they would
// all come from 127.0.0.1). In process, the API handler still checks the
// user's token on every route exactly as for any other caller.
type inProcess struct {
	h http.Handler
}

// RoundTrip implements http.RoundTripper.
func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	r := req.Clone(ctx)
	if r.Body == nil {
		r.Body = http.NoBody
	}
	if r.RemoteAddr == "" {
		r.RemoteAddr = remoteAddrFrom(req.Context())
	}
	r.RequestURI = r.URL.RequestURI()
	pr, pw := io.Pipe()
	w := &pipeWriter{header: http.Header{}, body: pw, readyCh: make(chan struct{})}
	go func() {
		defer func() {
			w.writeHeader(http.StatusOK) // a handler that wrote nothing
			_ = pw.Close()
		}()
		t.h.ServeHTTP(w, r)
	}()
	select {
	case <-w.readyCh:
	case <-ctx.Done():
		cancel()
		_ = pr.CloseWithError(ctx.Err())
		return nil, ctx.Err()
	}
	return &http.Response{
		Status:        http.StatusText(w.code),
		StatusCode:    w.code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.sent,
		Body:          &cancelBody{PipeReader: pr, cancel: cancel},
		ContentLength: -1,
		Request:       req,
	}, nil
}

// pipeWriter is the handler's http.ResponseWriter: the header goes to
// RoundTrip once (on the first WriteHeader, Write or Flush), the body into
// the pipe.
type pipeWriter struct {
	header  http.Header
	body    *io.PipeWriter
	readyCh chan struct{}

	once sync.Once
	code int
	sent http.Header
}

func (w *pipeWriter) Header() http.Header { return w.header }

func (w *pipeWriter) WriteHeader(code int) { w.writeHeader(code) }

func (w *pipeWriter) writeHeader(code int) {
	w.once.Do(func() {
		w.code, w.sent = code, w.header.Clone()
		close(w.readyCh)
	})
}

func (w *pipeWriter) Write(b []byte) (int, error) {
	w.writeHeader(http.StatusOK)
	n, err := w.body.Write(b)
	if errors.Is(err, io.ErrClosedPipe) {
		err = http.ErrHandlerTimeout // the reader went away
	}
	return n, err
}

// Flush sends the header; the body is unbuffered already.
func (w *pipeWriter) Flush() { w.writeHeader(http.StatusOK) }

// cancelBody ends the handler when the caller closes the body.
type cancelBody struct {
	*io.PipeReader
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	b.cancel()
	return b.PipeReader.CloseWithError(io.ErrClosedPipe)
}

type remoteAddrKey struct{}

// withRemoteAddr records the browser's address so that the API handler
// logs the real source of a UI request.
func withRemoteAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, remoteAddrKey{}, addr)
}

func remoteAddrFrom(ctx context.Context) string {
	s, _ := ctx.Value(remoteAddrKey{}).(string)
	return s
}
