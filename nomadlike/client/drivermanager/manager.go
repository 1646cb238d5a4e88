package drivermanager

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// ErrUnknownDriver is returned by Driver for a name no plugin serves.
var ErrUnknownDriver = errors.New("unknown driver")

// Store persists plugins' reattach configs (localstate.DB satisfies it).
type Store interface {
	DriverPlugins() (map[string]json.RawMessage, error)
	PutDriverPlugin(name string, reattach json.RawMessage) error
	DeleteDriverPlugin(name string) error
}

// Config configures a Manager.
type Config struct {
	// Specs are the plugins to run, by driver name.
	Specs []drivers.PluginSpec
	// PluginConfigs are the plugin "NAME" { config {...} } blocks as JSON.
	PluginConfigs map[string]json.RawMessage
	Launcher      Launcher
	Store         Store
	// DataDir holds one directory per driver for the driver's own state.
	DataDir      string
	AgentVersion string
	// FingerprintInterval is how often drivers are fingerprinted (30s by
	// default): shorter notices broken drivers sooner at a small CPU cost.
	FingerprintInterval time.Duration
	Logger              hclog.Logger
	// StopOnShutdown makes Shutdown stop the plugin processes (Kill: the
	// plugin is asked to exit, and exits cleanly, so go-plugin logs no
	// error) instead of disconnecting from them.
	StopOnShutdown bool
	// InProcess holds, by driver name, a constructor of the driver's code
	// linked into this process (the built-in drivers). Such a driver is
	// fingerprinted in process and its plugin process is launched only
	// when needed, then stopped after IdleGrace without task (lazy.go).
	// Drivers without one (plugin_dir) are launched at Start as before.
	InProcess map[string]func(hclog.Logger) drivers.Driver
	// IdleGrace is how long the plugin process of an InProcess driver
	// runs with no task and no call before it is stopped; 0 never stops
	// it.
	IdleGrace time.Duration
}

// Manager is safe for concurrent use.
type Manager struct {
	cfg      Config
	logger   hclog.Logger
	updateCh chan struct{}

	mu      sync.Mutex
	plugins map[string]*instance

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type instance struct {
	spec   drivers.PluginSpec
	plugin Plugin // nil when it could not be started (or not yet, if lazy)
	info   *nomadlike.DriverInfo
	// Lazily launched drivers (lazy.go): local is the in-process driver
	// that fingerprints (localErr its configuration error); gen is the
	// running plugin process's generation, set with plugin.
	local    drivers.Driver
	localErr error
	gen      *generation
	// Relaunch backoff: failed launches in a row, the earliest next try
	// and the last launch error.
	failures int
	retryAt  time.Time
	lastErr  error
}

// Relaunch backoff of a plugin that fails to start: relaunchFirst after the
// first failure, doubling up to relaunchMax.
const (
	relaunchFirst = 200 * time.Millisecond
	relaunchMax   = 30 * time.Second
)

// ErrRelaunchBackoff is returned by Driver while a plugin that failed to
// start waits for its next launch.
var ErrRelaunchBackoff = errors.New("driver plugin failed to start; waiting before the next launch")

// New returns a manager; nothing runs until Start.
func New(cfg Config) *Manager {
	if cfg.FingerprintInterval <= 0 {
		cfg.FingerprintInterval = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{
		cfg:      cfg,
		logger:   cfg.Logger.Named("drivers"),
		updateCh: make(chan struct{}, 1),
		plugins:  map[string]*instance{},
		ctx:      ctx,
		cancel:   cancel,
	}
}

// Start reattaches to the plugins a previous agent left running, launches
// the others, configures and fingerprints every driver, then fingerprints
// them periodically. A driver that fails to start is reported undetected;
// Start fails only when the store cannot be read.
func (m *Manager) Start() error {
	saved, err := m.cfg.Store.DriverPlugins()
	if err != nil {
		return fmt.Errorf("read plugin reattach configs: %w", err)
	}
	// Each plugin starts in its own goroutine: a process launch and its
	// handshake take 40-120 ms each, and the node registers only after.
	wanted := map[string]bool{}
	var wg sync.WaitGroup
	for _, spec := range m.cfg.Specs {
		wanted[spec.Name] = true
		inst := &instance{spec: spec}
		if newLocal := m.cfg.InProcess[spec.Name]; newLocal != nil {
			inst.local = newLocal(m.cfg.Logger.Named("driver").Named(spec.Name))
			inst.localErr = m.configure(spec.Name, inst.local)
		}
		m.mu.Lock()
		m.plugins[spec.Name] = inst
		m.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.startOne(inst, saved[spec.Name])
		}()
	}
	wg.Wait()
	for name := range saved {
		if !wanted[name] {
			_ = m.cfg.Store.DeleteDriverPlugin(name)
		}
	}
	m.fingerprintAll()
	m.wg.Add(1)
	go m.fingerprintLoop()
	if len(m.cfg.InProcess) > 0 && m.cfg.IdleGrace > 0 {
		m.wg.Add(1)
		go m.idleLoop()
	}
	return nil
}

// startOne reattaches to inst's plugin left running by a previous agent
// (rc, when saved) or launches a new one. Start runs one per plugin at once.
func (m *Manager) startOne(inst *instance, rc json.RawMessage) {
	name := inst.spec.Name
	if len(rc) > 0 {
		p, err := m.cfg.Launcher.Reattach(name, rc)
		if err == nil && !p.Exited() {
			if err = m.configure(name, p.Driver()); err == nil {
				m.logger.Info("reattached to driver plugin", "driver", name)
				m.mu.Lock()
				m.setPluginLocked(inst, p)
				m.mu.Unlock()
				return
			}
			p.Disconnect()
		}
		if inst.local != nil {
			m.logger.Info("cannot reattach to driver plugin; a new one is launched when needed", "driver", name, "error", err)
			_ = m.cfg.Store.DeleteDriverPlugin(name)
			return
		}
		m.logger.Info("cannot reattach to driver plugin, launching a new one", "driver", name, "error", err)
	}
	if inst.local != nil {
		return // launched on first use (lazy.go)
	}
	p, err := m.spawn(inst.spec)
	m.mu.Lock()
	m.recordLaunchLocked(inst, p, err)
	m.mu.Unlock()
	if err != nil {
		m.logger.Error("driver plugin failed to start", "driver", name, "error", err)
	}
}

// configure hands driver d (a plugin's, or the in-process one of a lazy
// driver) its plugin config.
func (m *Manager) configure(name string, d drivers.Driver) error {
	cfg := m.cfg.PluginConfigs[name]
	if len(cfg) == 0 {
		cfg = json.RawMessage(`{}`)
	}
	err := d.SetConfig(&drivers.PluginConfig{
		Config:       cfg,
		AgentVersion: m.cfg.AgentVersion,
		DataDir:      filepath.Join(m.cfg.DataDir, name),
	})
	if err != nil {
		return fmt.Errorf("configure driver %q: %w", name, err)
	}
	return nil
}

// launchLocked starts a new plugin process for inst. After a failure the
// next launch waits (relaunchFirst, doubling up to relaunchMax).
func (m *Manager) launchLocked(inst *instance) (Plugin, error) {
	if now := time.Now(); now.Before(inst.retryAt) {
		return nil, fmt.Errorf("%w (%d failures, next in %v): %v", ErrRelaunchBackoff, inst.failures, inst.retryAt.Sub(now).Round(time.Millisecond), inst.lastErr)
	}
	p, err := m.spawn(inst.spec)
	m.recordLaunchLocked(inst, p, err)
	return p, err
}

// spawn launches and configures a plugin process and persists its reattach
// config; it touches no instance, so several run at once.
func (m *Manager) spawn(spec drivers.PluginSpec) (Plugin, error) {
	start := time.Now()
	p, err := m.cfg.Launcher.Launch(spec)
	if err != nil {
		return nil, err
	}
	if err := m.configure(spec.Name, p.Driver()); err != nil {
		p.Kill()
		return nil, err
	}
	if rc := p.ReattachConfig(); rc != nil {
		if err := m.cfg.Store.PutDriverPlugin(spec.Name, rc); err != nil {
			m.logger.Warn("cannot persist plugin reattach config", "driver", spec.Name, "error", err)
		}
	}
	m.logger.Info("launched driver plugin", "driver", spec.Name, "took", time.Since(start).Round(time.Millisecond))
	return p, nil
}

// recordLaunchLocked stores a launch's outcome in inst: the plugin, or the
// failure and when the next launch may be tried (relaunchFirst, doubling
// up to relaunchMax).
func (m *Manager) recordLaunchLocked(inst *instance, p Plugin, err error) {
	if err != nil {
		inst.plugin = nil
		inst.lastErr = err
		inst.failures++
		inst.retryAt = time.Now().Add(min(relaunchFirst<<min(inst.failures-1, 10), relaunchMax))
		return
	}
	inst.failures, inst.retryAt, inst.lastErr = 0, time.Time{}, nil
	m.setPluginLocked(inst, p)
}

// setPluginLocked makes p inst's plugin; a lazy driver's gets a new
// generation.
func (m *Manager) setPluginLocked(inst *instance, p Plugin) {
	inst.plugin, inst.gen = p, nil
	if inst.local != nil {
		inst.gen = newGeneration(p, time.Now())
	}
}

// Driver returns the named driver, launching its plugin when it does not
// run: a lazy driver's first use, or a plugin process that died (its tasks
// must be recovered: RecoverTask). A lazy driver's is a lazyDriver bound
// to the running plugin (lazy.go).
func (m *Manager) Driver(name string) (drivers.Driver, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	inst, ok := m.plugins[name]
	if !ok {
		return nil, fmt.Errorf("driver %q: %w", name, ErrUnknownDriver)
	}
	p, err := m.livePluginLocked(inst)
	if err != nil {
		return nil, err
	}
	if inst.gen != nil {
		return &lazyDriver{m: m, inst: inst, gen: inst.gen}, nil
	}
	return p.Driver(), nil
}

// livePluginLocked returns inst's running plugin, launching one when none
// runs (the one relaunch path: first use of a lazy driver, after an idle
// stop, after a crash).
func (m *Manager) livePluginLocked(inst *instance) (Plugin, error) {
	name := inst.spec.Name
	if inst.plugin != nil && !inst.plugin.Exited() {
		return inst.plugin, nil
	}
	if m.ctx.Err() != nil {
		return nil, fmt.Errorf("driver %q: client is shutting down", name)
	}
	if inst.plugin != nil {
		// Its tasks are recovered by their task runners (RecoverTask).
		m.logger.Warn("driver plugin exited, launching a new one", "driver", name)
		inst.plugin, inst.gen = nil, nil
	}
	p, err := m.launchLocked(inst)
	if err != nil {
		return nil, fmt.Errorf("driver %q: %w", name, err)
	}
	return p, nil
}

// Infos returns a copy of every driver's latest fingerprint.
func (m *Manager) Infos() map[string]*nomadlike.DriverInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]*nomadlike.DriverInfo{}
	for name, inst := range m.plugins {
		if inst.info == nil {
			continue
		}
		c := *inst.info
		c.Attributes = maps.Clone(inst.info.Attributes)
		c.ConfigSchema = slices.Clone(inst.info.ConfigSchema)
		out[name] = &c
	}
	return out
}

// UpdateCh receives a value when a driver's health or attributes changed.
func (m *Manager) UpdateCh() <-chan struct{} { return m.updateCh }

func (m *Manager) fingerprintLoop() {
	defer m.wg.Done()
	t := time.NewTicker(m.cfg.FingerprintInterval)
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
			m.fingerprintAll()
		}
	}
}

// fingerprintAll fingerprints every driver and signals UpdateCh on change.
func (m *Manager) fingerprintAll() {
	m.mu.Lock()
	names := make([]string, 0, len(m.plugins))
	for n := range m.plugins {
		names = append(names, n)
	}
	m.mu.Unlock()
	sort.Strings(names)
	// Fingerprint RPCs run at once: a slow driver (containerd's connect)
	// does not hold up the others.
	infos := make([]*nomadlike.DriverInfo, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			infos[i] = m.fingerprint(name)
		}()
	}
	wg.Wait()
	changed := false
	for i, name := range names {
		info := infos[i]
		m.mu.Lock()
		inst := m.plugins[name]
		if !sameInfo(inst.info, info) {
			changed = true
			if inst.info != nil {
				m.logger.Info("driver health changed", "driver", name, "healthy", info.Healthy, "description", info.HealthDescription)
			}
		}
		inst.info = info
		m.mu.Unlock()
	}
	if changed {
		select {
		case m.updateCh <- struct{}{}:
		default:
		}
	}
}

func (m *Manager) fingerprint(name string) *nomadlike.DriverInfo {
	info := &nomadlike.DriverInfo{UpdateTime: time.Now().UTC()}
	d, err := m.fingerprintDriver(name)
	if err != nil {
		info.HealthDescription = fmt.Sprintf("Driver plugin not running: %v", err)
		return info
	}
	ctx, cancel := context.WithTimeout(m.ctx, 10*time.Second)
	defer cancel()
	fp, err := d.Fingerprint(ctx)
	if err != nil {
		info.Detected = true
		info.HealthDescription = fmt.Sprintf("Fingerprint failed: %v", err)
		return info
	}
	info.Detected = fp.Health != drivers.HealthUndetected
	info.Healthy = fp.Health == drivers.HealthHealthy
	info.HealthDescription = fp.HealthDescription
	info.Attributes = maps.Clone(fp.Attributes)
	info.ConfigSchema = configSchema(d)
	return info
}

// fingerprintDriver is the driver that fingerprints name: a lazy driver's
// in-process one (its plugin is not launched for it), else the plugin's.
func (m *Manager) fingerprintDriver(name string) (drivers.Driver, error) {
	m.mu.Lock()
	inst := m.plugins[name]
	local, err := inst.local, inst.localErr
	m.mu.Unlock()
	if local == nil {
		return m.Driver(name)
	}
	if err != nil {
		return nil, fmt.Errorf("driver %q: %w", name, err)
	}
	return local, nil
}

func sameInfo(a, b *nomadlike.DriverInfo) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Detected == b.Detected && a.Healthy == b.Healthy &&
		a.HealthDescription == b.HealthDescription && maps.Equal(a.Attributes, b.Attributes) &&
		bytes.Equal(a.ConfigSchema, b.ConfigSchema)
}

// Shutdown stops fingerprinting and disconnects from every plugin, leaving
// the plugin processes (and their tasks) running for the next agent; with
// Config.StopOnShutdown it stops the plugin processes instead.
func (m *Manager) Shutdown() {
	m.cancel()
	m.wg.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, inst := range m.plugins {
		switch {
		case inst.plugin == nil:
		case m.cfg.StopOnShutdown:
			inst.plugin.Kill()
		default:
			inst.plugin.Disconnect()
		}
	}
}
