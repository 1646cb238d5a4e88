package exec

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// ErrNoCgroup is returned when the host has no usable cgroup hierarchy with
// the memory controller.
var ErrNoCgroup = errors.New("no cgroup hierarchy with the memory controller")

// ErrNoPidsController is returned when a task has a pids limit and the
// hierarchy has no pids controller.
var ErrNoPidsController = errors.New("the cgroup pids controller is not available")

// ErrNoDevicesController is returned on a cgroup v1 host without the devices
// controller mounted: tasks are not started without a device cgroup.
var ErrNoDevicesController = errors.New("the cgroup v1 devices controller is not mounted")

// cgroupFSRoot is where cgroup filesystems are mounted.
const cgroupFSRoot = "/sys/fs/cgroup"

// hierarchy is the cgroup hierarchy the driver puts tasks in.
type hierarchy struct {
	// version is 1 or 2.
	version int
	// mount is the cgroup2 mount point (v2) or the memory controller's mount
	// point (v1).
	mount string
}

// detectHierarchy picks the cgroup hierarchy that has the memory controller:
// the unified hierarchy at /sys/fs/cgroup, else the v1 memory controller,
// else a hybrid host's /sys/fs/cgroup/unified.
func detectHierarchy() (hierarchy, error) {
	if isCgroup2(cgroupFSRoot) {
		if hasV2Controller(cgroupFSRoot, "memory") {
			return hierarchy{version: 2, mount: cgroupFSRoot}, nil
		}
		return hierarchy{}, fmt.Errorf("%w: %s is cgroup v2 without the memory controller", ErrNoCgroup, cgroupFSRoot)
	}
	if mnt, err := v1ControllerMount("memory"); err == nil {
		return hierarchy{version: 1, mount: mnt}, nil
	}
	unified := filepath.Join(cgroupFSRoot, "unified")
	if isCgroup2(unified) && hasV2Controller(unified, "memory") {
		return hierarchy{version: 2, mount: unified}, nil
	}
	return hierarchy{}, ErrNoCgroup
}

func isCgroup2(dir string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false
	}
	return st.Type == unix.CGROUP2_SUPER_MAGIC
}

// hasV2Controller reports whether the cgroup2 root at mount offers controller.
func hasV2Controller(mount, controller string) bool {
	b, err := os.ReadFile(filepath.Join(mount, "cgroup.controllers"))
	if err != nil {
		return false
	}
	return slices.Contains(strings.Fields(string(b)), controller)
}

// v1ControllerMount finds the mount point of a cgroup v1 controller.
func v1ControllerMount(controller string) (string, error) {
	mounts, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup"))
	if err != nil {
		return "", fmt.Errorf("read mountinfo: %w", err)
	}
	for _, m := range mounts {
		if slices.Contains(strings.Split(m.VFSOptions, ","), controller) {
			return m.Mountpoint, nil
		}
	}
	return "", fmt.Errorf("%w: cgroup v1 controller %q is not mounted", ErrNoCgroup, controller)
}

// cgroupLimits are the limits a task cgroup enforces.
type cgroupLimits struct {
	// memoryMax is the hard limit in bytes (0 = none).
	memoryMax int64
	// memorySoft is the soft limit / reservation in bytes (0 = none).
	memorySoft int64
	// cpuShares is the relative CPU weight in v1 shares (0 = default).
	cpuShares uint64
	// pidsMax is the most processes and threads at once (0 = no limit).
	pidsMax int64
}

// limitsFor converts task resources: MemoryMaxMB, when set, is the hard limit
// and MemoryMB the soft one; otherwise MemoryMB is the hard limit.
func limitsFor(memoryMB, memoryMaxMB, cpuShares int64) cgroupLimits {
	const mb = 1 << 20
	var l cgroupLimits
	switch {
	case memoryMaxMB > 0 && memoryMaxMB > memoryMB:
		l.memoryMax = memoryMaxMB * mb
		if memoryMB > 0 {
			l.memorySoft = memoryMB * mb
		}
	case memoryMB > 0:
		l.memoryMax = memoryMB * mb
	}
	if cpuShares > 0 {
		l.cpuShares = uint64(max(cpuShares, 2))
	}
	return l
}

// sharesToWeight maps v1 cpu.shares [2, 262144] onto v2 cpu.weight [1, 10000].
func sharesToWeight(shares uint64) uint64 {
	if shares == 0 {
		return 0
	}
	shares = min(max(shares, 2), 262144)
	return 1 + ((shares-2)*9999)/262142
}

// cgroupStats is a sample of a task cgroup's usage.
type cgroupStats struct {
	memoryUsage uint64
	memoryRSS   uint64
	memoryMax   uint64 // peak usage
	cpuTotalNS  uint64
	cpuUserNS   uint64
	cpuSystemNS uint64
	pids        int
}

// taskCgroup is one task's cgroup. Methods are safe for concurrent use.
type taskCgroup interface {
	// Path is the cgroup's path relative to the hierarchy root.
	Path() string
	// AddProc moves a process into the cgroup.
	AddProc(pid int) error
	// Procs lists the processes in the cgroup and its children.
	Procs() ([]int, error)
	// Kill sends SIGKILL to every process in the cgroup.
	Kill() error
	// OOMKills returns how many processes the kernel's OOM killer killed in
	// the cgroup.
	OOMKills() (uint64, error)
	// Stats samples usage.
	Stats() (cgroupStats, error)
	// Delete removes the cgroup; it fails while processes remain.
	Delete() error
}

// newTaskCgroup creates the cgroup at rel (relative to the hierarchy root)
// with limits.
func newTaskCgroup(h hierarchy, rel string, l cgroupLimits) (taskCgroup, error) {
	switch h.version {
	case 1:
		return newV1Cgroup(rel, l)
	case 2:
		return newV2Cgroup(h.mount, rel, l)
	default:
		return nil, fmt.Errorf("cgroup version %d: %w", h.version, ErrNoCgroup)
	}
}

// loadTaskCgroup opens an existing task cgroup.
func loadTaskCgroup(h hierarchy, rel string) (taskCgroup, error) {
	switch h.version {
	case 1:
		return loadV1Cgroup(rel)
	case 2:
		return loadV2Cgroup(h.mount, rel)
	default:
		return nil, fmt.Errorf("cgroup version %d: %w", h.version, ErrNoCgroup)
	}
}

// cgroupName turns a task ID (allocID/task/suffix) into one path element.
func cgroupName(taskID string) string {
	r := strings.NewReplacer("/", ".", "\x00", "")
	n := r.Replace(taskID)
	if n == "" || n == "." || n == ".." {
		n = "task"
	}
	return n
}

// cgroupRel joins the parent and a task's cgroup name into a path relative
// to the hierarchy root, always starting with "/".
func cgroupRel(parent, taskID string) string {
	return path.Join("/", parent, cgroupName(taskID))
}

// readKeyValue reads a "key value" per line file and returns key's value.
func readKeyValue(file, key string) (uint64, bool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, false, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if !ok || k != key {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, false, fmt.Errorf("parse %s in %s: %w", key, file, err)
		}
		return n, true, nil
	}
	return 0, false, nil
}
