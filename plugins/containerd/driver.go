package containerd

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
)

// Name is the driver's name in job files.
const Name = "containerd"

// Version is the driver's version.
const Version = "0.1.0"

// Driver runs tasks as containerd containers. It is safe for concurrent use.
type Driver struct {
	logger hclog.Logger

	mu       sync.Mutex
	cfg      PluginConfig
	dataDir  string
	client   *containerd.Client
	tasks    map[string]*taskHandle
	oomed    map[string]bool // container IDs containerd reported as OOM killed
	watching bool

	importMu sync.Mutex // one image import at a time

	events drivers.EventBroadcaster // task events (events.go)
}

var (
	_ drivers.Driver   = (*Driver)(nil)
	_ drivers.Signaler = (*Driver)(nil)
	_ drivers.Execer   = (*Driver)(nil)
)

// New returns a containerd driver with the default config.
func New(logger hclog.Logger) drivers.Driver {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	d := &Driver{logger: logger.Named(Name), tasks: map[string]*taskHandle{}, oomed: map[string]bool{}}
	d.cfg.setDefaults()
	return d
}

// Info describes the driver.
func (d *Driver) Info() drivers.Info {
	return drivers.Info{
		Name:    Name,
		Version: Version,
		Capabilities: drivers.Capabilities{
			SendSignals: true,
			Exec:        true,
			FSIsolation: drivers.FSIsolationImage,
			// Host volumes (issue #17).
			MountConfigs: drivers.MountConfigSupportAll,
			// Bridge networking: the container joins the allocation's namespace.
			NetIsolationModes: netIsolationModes,
		},
	}
}

// SetConfig applies the plugin config; a bad config names the field.
func (d *Driver) SetConfig(cfg *drivers.PluginConfig) error {
	var pc PluginConfig
	if cfg != nil {
		if err := decodeStrict(cfg.Config, &pc, "config"); err != nil {
			return err
		}
	}
	if err := pc.validate(); err != nil {
		return err
	}
	pc.setDefaults()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.client != nil && (pc.Address != d.cfg.Address) {
		d.client.Close()
		d.client = nil
	}
	d.cfg = pc
	if cfg != nil {
		d.dataDir = cfg.DataDir
	}
	return nil
}

func (d *Driver) config() PluginConfig {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

// connect returns a client connected to the daemon, dialling when needed.
func (d *Driver) connect(ctx context.Context) (*containerd.Client, context.Context, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	nsCtx := namespaces.WithNamespace(ctx, d.cfg.Namespace)
	if d.client != nil {
		return d.client, nsCtx, nil
	}
	c, err := containerd.New(d.cfg.Address,
		containerd.WithDefaultNamespace(d.cfg.Namespace),
		containerd.WithTimeout(5*time.Second))
	if err != nil {
		return nil, nil, fmt.Errorf("connect to containerd at %s: %w", d.cfg.Address, err)
	}
	d.client = c
	if !d.watching {
		d.watching = true
		go d.watchOOM(c, d.cfg.Namespace)
	}
	return c, nsCtx, nil
}

// dropClient forgets a client whose daemon went away, so the next call redials.
func (d *Driver) dropClient(c *containerd.Client) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.client == c {
		d.client.Close()
		d.client = nil
		d.watching = false
	}
}

// Fingerprint reports whether the daemon is reachable and its version. The
// node is not eligible for containerd tasks while the daemon is down.
func (d *Driver) Fingerprint(ctx context.Context) (*drivers.Fingerprint, error) {
	cfg := d.config()
	if !cfg.enabled() {
		return &drivers.Fingerprint{Health: drivers.HealthUndetected, HealthDescription: "disabled in the plugin config"}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, nsCtx, err := d.connect(ctx)
	if err != nil {
		return &drivers.Fingerprint{Health: drivers.HealthUnhealthy, HealthDescription: err.Error()}, nil
	}
	v, err := c.Version(nsCtx)
	if err != nil {
		d.dropClient(c)
		return &drivers.Fingerprint{
			Health:            drivers.HealthUnhealthy,
			HealthDescription: fmt.Sprintf("containerd at %s is not reachable: %v", cfg.Address, err),
		}, nil
	}
	return &drivers.Fingerprint{
		Health:            drivers.HealthHealthy,
		HealthDescription: "Healthy",
		Attributes: map[string]string{
			"containerd_version":  v.Version,
			"containerd_revision": v.Revision,
			"namespace":           cfg.Namespace,
			"snapshotter":         cfg.Snapshotter,
		},
	}, nil
}

// ValidateTaskConfig checks a task config without starting anything.
func (d *Driver) ValidateTaskConfig(config json.RawMessage) error {
	_, err := ParseTaskConfig(config, d.config())
	return err
}

// watchOOM records containers containerd reports as OOM killed, so that
// their exit can be reported as such.
func (d *Driver) watchOOM(c *containerd.Client, ns string) {
	ctx := namespaces.WithNamespace(context.Background(), ns)
	evCh, errCh := c.Subscribe(ctx, `topic=="/tasks/oom"`)
	for {
		select {
		case ev, ok := <-evCh:
			if !ok {
				return
			}
			id := oomContainerID(ev)
			if id == "" {
				continue
			}
			d.mu.Lock()
			d.oomed[id] = true
			d.mu.Unlock()
			d.logger.Info("container OOM killed", "container_id", id)
		case err := <-errCh:
			if err != nil {
				d.logger.Debug("event stream ended", "error", err)
			}
			d.mu.Lock()
			if d.client == c {
				d.watching = false
			}
			d.mu.Unlock()
			return
		}
	}
}

func (d *Driver) wasOOMKilled(containerID string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.oomed[containerID]
}

func (d *Driver) handle(id string) (*taskHandle, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h, ok := d.tasks[id]
	if !ok {
		return nil, fmt.Errorf("task %q: %w", id, drivers.ErrTaskNotFound)
	}
	return h, nil
}
