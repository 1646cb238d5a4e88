package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocrunner"
	"github.com/nomadlike/nomadlike/nomadlike/client/logs"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
)

// Handler serves the client's own endpoints for the allocations it runs:
//
//	GET      /v1/client/fs/logs/:alloc?task=&type=stdout|stderr&follow=&origin=start|end&offset=&plain=
//	GET      /v1/client/fs/{ls,stat,cat,readat,stream}/:alloc?path=...   (fs.go)
//	GET      /v1/client/allocation/:alloc/stats
//	GET      /v1/client/allocation/:alloc/checks
//	PUT/POST /v1/client/allocation/:alloc/restart  {"TaskName": "", "AllTasks": false}
//	PUT/POST /v1/client/allocation/:alloc/signal   {"Task": "", "Signal": "SIGHUP"}
//	PUT/POST /v1/client/allocation/:alloc/exec     {"Task": "", "Cmd": ["ls"], "Timeout": ns} (non-interactive)
//	GET      /v1/client/allocation/:alloc/exec?task=&command=[...]&tty= (websocket, as Nomad's: exec_stream.go)
//	PUT/POST /v1/client/allocation/:alloc/stop     (kills the tasks here; servers stop allocs with PUT /v1/allocation/:id/stop)
//	GET      /v1/client/stats
//	GET      /v1/client/allocations                 (the client's own view)
//
// The routes and their ACL requirements are in clientRoutes (authz.go).
// Request bodies are capped at MaxRequestBody (413 past it); errors quote
// at most a short prefix of what the request named.
func (c *Client) Handler() http.Handler {
	mux := http.NewServeMux()
	c.registerRoutes(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reqlimit.Body(w, r, MaxRequestBody) {
			mux.ServeHTTP(w, r)
		}
	})
}

// MaxRequestBody caps every request body the client's handler reads: the
// largest, an exec command line, is a few KiB.
const MaxRequestBody = 64 << 10

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// httpError maps an error to its status in one place.
func httpError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, errUnknownAlloc), errors.Is(err, allocrunner.ErrUnknownTask), errors.Is(err, os.ErrNotExist):
		code = http.StatusNotFound
	case errors.Is(err, nomadlike.ErrPermission), errors.Is(err, nomadlike.ErrTokenNotFound):
		code = http.StatusForbidden
	case errors.Is(err, errBadRequest), errors.Is(err, logs.ErrBadType), errors.Is(err, allocrunner.ErrBadSignal):
		code = http.StatusBadRequest
	case reqlimit.IsTooLarge(err):
		code = http.StatusRequestEntityTooLarge
	case errors.Is(err, allocrunner.ErrTaskNotRunning), errors.Is(err, ErrNotTerminal):
		code = http.StatusConflict
	case errors.Is(err, drivers.ErrNotSupported):
		code = http.StatusNotImplemented
	}
	http.Error(w, err.Error(), code)
}

var (
	errUnknownAlloc = errors.New("unknown allocation")
	errBadRequest   = errors.New("bad request")
)

func (c *Client) lookup(r *http.Request) (*allocrunner.AllocRunner, error) {
	id := r.PathValue("alloc")
	ar, ok := c.runner(id)
	if !ok {
		return nil, fmt.Errorf("%w %s", errUnknownAlloc, reqlimit.Quote(id))
	}
	return ar, nil
}

// pickTask returns the task named by the request, or the group's only task.
func pickTask(ar *allocrunner.AllocRunner, name string) (string, error) {
	if name != "" {
		if _, err := ar.TaskRunner(name); err != nil {
			return "", err
		}
		return name, nil
	}
	names := ar.TaskNames()
	if len(names) == 1 {
		return names[0], nil
	}
	return "", fmt.Errorf("%w: the group has several tasks (%s); name one", errBadRequest, strings.Join(names, ", "))
}

func (c *Client) handleLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	src, err := c.logSource(r, q.Get("task"))
	if err != nil {
		httpError(w, err)
		return
	}
	task := src.task
	typ := q.Get("type")
	if typ == "" {
		typ = "stdout"
	}
	if typ != "stdout" && typ != "stderr" {
		httpError(w, fmt.Errorf("%q: %w", typ, logs.ErrBadType))
		return
	}
	origin := q.Get("origin")
	if origin == "" {
		origin = logs.OriginStart
	}
	if origin != logs.OriginStart && origin != logs.OriginEnd {
		httpError(w, fmt.Errorf("%w: origin must be start or end", errBadRequest))
		return
	}
	var offset int64
	if s := q.Get("offset"); s != "" {
		if offset, err = strconv.ParseInt(s, 10, 64); err != nil || offset < 0 {
			httpError(w, fmt.Errorf("%w: offset must be a non-negative integer", errBadRequest))
			return
		}
	}
	follow, _ := strconv.ParseBool(q.Get("follow"))
	plain, _ := strconv.ParseBool(q.Get("plain"))
	opts := logs.Options{Dir: src.dir, Task: task, Type: typ, Origin: origin, Offset: offset, Follow: follow, DoneCh: src.doneCh}
	if plain {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	enc := json.NewEncoder(w)
	err = logs.Stream(r.Context(), opts, func(ch logs.Chunk) error {
		var werr error
		if plain {
			_, werr = w.Write(ch.Data)
		} else {
			werr = enc.Encode(api.StreamFrame{Offset: ch.Offset, Data: ch.Data, File: "alloc/logs/" + ch.File})
		}
		if flusher != nil {
			flusher.Flush()
		}
		return werr
	})
	switch {
	case errors.Is(err, logs.ErrRefusedFile):
		// Only a task that can write to alloc/logs can plant such a file.
		c.logger.Warn("log stream stopped at a file no driver wrote", "alloc_id", r.PathValue("alloc"), "task", task, "error", err)
	case err != nil && r.Context().Err() == nil:
		c.logger.Debug("log stream ended", "error", err)
	}
}

func (c *Client) handleAllocStats(w http.ResponseWriter, r *http.Request) {
	ar, err := c.lookup(r)
	if err != nil {
		httpError(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	out := &api.AllocResourceUsage{Tasks: map[string]*api.TaskResourceUsage{}, Timestamp: time.Now().UnixNano(),
		ResourceUsage: &api.ResourceUsage{MemoryStats: &api.MemoryStats{}, CpuStats: &api.CpuStats{}}}
	for name, u := range ar.Stats(ctx) {
		ru := &api.ResourceUsage{
			MemoryStats: &api.MemoryStats{RSS: u.MemoryRSS, Usage: u.MemoryUsage, MaxUsage: u.MemoryMax},
			CpuStats:    &api.CpuStats{Percent: u.CPUPercent, UserMode: float64(u.CPUUserNS), SystemMode: float64(u.CPUSystemNS)},
		}
		out.Tasks[name] = &api.TaskResourceUsage{ResourceUsage: ru, Timestamp: u.Timestamp.UnixNano(), PidCount: u.Pids}
		t := out.ResourceUsage
		t.MemoryStats.RSS += u.MemoryRSS
		t.MemoryStats.Usage += u.MemoryUsage
		t.MemoryStats.MaxUsage += u.MemoryMax
		t.CpuStats.Percent += u.CPUPercent
		t.CpuStats.UserMode += float64(u.CPUUserNS)
		t.CpuStats.SystemMode += float64(u.CPUSystemNS)
	}
	writeJSON(w, out)
}

func decodeBody(r *http.Request, v any) error {
	if r.Body == nil || r.ContentLength == 0 {
		return nil
	}
	var mbe *http.MaxBytesError
	if err := json.NewDecoder(r.Body).Decode(v); errors.As(err, &mbe) {
		return reqlimit.TooLarge(mbe.Limit)
	} else if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: body: %s", errBadRequest, reqlimit.Clip(err.Error(), 256))
	}
	return nil
}

func (c *Client) handleRestart(w http.ResponseWriter, r *http.Request) {
	ar, err := c.lookup(r)
	if err != nil {
		httpError(w, err)
		return
	}
	var req struct {
		TaskName string `json:"TaskName"`
		AllTasks bool   `json:"AllTasks"`
	}
	if err := decodeBody(r, &req); err != nil {
		httpError(w, err)
		return
	}
	task := req.TaskName
	if req.AllTasks {
		task = ""
	}
	if err := ar.Restart(task); err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, map[string]any{})
}

func (c *Client) handleSignal(w http.ResponseWriter, r *http.Request) {
	ar, err := c.lookup(r)
	if err != nil {
		httpError(w, err)
		return
	}
	var req struct {
		Task   string `json:"Task"`
		Signal string `json:"Signal"`
	}
	if err := decodeBody(r, &req); err != nil {
		httpError(w, err)
		return
	}
	if req.Signal == "" {
		req.Signal = "SIGKILL"
	}
	// Checked before the task is looked at: nothing is recorded or sent
	// for a signal that is not one.
	sig, err := allocrunner.ParseSignal(req.Signal)
	if err != nil {
		httpError(w, err)
		return
	}
	if err := ar.Signal(req.Task, sig); err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, map[string]any{})
}

func (c *Client) handleExec(w http.ResponseWriter, r *http.Request) {
	ar, err := c.lookup(r)
	if err != nil {
		httpError(w, err)
		return
	}
	var req api.ExecRequest
	if err := decodeBody(r, &req); err != nil {
		httpError(w, err)
		return
	}
	if len(req.Cmd) == 0 {
		httpError(w, fmt.Errorf("%w: Cmd: required", errBadRequest))
		return
	}
	task, err := pickTask(ar, req.Task)
	if err != nil {
		httpError(w, err)
		return
	}
	tr, _ := ar.TaskRunner(task)
	if req.Timeout <= 0 {
		req.Timeout = time.Minute
	}
	res, err := tr.Exec(req.Cmd, req.Timeout)
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, api.ExecResponse{ExitCode: res.ExitCode, Stdout: res.Stdout, Stderr: res.Stderr})
}

func (c *Client) handleStop(w http.ResponseWriter, r *http.Request) {
	ar, err := c.lookup(r)
	if err != nil {
		httpError(w, err)
		return
	}
	ar.Kill()
	writeJSON(w, map[string]any{})
}

// StopAllocation kills the tasks of allocation id here, as PUT
// /v1/client/allocation/:id/stop does, for the agent itself (no token).
func (c *Client) StopAllocation(id string) error {
	ar, ok := c.runner(id)
	if !ok {
		return fmt.Errorf("%w %s", errUnknownAlloc, reqlimit.Quote(id))
	}
	ar.Kill()
	return nil
}

// HostStats is the reply of /v1/client/stats (a subset of Nomad's).
type HostStats struct {
	Memory    *HostMemoryStats `json:"Memory"`
	DiskStats []*HostDiskStats `json:"DiskStats"`
	Uptime    uint64           `json:"Uptime"`
	Timestamp int64            `json:"Timestamp"`
}

// HostMemoryStats is host memory in bytes.
type HostMemoryStats struct {
	Total     uint64 `json:"Total"`
	Available uint64 `json:"Available"`
	Used      uint64 `json:"Used"`
	Free      uint64 `json:"Free"`
}

// HostDiskStats is the data dir's file system.
type HostDiskStats struct {
	Mountpoint string `json:"Mountpoint"`
	Size       uint64 `json:"Size"`
	Used       uint64 `json:"Used"`
	Available  uint64 `json:"Available"`
}

func (c *Client) handleHostStats(w http.ResponseWriter, r *http.Request) {
	hs := &HostStats{Timestamp: time.Now().UnixNano(), Memory: &HostMemoryStats{}}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			switch k {
			case "MemTotal":
				hs.Memory.Total = n * 1024
			case "MemAvailable":
				hs.Memory.Available = n * 1024
			case "MemFree":
				hs.Memory.Free = n * 1024
			}
		}
		hs.Memory.Used = hs.Memory.Total - hs.Memory.Available
	}
	if b, err := os.ReadFile("/proc/uptime"); err == nil {
		if f, err := strconv.ParseFloat(strings.Fields(string(b))[0], 64); err == nil {
			hs.Uptime = uint64(f)
		}
	}
	if d, err := diskStats(filepath.Join(c.cfg.DataDir)); err == nil {
		hs.DiskStats = []*HostDiskStats{d}
	}
	writeJSON(w, hs)
}
