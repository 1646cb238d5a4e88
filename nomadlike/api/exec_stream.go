package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// The interactive exec protocol, as Nomad's: GET
// /v1/client/allocation/:id/exec?task=&command=["/bin/sh"]&tty=true
// upgrades to a websocket carrying JSON text messages: ExecStreamingInput
// from the caller (stdin data, stdin close, terminal size; an empty
// message is a heartbeat), ExecStreamingOutput from the agent (stdout,
// stderr, and last the exit). An error after the upgrade closes the
// websocket with the error's text as the close reason.

// ExecMaxMessage bounds one websocket message of an exec session either
// way (64 KiB); a larger one closes the session.
const ExecMaxMessage = 64 << 10

// ExecChunk is the most stdin or output bytes one message carries (its
// base64 fits in ExecMaxMessage).
const ExecChunk = 16 << 10

// ExecHeartbeatInterval is how often the caller sends an empty message;
// the agent ends a session silent for ExecIdleTimeout.
const (
	ExecHeartbeatInterval = 10 * time.Second
	ExecIdleTimeout       = 60 * time.Second
)

// ExecStreamingIOOperation is a chunk of a stream, or its end.
type ExecStreamingIOOperation struct {
	Data  []byte `json:"data,omitempty"`
	Close bool   `json:"close,omitempty"`
}

// TerminalSize is a terminal's size in characters.
type TerminalSize struct {
	Height int `json:"height,omitempty"`
	Width  int `json:"width,omitempty"`
}

// ExecStreamingInput is one message from the caller.
type ExecStreamingInput struct {
	Stdin   *ExecStreamingIOOperation `json:"stdin,omitempty"`
	TTYSize *TerminalSize             `json:"tty_size,omitempty"`
}

// ExecStreamingExitResult is how the command ended.
type ExecStreamingExitResult struct {
	ExitCode int `json:"exit_code"`
}

// ExecStreamingOutput is one message from the agent.
type ExecStreamingOutput struct {
	Stdout *ExecStreamingIOOperation `json:"stdout,omitempty"`
	Stderr *ExecStreamingIOOperation `json:"stderr,omitempty"`
	Exited bool                      `json:"exited,omitempty"`
	Result *ExecStreamingExitResult  `json:"result,omitempty"`
}

// ExecSession is one interactive command for Allocations.ExecStream.
type ExecSession struct {
	Task    string
	Command []string
	Tty     bool
	// Stdin feeds the command; its EOF closes the command's stdin. nil:
	// stdin is closed at once.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// SizeCh delivers terminal sizes (with Tty).
	SizeCh <-chan TerminalSize
}

// ExecStream runs s.Command inside allocation id's task over the exec
// websocket and returns the command's exit code once it has exited and
// its output has been written. The agent refusing the session (unknown
// allocation, no permission) is a *StatusError.
func (a *Allocations) ExecStream(ctx context.Context, id string, s *ExecSession) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	conn, err := a.c.dialExec(ctx, id, s)
	if err != nil {
		return -1, err
	}
	defer conn.Close()
	conn.SetReadLimit(ExecMaxMessage)
	var sendMu sync.Mutex
	send := func(m *ExecStreamingInput) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		_ = conn.SetWriteDeadline(time.Now().Add(ExecIdleTimeout))
		return conn.WriteJSON(m)
	}
	go execSendStdin(ctx, s.Stdin, send)
	go execSendSizes(ctx, s.SizeCh, send)
	go execHeartbeat(ctx, send)
	for {
		var out ExecStreamingOutput
		if err := conn.ReadJSON(&out); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) && ce.Text != "" {
				return -1, fmt.Errorf("exec: %s", ce.Text)
			}
			if ctx.Err() != nil {
				return -1, ctx.Err()
			}
			return -1, fmt.Errorf("exec: the session ended before the command's exit: %w", err)
		}
		switch {
		case out.Stdout != nil && len(out.Stdout.Data) > 0:
			_, _ = s.Stdout.Write(out.Stdout.Data)
		case out.Stderr != nil && len(out.Stderr.Data) > 0 && s.Stderr != nil:
			_, _ = s.Stderr.Write(out.Stderr.Data)
		case out.Exited && out.Result != nil:
			_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			return out.Result.ExitCode, nil
		}
	}
}

// dialExec opens the exec websocket with the client's address, token and
// transport (TLS included).
func (c *Client) dialExec(ctx context.Context, id string, s *ExecSession) (*websocket.Conn, error) {
	cmd, err := json.Marshal(s.Command)
	if err != nil {
		return nil, fmt.Errorf("encode command: %w", err)
	}
	q := &QueryOptions{Params: map[string]string{
		"task": s.Task, "command": string(cmd), "tty": strconv.FormatBool(s.Tty),
	}}
	u := c.url(clientAllocPath(id, "/exec"), q)
	switch {
	case len(u) > 5 && u[:5] == "https":
		u = "wss" + u[5:]
	case len(u) > 4 && u[:4] == "http":
		u = "ws" + u[4:]
	}
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 8 << 10, WriteBufferSize: 8 << 10}
	if t, ok := c.http.Transport.(*http.Transport); ok {
		d.NetDialContext, d.TLSClientConfig, d.Proxy = t.DialContext, t.TLSClientConfig, t.Proxy
	}
	h := http.Header{}
	tok, _ := ctx.Value(authTokenKey{}).(string)
	if tok == "" {
		tok = c.token
	}
	if tok != "" {
		h.Set("X-Nomad-Token", tok)
	}
	conn, resp, err := d.DialContext(ctx, u, h)
	if err != nil {
		if resp != nil {
			defer resp.Body.Close()
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			return nil, &StatusError{Code: resp.StatusCode, Body: string(b)}
		}
		return nil, err
	}
	return conn, nil
}

func execSendStdin(ctx context.Context, in io.Reader, send func(*ExecStreamingInput) error) {
	if in != nil {
		buf := make([]byte, ExecChunk)
		for ctx.Err() == nil {
			n, err := in.Read(buf)
			if n > 0 {
				if send(&ExecStreamingInput{Stdin: &ExecStreamingIOOperation{Data: buf[:n]}}) != nil {
					return
				}
			}
			if err != nil {
				break
			}
		}
	}
	_ = send(&ExecStreamingInput{Stdin: &ExecStreamingIOOperation{Close: true}})
}

func execSendSizes(ctx context.Context, ch <-chan TerminalSize, send func(*ExecStreamingInput) error) {
	if ch == nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case sz, ok := <-ch:
			if !ok {
				return
			}
			if send(&ExecStreamingInput{TTYSize: &sz}) != nil {
				return
			}
		}
	}
}

func execHeartbeat(ctx context.Context, send func(*ExecStreamingInput) error) {
	t := time.NewTicker(ExecHeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if send(&ExecStreamingInput{}) != nil {
				return
			}
		}
	}
}
