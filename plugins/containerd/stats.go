package containerd

import (
	"context"
	"fmt"
	"time"

	v1stats "github.com/containerd/cgroups/v3/cgroup1/stats"
	v2stats "github.com/containerd/cgroups/v3/cgroup2/stats"
	"github.com/containerd/typeurl/v2"

	"github.com/nomadlike/nomadlike/drivers"
)

// TaskStats reads the container's cgroup metrics through containerd.
func (d *Driver) TaskStats(ctx context.Context, taskID string) (*drivers.TaskResourceUsage, error) {
	h, err := d.handle(taskID)
	if err != nil {
		return nil, err
	}
	if !h.running() {
		return nil, fmt.Errorf("task %s has exited", taskID)
	}
	_, nsCtx, err := d.connect(ctx)
	if err != nil {
		return nil, err
	}
	m, err := h.task.Metrics(nsCtx)
	if err != nil {
		return nil, fmt.Errorf("task %s metrics: %w", taskID, err)
	}
	v, err := typeurl.UnmarshalAny(m.Data)
	if err != nil {
		return nil, fmt.Errorf("task %s metrics: %w", taskID, err)
	}
	u := &drivers.TaskResourceUsage{Timestamp: time.Now()}
	switch s := v.(type) {
	case *v1stats.Metrics:
		if s.Memory != nil {
			if s.Memory.Usage != nil {
				u.MemoryUsage = s.Memory.Usage.Usage
				u.MemoryMax = s.Memory.Usage.Max
			}
			u.MemoryRSS = s.Memory.RSS
		}
		if s.CPU != nil && s.CPU.Usage != nil {
			u.CPUUserNS = s.CPU.Usage.User
			u.CPUSystemNS = s.CPU.Usage.Kernel
		}
		if s.Pids != nil {
			u.Pids = int(s.Pids.Current)
		}
	case *v2stats.Metrics:
		if s.Memory != nil {
			u.MemoryUsage = s.Memory.Usage
			u.MemoryMax = s.Memory.MaxUsage
			u.MemoryRSS = s.Memory.Anon
		}
		if s.CPU != nil {
			u.CPUUserNS = s.CPU.UserUsec * 1000
			u.CPUSystemNS = s.CPU.SystemUsec * 1000
		}
		if s.Pids != nil {
			u.Pids = int(s.Pids.Current)
		}
	default:
		return nil, fmt.Errorf("task %s metrics: unexpected type %T", taskID, v)
	}
	// CPU percent over the task's life so far; the client samples
	// periodically and can difference successive readings.
	if elapsed := time.Since(h.startedAt); elapsed > 0 {
		u.CPUPercent = float64(u.CPUUserNS+u.CPUSystemNS) / float64(elapsed.Nanoseconds()) * 100
	}
	return u, nil
}
