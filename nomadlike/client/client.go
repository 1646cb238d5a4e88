package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocrunner"
	"github.com/nomadlike/nomadlike/nomadlike/client/checks"
	"github.com/nomadlike/nomadlike/nomadlike/client/drivermanager"
	"github.com/nomadlike/nomadlike/nomadlike/client/getter"
	"github.com/nomadlike/nomadlike/nomadlike/client/hostvolumes"
	"github.com/nomadlike/nomadlike/nomadlike/client/localstate"
	"github.com/nomadlike/nomadlike/nomadlike/client/network"
	"github.com/nomadlike/nomadlike/nomadlike/client/services"
)

// ErrShutdown is returned by operations on a client that was shut down.
var ErrShutdown = errors.New("client is shut down")

// Client is a client agent. Its methods are safe for concurrent use.
type Client struct {
	cfg     Config
	logger  hclog.Logger
	db      localstate.DB
	drivers *drivermanager.Manager
	updates *updater
	getter  *getter.Getter
	// checks runs the services' health checks (issue #13).
	checks *checks.Manager
	// services registers the allocations' services (services_hook.go);
	// nil when the servers' API has no catalog.
	services *services.Manager
	network  *network.Manager // bridge networking

	nodeMu sync.RWMutex
	node   *nomadlike.Node
	// dynVols are the node's ready dynamic host volumes by name
	// (hostvolumes.go), under nodeMu.
	dynVols map[string]*nomadlike.ClientHostVolumeConfig

	runnersMu sync.RWMutex
	runners   map[string]*allocrunner.AllocRunner
	// Client GC (gc.go, retained.go): collected are the allocations this
	// agent destroyed (under runnersMu); gcMu serialises collections.
	collected map[string]bool
	gcMu      sync.Mutex
	retained  *retainedStore

	registeredCh   chan struct{}
	registeredOnce sync.Once
	reregisterCh   chan struct{}

	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	startOnce sync.Once
	shutOnce  sync.Once
}

// New validates cfg, opens the local state, loads or creates the node's
// identity and fingerprints the host. Nothing runs until Start.
func New(cfg Config) (*Client, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	cfg.DataDir = abs
	if cfg.HostVolumesDir == "" { // dynamic host volumes (hostvolumes.go)
		cfg.HostVolumesDir = filepath.Join(cfg.DataDir, "host_volumes")
	}
	for _, d := range []string{cfg.DataDir, filepath.Join(cfg.DataDir, "client"), filepath.Join(cfg.DataDir, "alloc"), filepath.Join(cfg.DataDir, "plugins")} {
		if err := os.MkdirAll(d, 0o711); err != nil {
			return nil, fmt.Errorf("create %s: %w", d, err)
		}
	}
	db := cfg.DB
	if db == nil {
		if db, err = localstate.OpenBolt(filepath.Join(cfg.DataDir, "client", "state.db")); err != nil {
			return nil, err
		}
	}
	c := &Client{
		cfg:          cfg,
		logger:       cfg.Logger.Named("client"),
		db:           db,
		getter:       getter.New(*cfg.Artifact),
		checks:       checks.New(checks.Config{Logger: cfg.Logger}),
		runners:      map[string]*allocrunner.AllocRunner{},
		collected:    map[string]bool{},
		registeredCh: make(chan struct{}),
		reregisterCh: make(chan struct{}, 1),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	id, secret, err := db.NodeIdentity()
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("read node identity: %w", err)
	}
	if id == "" {
		id, secret = nomadlike.GenerateUUID(), nomadlike.GenerateUUID()
		if err := db.PutNodeIdentity(id, secret); err != nil {
			db.Close()
			return nil, fmt.Errorf("persist node identity: %w", err)
		}
	}
	if c.retained, err = openRetained(filepath.Join(cfg.DataDir, "client", "retained-logs"), cfg.GC.LogRetention, cfg.GC.LogRetentionMaxBytes, c.logger); err != nil {
		db.Close()
		return nil, fmt.Errorf("retained logs: %w", err)
	}
	if c.dynVols, err = hostvolumes.Load(c.hostVolumesFile()); err != nil { // dynamic host volumes
		db.Close()
		return nil, fmt.Errorf("read dynamic host volumes: %w", err)
	}
	node, err := c.buildNode(id, secret)
	if err != nil {
		db.Close()
		return nil, err
	}
	c.node = node
	c.updates = newUpdater(cfg.Servers, secret, cfg.MinRetryInterval, cfg.MaxRetryInterval, c.logger)
	c.services = c.newServiceManager(secret) // service registration (services_hook.go)
	c.wireChecksToServices()                 // instances follow their checks (services_checks.go)
	if c.network, err = network.NewManager(network.Config{
		StateDir: filepath.Join(cfg.DataDir, "client", "network"),
		CNIPath:  cfg.CNIPath, CNIConfigDir: cfg.CNIConfigDir,
		BridgeName: cfg.BridgeName, BridgeSubnet: cfg.BridgeSubnet,
	}, c.logger); err != nil {
		db.Close()
		return nil, err
	}

	launcher := cfg.DriverLauncher
	if launcher == nil {
		launcher = drivermanager.GoPlugin{Logger: cfg.Logger}
	}
	specs, err := c.driverSpecs()
	if err != nil {
		db.Close()
		return nil, err
	}
	c.drivers = drivermanager.New(drivermanager.Config{
		Specs: specs, PluginConfigs: cfg.Plugins, Launcher: launcher, Store: db,
		DataDir: filepath.Join(cfg.DataDir, "plugins"), AgentVersion: cfg.AgentVersion,
		FingerprintInterval: cfg.FingerprintInterval, Logger: c.logger,
		StopOnShutdown: cfg.StopDriversOnShutdown,
		// Lazily launched built-in drivers (issue #19, idle memory).
		InProcess: c.inProcessDrivers(specs), IdleGrace: max(cfg.PluginIdleGrace, 0),
	})
	return c, nil
}

// driverSpecs lists the plugins to run: the built-ins this binary serves
// and every plugin found in PluginDir.
func (c *Client) driverSpecs() ([]drivers.PluginSpec, error) {
	bin := c.cfg.DriverBinary
	var specs []drivers.PluginSpec
	seen := map[string]bool{}
	for _, name := range c.cfg.BuiltinDrivers {
		if name == "raw_exec" && !c.cfg.rawExecEnabled() || name == "containerd" && !c.cfg.containerdWanted() {
			continue
		}
		if bin == "" {
			exe, err := os.Executable()
			if err != nil {
				return nil, fmt.Errorf("find the nomadlike binary for built-in drivers: %w", err)
			}
			bin = exe
		}
		specs = append(specs, drivers.PluginSpec{Name: name, Command: bin, Args: []string{"driver", name}})
		seen[name] = true
	}
	if c.cfg.PluginDir != "" {
		found, err := drivers.DiscoverPlugins(c.cfg.PluginDir)
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(found))
		for n := range found {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if seen[n] {
				c.logger.Warn("plugin_dir plugin has a built-in driver's name; using the built-in", "driver", n)
				continue
			}
			specs = append(specs, drivers.PluginSpec{Name: n, Command: found[n]})
		}
	}
	return specs, nil
}

// inProcessDrivers are the in-process constructors of the built-in
// drivers among specs (lazily launched); plugin_dir plugins get none.
func (c *Client) inProcessDrivers(specs []drivers.PluginSpec) map[string]func(hclog.Logger) drivers.Driver {
	out := map[string]func(hclog.Logger) drivers.Driver{}
	for _, s := range specs {
		if f := c.cfg.InProcessDrivers[s.Name]; f != nil && slices.Equal(s.Args, []string{"driver", s.Name}) {
			out[s.Name] = f
		}
	}
	return out
}

// NodeID returns the node's ID, stable across restarts.
func (c *Client) NodeID() string {
	c.nodeMu.RLock()
	defer c.nodeMu.RUnlock()
	return c.node.ID
}

// Node returns a copy of the node as last fingerprinted.
func (c *Client) Node() *nomadlike.Node {
	c.nodeMu.RLock()
	defer c.nodeMu.RUnlock()
	return c.node.Copy()
}

// nodeForTasks is the allocrunner.NodeGetter: the live node, never modified.
func (c *Client) nodeForTasks() *nomadlike.Node {
	c.nodeMu.RLock()
	defer c.nodeMu.RUnlock()
	return c.node
}

// Start launches (or reattaches to) the driver plugins, resumes the
// allocations a previous agent ran, then registers with the servers and
// starts watching for allocations.
func (c *Client) Start() error {
	var err error
	c.startOnce.Do(func() {
		if err = c.drivers.Start(); err != nil {
			return
		}
		c.applyDriverInfos()
		if err = c.restore(); err != nil {
			return
		}
		c.wg.Add(8)             // the eight goroutines below, each ending with wg.Done
		go c.watchHostVolumes() // dynamic host volumes (hostvolumes.go, issue #17)
		go func() {
			defer c.wg.Done()
			c.checks.Run(c.ctx)
		}()
		go c.pushUsage() // built-in autoscaler samples (usagepush.go, issue #17)
		go c.gcLoop()
		go c.registerAndHeartbeat()
		go c.watchAllocations()
		go c.watchDrivers()
		go func() {
			defer c.wg.Done()
			c.updates.run(c.ctx)
		}()
		if c.services != nil { // service registration (services_hook.go)
			c.wg.Add(1)
			go func() {
				defer c.wg.Done()
				c.services.Run(c.ctx)
			}()
		}
	})
	return err
}

// restore resumes every allocation in the local state.
func (c *Client) restore() error {
	states, err := c.db.Allocs()
	if err != nil && states == nil {
		return fmt.Errorf("read local state: %w", err)
	}
	if err != nil {
		c.logger.Warn("some allocations could not be restored", "error", err)
	}
	for _, st := range states {
		ar, err := c.newRunner(st.Alloc, st)
		if err != nil {
			c.logger.Error("cannot restore allocation", "alloc_id", st.Alloc.ID, "error", err)
			continue
		}
		c.runnersMu.Lock()
		c.runners[st.Alloc.ID] = ar
		c.runnersMu.Unlock()
		go ar.Run()
		c.logger.Info("restored allocation", "alloc_id", st.Alloc.ID)
	}
	c.reconcileNetworks()
	return nil
}

// reconcileNetworks removes the network namespaces a previous agent left
// for allocations this one does not run (it died before their teardown).
func (c *Client) reconcileNetworks() {
	ctx, cancel := context.WithTimeout(c.ctx, 2*time.Minute)
	defer cancel()
	err := c.network.Reconcile(ctx, func(allocID string) bool {
		c.runnersMu.RLock()
		defer c.runnersMu.RUnlock()
		return c.runners[allocID] != nil
	})
	if err != nil {
		c.logger.Error("remove leftover network namespaces", "error", err)
	}
}

func (c *Client) newRunner(a *nomadlike.Allocation, restored *localstate.AllocState) (*allocrunner.AllocRunner, error) {
	keep := &retainHook{c: c}
	cfg := allocrunner.Config{
		Alloc: a, AllocsDir: c.allocsDir(), Drivers: c.drivers, DB: c.db,
		Node: c.nodeForTasks, Getter: c.getter, Updater: c.updates, Logger: c.logger, Restored: restored,
		DestroyHooks: []allocrunner.AllocDestroyHook{keep}, Checks: c.checks,
		Templates:  c.templateConfig(), // templates (tmplwatch)
		Network:    c.network,          // bridge networking
		Identities: c.fetchIdentities,  // workload identity renewal (identity_renew.go)
	}
	if c.services != nil { // service registration (services_hook.go)
		hook := serviceHook{m: c.services, allocID: a.ID}
		cfg.Updater = stateTee{updates: c.updates, services: c.services}
		cfg.PreKillHooks = []allocrunner.AllocPreKillHook{hook}
		cfg.DestroyHooks = append(cfg.DestroyHooks, hook)
	}
	ar, err := allocrunner.New(cfg)
	keep.ar = ar
	return ar, err
}

// allocsDir is <data_dir>/alloc.
func (c *Client) allocsDir() string { return filepath.Join(c.cfg.DataDir, "alloc") }

// Shutdown stops the agent and leaves tasks and plugin processes running
// for the next one. Pending allocation updates get a short last chance to
// reach the servers; they are resent by the next agent anyway.
func (c *Client) Shutdown() error {
	c.shutOnce.Do(func() {
		c.cancel()
		c.wg.Wait()
		c.runnersMu.Lock()
		runners := make([]*allocrunner.AllocRunner, 0, len(c.runners))
		for _, ar := range c.runners {
			runners = append(runners, ar)
		}
		c.runnersMu.Unlock()
		for _, ar := range runners {
			ar.Shutdown()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c.updates.flush(ctx)
		cancel()
		c.drivers.Shutdown()
		if err := c.db.Close(); err != nil {
			c.logger.Warn("close local state", "error", err)
		}
	})
	return nil
}

// backoff returns the retry delay after n consecutive failures.
func backoff(n int, min, max time.Duration) time.Duration {
	d := min
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d + time.Duration(rand.Int64N(int64(d)/4+1))
}

// sleep waits d or until the client shuts down; false means shut down.
func (c *Client) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx.Done():
		return false
	}
}
