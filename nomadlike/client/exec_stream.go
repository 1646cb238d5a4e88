package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
)

// handleExecStream serves alloc exec as Nomad's:
//
//	GET /v1/client/allocation/:alloc/exec?task=&command=["/bin/sh"]&tty=true
//
// upgraded to a websocket (see package api for the messages). Messages are
// at most api.ExecMaxMessage either way; a session silent for
// api.ExecIdleTimeout (callers send a heartbeat every 10s) ends, as does
// one whose task stops; closing the websocket kills the command. Errors
// before the upgrade are HTTP errors; after it, the close reason.
func (c *Client) handleExecStream(w http.ResponseWriter, r *http.Request) {
	ar, err := c.lookup(r)
	if err != nil {
		httpError(w, err)
		return
	}
	q := r.URL.Query()
	var cmd []string
	if err := json.Unmarshal([]byte(q.Get("command")), &cmd); err != nil || len(cmd) == 0 || cmd[0] == "" {
		httpError(w, fmt.Errorf(`%w: command: a JSON array naming the command is required, as ["/bin/sh"] (got %s)`, errBadRequest, reqlimit.Quote(q.Get("command"))))
		return
	}
	tty := false
	if v := q.Get("tty"); v != "" {
		if tty, err = strconv.ParseBool(v); err != nil {
			httpError(w, fmt.Errorf("%w: tty: %s is not a boolean", errBadRequest, reqlimit.Quote(v)))
			return
		}
	}
	task, err := pickTask(ar, q.Get("task"))
	if err != nil {
		httpError(w, err)
		return
	}
	tr, _ := ar.TaskRunner(task)
	if !websocket.IsWebSocketUpgrade(r) {
		httpError(w, fmt.Errorf("%w: GET exec is a websocket: send Connection: Upgrade and Upgrade: websocket (or PUT a non-interactive exec)", errBadRequest))
		return
	}
	up := websocket.Upgrader{ReadBufferSize: 8 << 10, WriteBufferSize: 8 << 10, HandshakeTimeout: 10 * time.Second}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered
	}
	defer conn.Close()
	s := newExecSession(conn)
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	stdinR, stdinW := io.Pipe()
	defer stdinR.Close()
	resize := make(chan drivers.TerminalSize, 1)
	go s.readInput(cancel, stdinW, resize)
	res, err := tr.ExecStreaming(ctx, &drivers.ExecOptions{
		Command: cmd, Tty: tty, Stdin: stdinR,
		Stdout: s.writer(false), Stderr: s.writer(true), ResizeCh: resize,
	})
	if err != nil {
		c.logger.Debug("exec session failed", "alloc_id", ar.Alloc().ID, "task", task, "error", err)
		s.close(websocket.CloseInternalServerErr, err.Error())
		return
	}
	if s.send(&api.ExecStreamingOutput{Exited: true, Result: &api.ExecStreamingExitResult{ExitCode: res.ExitCode}}) == nil {
		s.close(websocket.CloseNormalClosure, "")
	}
}

// execSession is the websocket side of one exec.
type execSession struct {
	conn *websocket.Conn
	mu   sync.Mutex // serializes writes
}

func newExecSession(conn *websocket.Conn) *execSession {
	conn.SetReadLimit(api.ExecMaxMessage)
	return &execSession{conn: conn}
}

// send writes one message; a caller that stops reading fails it after
// api.ExecIdleTimeout.
func (s *execSession) send(m *api.ExecStreamingOutput) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.conn.SetWriteDeadline(time.Now().Add(api.ExecIdleTimeout))
	return s.conn.WriteJSON(m)
}

// close sends a close message; its reason is cut to the protocol's 123
// bytes.
func (s *execSession) close(code int, reason string) {
	if len(reason) > 120 {
		reason = reason[:120]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
}

// writer returns the command's stdout or stderr as messages of at most
// api.ExecChunk bytes.
func (s *execSession) writer(stderr bool) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		for off := 0; off < len(p); off += api.ExecChunk {
			op := &api.ExecStreamingIOOperation{Data: p[off:min(off+api.ExecChunk, len(p))]}
			m := &api.ExecStreamingOutput{Stdout: op}
			if stderr {
				m = &api.ExecStreamingOutput{Stderr: op}
			}
			if err := s.send(m); err != nil {
				return off, err
			}
		}
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// readInput feeds stdin and terminal sizes until the caller closes the
// websocket, breaks the protocol or stays silent too long; then it ends
// the session (cancel kills the command).
func (s *execSession) readInput(cancel context.CancelFunc, stdin *io.PipeWriter, resize chan drivers.TerminalSize) {
	defer cancel()
	defer stdin.Close()
	for {
		_ = s.conn.SetReadDeadline(time.Now().Add(api.ExecIdleTimeout))
		var in api.ExecStreamingInput
		if err := s.conn.ReadJSON(&in); err != nil {
			return
		}
		if in.Stdin != nil {
			if len(in.Stdin.Data) > 0 {
				if _, err := stdin.Write(in.Stdin.Data); err != nil {
					return
				}
			}
			if in.Stdin.Close {
				_ = stdin.Close()
			}
		}
		if in.TTYSize != nil {
			sz := drivers.TerminalSize{Height: in.TTYSize.Height, Width: in.TTYSize.Width}
			select { // keep only the latest size
			case <-resize:
			default:
			}
			resize <- sz
		}
	}
}
