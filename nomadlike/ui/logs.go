package ui

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// logTail is how much of a log the live view starts with.
const logTail = 32 << 10

// allocLogs follows a task's stdout or stderr as server-sent events:
// GET /ui/allocations/{id}/logs?task=&type=stdout|stderr. Each event's data
// is a piece of the log (lines joined by the SSE framing); an "end" event
// says the log will not grow (the task is done), a "failure" event why the
// stream failed (403: the token has no read-logs).
func (h *Handler) allocLogs(w http.ResponseWriter, r *http.Request) {
	typ := r.URL.Query().Get("type")
	if typ != "stderr" {
		typ = "stdout"
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	rc := http.NewResponseController(w)
	body, err := h.client(r).Allocations().Logs(ctxOf(r), r.PathValue("id"), api.LogsOptions{
		Task: r.URL.Query().Get("task"), Type: typ, Origin: "end", Offset: logTail, Follow: true})
	if err != nil {
		msg := err.Error()
		var se *api.StatusError
		if errors.As(err, &se) {
			msg = fmt.Sprintf("the API answered %d: %s", se.Code, trim(se.Body))
		}
		sse(w, "failure", msg)
		_ = rc.Flush()
		return
	}
	defer body.Close()
	_, _ = io.WriteString(w, ": following\n\n")
	_ = rc.Flush()
	buf := make([]byte, 16<<10)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if werr := sse(w, "", string(buf[:n])); werr != nil {
				return
			}
			_ = rc.Flush()
		}
		if err != nil {
			if r.Context().Err() == nil {
				sse(w, "end", "the log ended")
				_ = rc.Flush()
			}
			return
		}
	}
}

// sse writes one event; data may hold any text.
func sse(w io.Writer, event, data string) error {
	var b strings.Builder
	if event != "" {
		b.WriteString("event: " + event + "\n")
	}
	data = strings.ToValidUTF8(data, "\uFFFD")
	data = strings.ReplaceAll(data, "\r\n", "\n")
	data = strings.ReplaceAll(data, "\r", "\n")
	for _, line := range strings.Split(data, "\n") {
		b.WriteString("data: " + line + "\n")
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}
