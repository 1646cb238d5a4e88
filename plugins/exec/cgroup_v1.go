package exec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// v1Controllers are the cgroup v1 controllers a task cgroup joins.
var v1Controllers = []cgroup1.Name{cgroup1.Memory, cgroup1.Cpu, cgroup1.Cpuacct, cgroup1.Pids, cgroup1.Freezer, cgroup1.Devices}

// v1Hierarchy is containerd's default v1 hierarchy limited to v1Controllers.
func v1Hierarchy() ([]cgroup1.Subsystem, error) {
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
	return out, nil
}

// v1Cgroup is a task cgroup in the v1 hierarchies (one directory per
// controller, same relative path in each).
type v1Cgroup struct {
	rel string
	cg  cgroup1.Cgroup
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
	c := &v1Cgroup{rel: rel, cg: cg}
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
	return &v1Cgroup{rel: rel, cg: cg}, nil
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
// thaws it so the signals are delivered.
func (c *v1Cgroup) Kill() error {
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

// OOMKills reads memory.oom_control's oom_kill counter (Linux 4.13+).
func (c *v1Cgroup) OOMKills() (uint64, error) {
	mnt, err := v1ControllerMount("memory")
	if err != nil {
		return 0, err
	}
	n, _, err := readKeyValue(filepath.Join(mnt, c.rel, "memory.oom_control"), "oom_kill")
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

func (c *v1Cgroup) Delete() error {
	if err := c.cg.Delete(); err != nil {
		if errors.Is(err, cgroup1.ErrCgroupDeleted) || errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("delete cgroup %s: %w", c.rel, err)
	}
	return nil
}
