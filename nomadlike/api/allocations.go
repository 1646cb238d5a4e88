package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Allocations is the /v1/allocation(s) part of the API plus the client
// agent endpoints about one allocation (/v1/client/allocation/..., logs).
type Allocations struct{ c *Client }

// Allocations returns the allocation endpoints.
func (c *Client) Allocations() *Allocations { return &Allocations{c: c} }

func allocPath(id, suffix string) string {
	return "/v1/allocation/" + url.PathEscape(id) + suffix
}

func clientAllocPath(id, suffix string) string {
	return "/v1/client/allocation/" + url.PathEscape(id) + suffix
}

// List lists allocations; q.Prefix filters by ID prefix.
func (a *Allocations) List(ctx context.Context, q *QueryOptions) ([]*nomadlike.AllocListStub, *QueryMeta, error) {
	var out []*nomadlike.AllocListStub
	qm, err := a.c.Query(ctx, "/v1/allocations", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// PrefixList lists allocations whose ID starts with prefix, in every
// namespace.
func (a *Allocations) PrefixList(ctx context.Context, prefix string) ([]*nomadlike.AllocListStub, *QueryMeta, error) {
	return a.List(ctx, &QueryOptions{Prefix: prefix, Namespace: "*"})
}

// Info returns one allocation with its job.
func (a *Allocations) Info(ctx context.Context, id string, q *QueryOptions) (*nomadlike.Allocation, *QueryMeta, error) {
	var out nomadlike.Allocation
	qm, err := a.c.Query(ctx, allocPath(id, ""), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Stop asks the servers to stop (and reschedule) an allocation.
func (a *Allocations) Stop(ctx context.Context, id string, q *QueryOptions) (*AllocStopResponse, *WriteMeta, error) {
	var out AllocStopResponse
	wm, err := a.c.Write(ctx, http.MethodPut, allocPath(id, "/stop"), struct{}{}, &out, q)
	if err != nil {
		return nil, nil, err
	}
	if out.Index == 0 {
		out.Index = wm.LastIndex
	}
	return &out, wm, nil
}

// AllocRestartRequest is the body of the client restart endpoint.
type AllocRestartRequest struct {
	TaskName string `json:"TaskName"`
	AllTasks bool   `json:"AllTasks"`
}

// Restart restarts one task of a running allocation in place, or every
// running task when task is "". It does not count against restart policies.
func (a *Allocations) Restart(ctx context.Context, id, task string) error {
	_, err := a.c.Write(ctx, http.MethodPut, clientAllocPath(id, "/restart"), &AllocRestartRequest{TaskName: task, AllTasks: task == ""}, nil, nil)
	return err
}

// AllocSignalRequest is the body of the client signal endpoint.
type AllocSignalRequest struct {
	Task   string `json:"Task"`
	Signal string `json:"Signal"`
}

// Signal sends signal (SIGKILL when empty) to one task, or to every
// running task when task is "".
func (a *Allocations) Signal(ctx context.Context, id, task, signal string) error {
	_, err := a.c.Write(ctx, http.MethodPut, clientAllocPath(id, "/signal"), &AllocSignalRequest{Task: task, Signal: signal}, nil, nil)
	return err
}

// ExecRequest is the body of the (non-interactive) client exec endpoint.
type ExecRequest struct {
	Task    string        `json:"Task"`
	Cmd     []string      `json:"Cmd"`
	Timeout time.Duration `json:"Timeout"`
}

// ExecResponse is the output of a command run inside a task.
type ExecResponse struct {
	ExitCode int    `json:"ExitCode"`
	Stdout   []byte `json:"Stdout"`
	Stderr   []byte `json:"Stderr"`
}

// Exec runs cmd inside a running task and returns its output; task may be
// "" when the group has one task.
func (a *Allocations) Exec(ctx context.Context, id, task string, cmd []string, timeout time.Duration) (*ExecResponse, error) {
	var out ExecResponse
	if _, err := a.c.Write(ctx, http.MethodPut, clientAllocPath(id, "/exec"), &ExecRequest{Task: task, Cmd: cmd, Timeout: timeout}, &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// AllocResourceUsage is an allocation's resource usage, as Nomad's.
type AllocResourceUsage struct {
	ResourceUsage *ResourceUsage                `json:"ResourceUsage"`
	Tasks         map[string]*TaskResourceUsage `json:"Tasks"`
	Timestamp     int64                         `json:"Timestamp"`
}

// TaskResourceUsage is one task's usage. Nomad's Pids is a map of usage
// by process ID, which nomadlike's drivers do not report; PidCount is the
// number of the task's processes (a field Nomad's clients ignore).
type TaskResourceUsage struct {
	ResourceUsage *ResourceUsage `json:"ResourceUsage"`
	Timestamp     int64          `json:"Timestamp"`
	PidCount      int            `json:"PidCount"`
}

// ResourceUsage holds memory and CPU usage.
type ResourceUsage struct {
	MemoryStats *MemoryStats `json:"MemoryStats"`
	CpuStats    *CpuStats    `json:"CpuStats"`
}

// MemoryStats is memory usage in bytes.
type MemoryStats struct {
	RSS      uint64 `json:"RSS"`
	Usage    uint64 `json:"Usage"`
	MaxUsage uint64 `json:"MaxUsage"`
}

// CpuStats is CPU usage: Percent of one core, modes in nanoseconds.
type CpuStats struct {
	Percent    float64 `json:"Percent"`
	UserMode   float64 `json:"UserMode"`
	SystemMode float64 `json:"SystemMode"`
}

// Stats samples the resource usage of the allocation's running tasks.
func (a *Allocations) Stats(ctx context.Context, id string) (*AllocResourceUsage, error) {
	var out AllocResourceUsage
	if _, err := a.c.Query(ctx, clientAllocPath(id, "/stats"), &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// StreamFrame is one piece of a log in the framed (non-plain) log stream.
type StreamFrame struct {
	Offset    int64  `json:"Offset"`
	Data      []byte `json:"Data"`
	File      string `json:"File"`
	FileEvent string `json:"FileEvent,omitempty"`
}

// LogsOptions say which log to read and how.
type LogsOptions struct {
	// Task may be "" when the group has one task.
	Task string
	// Type is "stdout" (default) or "stderr".
	Type string
	// Origin is "start" (default) or "end"; Offset counts bytes from it.
	Origin string
	Offset int64
	// Follow keeps the stream open as the task writes.
	Follow bool
	// NodeID names the node that ran the allocation, for one the servers
	// no longer know whose logs the node keeps (issue #14).
	NodeID string
}

// Logs streams a task's log as raw bytes. With Follow the stream stays
// open until ctx ends, the reader is closed, or the task is done. The
// caller closes the returned reader.
func (a *Allocations) Logs(ctx context.Context, id string, o LogsOptions) (io.ReadCloser, error) {
	params := map[string]string{"plain": "true"}
	if o.Task != "" {
		params["task"] = o.Task
	}
	if o.Type != "" {
		params["type"] = o.Type
	}
	if o.Origin != "" {
		params["origin"] = o.Origin
	}
	if o.Offset != 0 {
		params["offset"] = strconv.FormatInt(o.Offset, 10)
	}
	if o.Follow {
		params["follow"] = "true"
	}
	if o.NodeID != "" {
		params["node_id"] = o.NodeID
	}
	resp, err := a.c.Do(ctx, http.MethodGet, "/v1/client/fs/logs/"+url.PathEscape(id), &QueryOptions{Params: params}, nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// LogFrames streams a task's log as frames (the non-plain form), calling
// f for each until the stream ends or f returns an error.
func (a *Allocations) LogFrames(ctx context.Context, id string, o LogsOptions, f func(*StreamFrame) error) error {
	params := map[string]string{}
	for k, v := range map[string]string{"task": o.Task, "type": o.Type, "origin": o.Origin} {
		if v != "" {
			params[k] = v
		}
	}
	if o.Offset != 0 {
		params["offset"] = strconv.FormatInt(o.Offset, 10)
	}
	if o.Follow {
		params["follow"] = "true"
	}
	resp, err := a.c.Do(ctx, http.MethodGet, "/v1/client/fs/logs/"+url.PathEscape(id), &QueryOptions{Params: params}, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(bufio.NewReader(resp.Body))
	for {
		var fr StreamFrame
		if err := dec.Decode(&fr); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("decode log frame: %w", err)
		}
		if err := f(&fr); err != nil {
			return err
		}
	}
}
