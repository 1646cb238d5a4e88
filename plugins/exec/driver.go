package exec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
)

// Name is the driver's name in job files ("driver = \"exec\"").
const Name = "exec"

// Version is the driver's version.
const Version = "0.1.0"

// Driver is the exec driver. It is safe for concurrent use.
type Driver struct {
	logger hclog.Logger

	// startSem bounds the inits building chroots at once: each is a
	// process of this binary, and a thousand started together thrash the
	// host (and time out) instead of finishing sooner.
	startSem chan struct{}

	// noThreadStart is set once the in-process start failed for want of
	// ptrace: later tasks go through the init process directly.
	noThreadStart atomic.Bool

	mu       sync.Mutex
	settings *pluginSettings
	hier     *hierarchy // detected on first use
	tasks    map[string]*task
}

var _ drivers.Driver = (*Driver)(nil)
var _ drivers.Signaler = (*Driver)(nil)

// New returns an exec driver with the default plugin config.
func New(logger hclog.Logger) drivers.Driver {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	s, err := parsePluginConfig(nil)
	if err != nil {
		// The defaults are constants; failing to parse them is a bug.
		panic(fmt.Sprintf("exec: default plugin config: %v", err))
	}
	return &Driver{
		logger:   logger.Named(Name),
		startSem: make(chan struct{}, maxConcurrentStarts()),
		settings: s,
		tasks:    make(map[string]*task),
	}
}

// maxConcurrentStarts is how many task inits run at once: a few per core,
// so that one blocked in I/O does not idle a core.
func maxConcurrentStarts() int { return 4 * runtime.NumCPU() }

// Info describes the driver.
func (d *Driver) Info() drivers.Info {
	return drivers.Info{
		Name:    Name,
		Version: Version,
		Capabilities: drivers.Capabilities{
			SendSignals: true,
			Exec:        true,
			FSIsolation: drivers.FSIsolationChroot,
			// Host volumes (issue #17).
			MountConfigs: drivers.MountConfigSupportAll,
			// Bridge networking: the task joins the allocation's namespace.
			NetIsolationModes: netIsolationModes,
		},
	}
}

// SetConfig validates and applies the plugin config.
func (d *Driver) SetConfig(cfg *drivers.PluginConfig) error {
	var raw json.RawMessage
	if cfg != nil {
		raw = cfg.Config
	}
	s, err := parsePluginConfig(raw)
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.settings = s
	d.mu.Unlock()
	return nil
}

func (d *Driver) pluginSettings() *pluginSettings {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.settings
}

// hierarchy returns the cgroup hierarchy tasks go in, detecting it once.
func (d *Driver) hierarchy() (hierarchy, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.hier != nil {
		return *d.hier, nil
	}
	h, err := detectHierarchy()
	if err != nil {
		return hierarchy{}, err
	}
	d.hier = &h
	return h, nil
}

// Fingerprint reports the driver healthy when it runs as root on a host with
// a cgroup hierarchy that has the memory controller.
func (d *Driver) Fingerprint(ctx context.Context) (*drivers.Fingerprint, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return &drivers.Fingerprint{
			Health:            drivers.HealthUndetected,
			HealthDescription: "exec driver must run as root",
			Attributes:        map[string]string{},
		}, nil
	}
	h, err := d.hierarchy()
	if err != nil {
		return &drivers.Fingerprint{
			Health:            drivers.HealthUnhealthy,
			HealthDescription: fmt.Sprintf("cgroups: %v", err),
			Attributes:        map[string]string{},
		}, nil
	}
	return &drivers.Fingerprint{
		Health:            drivers.HealthHealthy,
		HealthDescription: "healthy",
		Attributes: map[string]string{
			"cgroup_version": strconv.Itoa(h.version),
			"cgroup_mount":   h.mount,
		},
	}, nil
}

// ValidateTaskConfig checks a task config without starting anything.
func (d *Driver) ValidateTaskConfig(config json.RawMessage) error {
	_, err := parseTaskConfig(config, d.pluginSettings())
	return err
}

// lookupTask returns a known task or an error wrapping drivers.ErrTaskNotFound.
func (d *Driver) lookupTask(id string) (*task, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.tasks[id]
	if !ok || t == nil { // nil: still starting or recovering
		return nil, fmt.Errorf("task %q: %w", id, drivers.ErrTaskNotFound)
	}
	return t, nil
}

// ErrTaskRunning is returned by DestroyTask without force for a running task.
var ErrTaskRunning = errors.New("task is still running")
