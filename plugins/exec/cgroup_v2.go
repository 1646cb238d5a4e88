package exec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/containerd/cgroups/v3/cgroup2"
)

// v2Cgroup is a task cgroup in the unified hierarchy.
type v2Cgroup struct {
	mount string
	rel   string
	m     *cgroup2.Manager
}

func newV2Cgroup(mount, rel string, l cgroupLimits) (*v2Cgroup, error) {
	res := &cgroup2.Resources{}
	if l.memoryMax > 0 || l.memorySoft > 0 {
		if !hasV2Controller(mount, "memory") {
			return nil, fmt.Errorf("create cgroup v2 %s: memory limit requested: %w", rel, ErrNoCgroup)
		}
		res.Memory = &cgroup2.Memory{}
		if l.memoryMax > 0 {
			res.Memory.Max = &l.memoryMax
		}
		if l.memorySoft > 0 {
			res.Memory.Low = &l.memorySoft
		}
	}
	if l.cpuShares > 0 && hasV2Controller(mount, "cpu") {
		w := sharesToWeight(l.cpuShares)
		res.CPU = &cgroup2.CPU{Weight: &w}
	}
	if l.pidsMax > 0 {
		if !hasV2Controller(mount, "pids") {
			return nil, fmt.Errorf("create cgroup v2 %s: %w (pids_limit %d needs it; the plugin's pids_limit = 0 disables the limit)", rel, ErrNoPidsController, l.pidsMax)
		}
		res.Pids = &cgroup2.Pids{Max: l.pidsMax}
	}
	// cgroup v2 has no devices controller: the library attaches an eBPF
	// program to the cgroup that applies these rules. A kernel that cannot
	// load it fails the start.
	res.Devices = taskDeviceRules()
	m, err := cgroup2.NewManager(mount, rel, res)
	if err != nil {
		return nil, fmt.Errorf("create cgroup v2 %s: %w", rel, err)
	}
	return &v2Cgroup{mount: mount, rel: rel, m: m}, nil
}

func loadV2Cgroup(mount, rel string) (*v2Cgroup, error) {
	if _, err := os.Stat(filepath.Join(mount, rel, "cgroup.procs")); err != nil {
		return nil, fmt.Errorf("load cgroup v2 %s: %w", rel, err)
	}
	m, err := cgroup2.Load(rel, cgroup2.WithMountpoint(mount))
	if err != nil {
		return nil, fmt.Errorf("load cgroup v2 %s: %w", rel, err)
	}
	return &v2Cgroup{mount: mount, rel: rel, m: m}, nil
}

func (c *v2Cgroup) Path() string { return c.rel }

func (c *v2Cgroup) dir() string { return filepath.Join(c.mount, c.rel) }

func (c *v2Cgroup) AddProc(pid int) error {
	if err := c.m.AddProc(uint64(pid)); err != nil {
		return fmt.Errorf("add pid %d to cgroup %s: %w", pid, c.rel, err)
	}
	return nil
}

func (c *v2Cgroup) Procs() ([]int, error) {
	procs, err := c.m.Procs(true)
	if err != nil {
		return nil, fmt.Errorf("list processes of cgroup %s: %w", c.rel, err)
	}
	out := make([]int, 0, len(procs))
	for _, p := range procs {
		out = append(out, int(p))
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Kill writes cgroup.kill (Linux 5.14+); the library falls back to freezing
// and signalling every process.
func (c *v2Cgroup) Kill() error {
	if err := c.m.Kill(); err != nil {
		return fmt.Errorf("kill cgroup %s: %w", c.rel, err)
	}
	return nil
}

// OOMKills reads memory.events' oom_kill counter.
func (c *v2Cgroup) OOMKills() (uint64, error) {
	n, _, err := readKeyValue(filepath.Join(c.dir(), "memory.events"), "oom_kill")
	return n, err
}

// enabled lists the controllers enabled in this cgroup.
func (c *v2Cgroup) enabled() []string {
	b, err := os.ReadFile(filepath.Join(c.dir(), "cgroup.controllers"))
	if err != nil {
		return nil
	}
	return strings.Fields(string(b))
}

func (c *v2Cgroup) Stats() (cgroupStats, error) {
	mask := cgroup2.StatCPU
	if slices.Contains(c.enabled(), "memory") {
		mask |= cgroup2.StatMemory
	}
	m, err := c.m.StatFiltered(mask)
	if err != nil {
		return cgroupStats{}, fmt.Errorf("stat cgroup %s: %w", c.rel, err)
	}
	var s cgroupStats
	if m.CPU != nil {
		s.cpuTotalNS = m.CPU.UsageUsec * 1000
		s.cpuUserNS = m.CPU.UserUsec * 1000
		s.cpuSystemNS = m.CPU.SystemUsec * 1000
	}
	if m.Memory != nil {
		s.memoryUsage = m.Memory.Usage
		s.memoryRSS = m.Memory.Anon
		s.memoryMax = m.Memory.MaxUsage
	}
	procs, err := c.Procs()
	if err != nil {
		return cgroupStats{}, err
	}
	s.pids = len(procs)
	return s, nil
}

func (c *v2Cgroup) Delete() error {
	if err := c.m.Delete(); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("delete cgroup %s: %w", c.rel, err)
	}
	return nil
}
