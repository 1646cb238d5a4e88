package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/internal/jsonx"
)

// LogMonitor is the optional capability of AgentInfo that streams the
// agent's logs (*agent.Agent has it); without it /v1/agent/monitor
// answers 501.
type LogMonitor interface {
	MonitorLogs(ctx context.Context, level hclog.Level, asJSON bool) (<-chan []byte, error)
}

// monitorLevels are the log_level values Nomad accepts.
var monitorLevels = map[string]hclog.Level{
	"trace": hclog.Trace, "debug": hclog.Debug, "info": hclog.Info, "warn": hclog.Warn, "error": hclog.Error,
}

// agentMonitor serves GET /v1/agent/monitor?log_level=info&log_json=&plain=
// as Nomad does: this agent's log lines at log_level and above, as
// StreamFrames ({"Data": base64 lines}; {} every 10s while idle), or as
// raw text with plain=true. node_id and server_id (Nomad forwards to that
// agent) are refused: ask that agent's address directly.
func (h *Handler) agentMonitor(w http.ResponseWriter, r *http.Request) {
	mon, ok := h.cfg.Agent.(LogMonitor)
	if !ok {
		http.Error(w, "this agent cannot stream its logs", http.StatusNotImplemented)
		return
	}
	q := r.URL.Query()
	if q.Get("node_id") != "" || q.Get("server_id") != "" {
		writeError(w, badRequest("node_id and server_id are not supported: run monitor against that agent's address"))
		return
	}
	name := strings.ToLower(q.Get("log_level"))
	if name == "" {
		name = "info"
	}
	level, ok := monitorLevels[name]
	if !ok {
		writeError(w, badRequest("log_level: %q is not one of trace, debug, info, warn, error", clipParam(name)))
		return
	}
	asJSON, _ := strconv.ParseBool(q.Get("log_json"))
	plain, _ := strconv.ParseBool(q.Get("plain"))
	lines, err := mon.MonitorLogs(r.Context(), level, asJSON)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotImplemented)
		return
	}
	if plain {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	beat := time.NewTicker(eventHeartbeat)
	defer beat.Stop()
	for {
		var b []byte
		select {
		case <-r.Context().Done():
			return
		case line := <-lines:
			b = line
			if !plain {
				if b, err = jsonx.Append(nil, &api.StreamFrame{Data: line}); err != nil {
					return
				}
				b = append(b, '\n')
			}
		case <-beat.C:
			if plain {
				continue
			}
			b = []byte("{}\n")
		}
		_ = rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout))
		if _, err := w.Write(b); err != nil {
			return
		}
		_ = rc.Flush()
	}
}
