package exec

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// v1Controllers are the cgroup v1 controllers a task cgroup joins.
var v1Controllers = []cgroup1.Name{cgroup1.Memory, cgroup1.Cpu, cgroup1.Cpuacct, cgroup1.Pids, cgroup1.Freezer, cgroup1.Devices}

var (
	v1HierMu     sync.Mutex
	v1HierCached []cgroup1.Subsystem
)

// v1Hierarchy is containerd's default v1 hierarchy limited to v1Controllers,
// found once (it reads the mount table and /proc/self/cgroup).
func v1Hierarchy() ([]cgroup1.Subsystem, error) {
	v1HierMu.Lock()
	defer v1HierMu.Unlock()
	if v1HierCached != nil {
		return v1HierCached, nil
	}
	all, err := cgroup1.Default()
	if err != nil {
		return nil, err
	}
	var out []cgroup1.Subsystem
	for _, s := range all {
		if slices.Contains(v1Controllers, s.Name()) {
			out = append(out, s)
		}
	}
	v1HierCached = out
	return out, nil
}

// v1Cgroup is a task cgroup in the v1 hierarchies (one directory per
// controller, same relative path in each).
type v1Cgroup struct {
	rel string
	cg  cgroup1.Cgroup
	// dirs are the cgroup's directory in each controller's hierarchy;
	// names the controllers of dirs; memory and pids are the memory and
	// pids controllers' directories.
	dirs   []string
	names  []string
	memory string
	pids   string
}

// pather is what a cgroup1 controller implements to place a cgroup.
type pather interface{ Path(rel string) string }

// newV1 records the directories of cg.
func newV1(rel string, cg cgroup1.Cgroup) *v1Cgroup {
	c := &v1Cgroup{rel: rel, cg: cg}
	for _, s := range cg.Subsystems() {
		p, ok := s.(pather)
		if !ok {
			continue
		}
		dir := p.Path(rel)
		c.dirs = append(c.dirs, dir)
		c.names = append(c.names, string(s.Name()))
		switch s.Name() {
		case cgroup1.Memory:
			c.memory = dir
		case cgroup1.Pids:
			c.pids = dir
		}
	}
	return c
}

func newV1Cgroup(rel string, l cgroupLimits) (*v1Cgroup, error) {
	res := &specs.LinuxResources{}
	if l.memoryMax > 0 || l.memorySoft > 0 {
		res.Memory = &specs.LinuxMemory{}
		if l.memoryMax > 0 {
			res.Memory.Limit = &l.memoryMax
			// No swapping: over the limit means the OOM killer, as Nomad.
			swappiness := uint64(0)
			res.Memory.Swappiness = &swappiness
		}
		if l.memorySoft > 0 {
			res.Memory.Reservation = &l.memorySoft
		}
	}
	if l.cpuShares > 0 {
		shares := l.cpuShares
		res.CPU = &specs.LinuxCPU{Shares: &shares}
	}
	if l.pidsMax > 0 {
		pids := l.pidsMax
		res.Pids = &specs.LinuxPids{Limit: &pids}
	}
	res.Devices = taskDeviceRules()
	cg, err := cgroup1.New(cgroup1.StaticPath(rel), res, cgroup1.WithHierarchy(v1Hierarchy))
	if err != nil {
		return nil, fmt.Errorf("create cgroup v1 %s: %w", rel, err)
	}
	c := newV1(rel, cg)
	// Fail closed: a limit whose controller is not mounted would be
	// silently absent.
	var missing error
	switch {
	case !c.has(cgroup1.Memory):
		missing = ErrNoCgroup
	case l.pidsMax > 0 && !c.has(cgroup1.Pids):
		missing = fmt.Errorf("%w (pids_limit %d needs it; the plugin's pids_limit = 0 disables the limit)", ErrNoPidsController, l.pidsMax)
	case !c.has(cgroup1.Devices):
		missing = ErrNoDevicesController
	}
	if missing != nil {
		_ = cg.Delete()
		return nil, fmt.Errorf("create cgroup v1 %s: %w", rel, missing)
	}
	return c, nil
}

func loadV1Cgroup(rel string) (*v1Cgroup, error) {
	cg, err := cgroup1.Load(cgroup1.StaticPath(rel), cgroup1.WithHierarchy(v1Hierarchy))
	if err != nil {
		return nil, fmt.Errorf("load cgroup v1 %s: %w", rel, err)
	}
	return newV1(rel, cg), nil
}

// has reports whether the cgroup joined controller name.
func (c *v1Cgroup) has(name cgroup1.Name) bool {
	for _, s := range c.cg.Subsystems() {
		if s.Name() == name {
			return true
		}
	}
	return false
}

func (c *v1Cgroup) Path() string { return c.rel }

func (c *v1Cgroup) AddProc(pid int) error {
	if err := c.cg.AddProc(uint64(pid)); err != nil {
		return fmt.Errorf("add pid %d to cgroup %s: %w", pid, c.rel, err)
	}
	return nil
}

func (c *v1Cgroup) Procs() ([]int, error) {
	procs, err := c.cg.Processes(cgroup1.Memory, true)
	if err != nil {
		return nil, fmt.Errorf("list processes of cgroup %s: %w", c.rel, err)
	}
	out := make([]int, 0, len(procs))
	for _, p := range procs {
		out = append(out, p.Pid)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Kill freezes the cgroup so no process can fork, SIGKILLs every process and
// thaws it so the signals are delivered. An empty cgroup (the usual case:
// a task in its own PID namespace takes every process of it along when it
// exits) is left alone.
func (c *v1Cgroup) Kill() error {
	if c.empty() {
		return nil
	}
	frozen := c.cg.Freeze() == nil
	pids, err := c.Procs()
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, pid := range pids {
		if err := unix.Kill(pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("kill pid %d: %w", pid, err))
		}
	}
	if frozen {
		if err := c.cg.Thaw(); err != nil {
			errs = append(errs, fmt.Errorf("thaw cgroup %s: %w", c.rel, err))
		}
	}
	return errors.Join(errs...)
}

// empty reports whether the memory controller's cgroup.procs lists no
// process (a task cgroup has no child cgroups: the task cannot see the
// cgroup filesystem). A process that joins later keeps Delete from
// succeeding, and deleteCgroup then kills it.
func (c *v1Cgroup) empty() bool {
	if c.memory == "" {
		return false
	}
	b, err := os.ReadFile(filepath.Join(c.memory, "cgroup.procs"))
	return err == nil && len(bytes.TrimSpace(b)) == 0
}

// OOMKills reads memory.oom_control's oom_kill counter (Linux 4.13+).
func (c *v1Cgroup) OOMKills() (uint64, error) {
	dir := c.memory
	if dir == "" {
		mnt, err := v1ControllerMount("memory")
		if err != nil {
			return 0, err
		}
		dir = filepath.Join(mnt, c.rel)
	}
	n, _, err := readKeyValue(filepath.Join(dir, "memory.oom_control"), "oom_kill")
	return n, err
}

func (c *v1Cgroup) Stats() (cgroupStats, error) {
	m, err := c.cg.Stat(cgroup1.IgnoreNotExist)
	if err != nil {
		return cgroupStats{}, fmt.Errorf("stat cgroup %s: %w", c.rel, err)
	}
	var s cgroupStats
	if m.Memory != nil {
		s.memoryRSS = m.Memory.TotalRSS
		if m.Memory.Usage != nil {
			s.memoryUsage = m.Memory.Usage.Usage
			s.memoryMax = m.Memory.Usage.Max
		}
	}
	if m.CPU != nil && m.CPU.Usage != nil {
		s.cpuTotalNS = m.CPU.Usage.Total
		s.cpuUserNS = m.CPU.Usage.User
		s.cpuSystemNS = m.CPU.Usage.Kernel
	}
	if m.Pids != nil {
		s.pids = int(m.Pids.Current)
	}
	return s, nil
}

// Delete removes the cgroup's directory in each hierarchy; the kernel
// refuses (EBUSY) while a process remains. (The library's Delete walks
// every file of every directory first.)
func (c *v1Cgroup) Delete() error {
	if len(c.dirs) > 0 {
		var errs []error
		for _, dir := range c.dirs {
			if err := unix.Rmdir(dir); err != nil && !errors.Is(err, unix.ENOENT) {
				errs = append(errs, fmt.Errorf("delete cgroup %s: %w", dir, err))
			}
		}
		return errors.Join(errs...)
	}
	if err := c.cg.Delete(); err != nil {
		if errors.Is(err, cgroup1.ErrCgroupDeleted) || errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("delete cgroup %s: %w", c.rel, err)
	}
	return nil
}
