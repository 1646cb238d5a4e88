package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/client/drivermanager"
	"github.com/nomadlike/nomadlike/nomadlike/client/getter"
	"github.com/nomadlike/nomadlike/nomadlike/client/localstate"
)

// ServerAPI is how the client talks to servers; *api.Client satisfies it.
// The node calls carry the node's SecretID (node.SecretID, secretID),
// which the servers require.
type ServerAPI interface {
	RegisterNode(ctx context.Context, node *nomadlike.Node) (*api.RegisterNodeResponse, error)
	Heartbeat(ctx context.Context, nodeID, secretID, status string) (*api.HeartbeatResponse, error)
	AllocIndexWatcher
	UpdateAllocs(ctx context.Context, secretID string, allocs []*nomadlike.Allocation) (*api.WriteMeta, error)
}

// ErrInvalidConfig is wrapped by every configuration error.
var ErrInvalidConfig = errors.New("invalid client config")

// Config configures a client agent. Zero values take the defaults below.
type Config struct {
	// DataDir holds the local state, allocation directories and driver
	// data. Required.
	DataDir string
	// ACL resolves the tokens of requests to Handler when ACLs are enabled
	// (client/aclcache on a client-only agent); nil: ACLs off.
	ACL ACLResolver
	// NodeName defaults to the host name; Datacenter to "dc1"; NodePool to
	// "default".
	NodeName   string
	Datacenter string
	Region     string
	NodeClass  string
	NodePool   string
	// HTTPAddr is the host:port the agent's HTTP API is reachable at; the
	// servers forward client endpoints (logs...) there.
	HTTPAddr string
	Meta     map[string]string
	// NetworkInterface names the interface whose address is the node's;
	// empty picks the default route's.
	NetworkInterface string
	// Reserved is held back for the host (client { reserved { ... } }).
	Reserved *nomadlike.NodeReservedResources
	// HostVolumes are the client's host_volume blocks by name, fingerprinted
	// into Node.HostVolumes (issue #17).
	HostVolumes map[string]*nomadlike.ClientHostVolumeConfig
	// HostVolumesDir holds the dynamic host volumes the built-in mkdir
	// plugin creates, one directory per volume ID; "" is
	// DataDir/host_volumes (hostvolumes.go, issue #17).
	HostVolumesDir string

	// PluginDir holds third-party driver plugins (one executable each,
	// named after its driver).
	PluginDir string
	// Plugins are the plugin "NAME" { config { ... } } blocks as JSON.
	// raw_exec runs only with {"enabled": true}.
	Plugins map[string]json.RawMessage
	// BuiltinDrivers are the drivers served by this binary; default exec,
	// raw_exec and containerd. raw_exec runs only when enabled; containerd
	// only with a plugin "containerd" block or a daemon at its default
	// socket, since elsewhere it could only report itself
	// unhealthy at the cost of a plugin process.
	BuiltinDrivers []string
	// DriverBinary is the executable that serves built-in drivers with
	// "driver NAME"; default os.Executable().
	DriverBinary string
	// DriverLauncher starts driver plugins; default real go-plugin
	// processes (drivermanager.GoPlugin).
	DriverLauncher drivermanager.Launcher
	// InProcessDrivers are constructors of the built-in drivers' code
	// linked into this binary, by name (issue #19, idle memory): such a
	// driver is fingerprinted in the agent and its plugin process is
	// launched on first use, then stopped after PluginIdleGrace without
	// task. A built-in driver without one is launched at start.
	InProcessDrivers map[string]func(hclog.Logger) drivers.Driver
	// PluginIdleGrace is how long a lazily launched plugin process runs
	// with no task before it is stopped (DefaultPluginIdleGrace when 0;
	// negative: never stopped).
	PluginIdleGrace time.Duration

	Servers ServerAPI
	Logger  hclog.Logger
	// AgentVersion becomes the nomad.version attribute.
	AgentVersion string

	// Artifact is the artifact policy (client { artifact { } }); nil takes
	// getter.DefaultConfig: local sources only inside the allocation,
	// Nomad's size limits.
	Artifact *getter.Config

	// DB is the local state; default a BoltDB at DataDir/client/state.db.
	DB localstate.DB

	// FingerprintInterval is how often drivers are fingerprinted (30s).
	FingerprintInterval time.Duration
	// StopDriversOnShutdown makes Shutdown stop the driver plugin processes
	// (asking them to exit first) instead of leaving them running for the
	// next agent to reattach: for dev agents, whose state is thrown away.
	StopDriversOnShutdown bool
	// MinRetryInterval and MaxRetryInterval bound the backoff after failed
	// calls to servers (1s, 30s).
	MinRetryInterval time.Duration
	MaxRetryInterval time.Duration
	// BlockingQueryWait bounds each blocking query for allocations (5m).
	BlockingQueryWait time.Duration

	// GC is the garbage collection of terminal allocations and the
	// retention of their logs (issue #14, gc.go).
	GC GCConfig

	// Bridge networking (client/network): where CNI plugins are searched
	// (cni_path; default /usr/lib/cni then /opt/cni/bin) and user network
	// configurations for mode "cni/NAME" are read (cni_config_dir;
	// default /opt/cni/config).
	CNIPath      []string
	CNIConfigDir string
	// BridgeName and BridgeSubnet are bridge mode's host bridge and its
	// address range ("nomad", 172.26.64.0/20).
	BridgeName   string
	BridgeSubnet string
}

// DefaultPluginIdleGrace is Config.PluginIdleGrace's default: a built-in
// driver's plugin process with no task for a minute is stopped.
const DefaultPluginIdleGrace = time.Minute

// DefaultConfig returns a config with every default filled in but DataDir
// and Servers.
func DefaultConfig() Config {
	var c Config
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	if c.Datacenter == "" {
		c.Datacenter = "dc1"
	}
	if c.Region == "" {
		c.Region = nomadlike.DefaultRegion
	}
	if c.NodePool == "" {
		c.NodePool = nomadlike.DefaultNodePool
	}
	if c.BuiltinDrivers == nil {
		c.BuiltinDrivers = []string{"exec", "raw_exec", "containerd"}
	}
	if c.AgentVersion == "" {
		c.AgentVersion = "0.1.0-dev"
	}
	if c.FingerprintInterval <= 0 {
		c.FingerprintInterval = 30 * time.Second
	}
	if c.PluginIdleGrace == 0 {
		c.PluginIdleGrace = DefaultPluginIdleGrace
	}
	if c.MinRetryInterval <= 0 {
		c.MinRetryInterval = time.Second
	}
	if c.MaxRetryInterval <= 0 {
		c.MaxRetryInterval = 30 * time.Second
	}
	if c.BlockingQueryWait <= 0 {
		c.BlockingQueryWait = 5 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	if c.Artifact == nil {
		def := getter.DefaultConfig()
		c.Artifact = &def
	}
	c.GC.setDefaults()
}

// Validate reports the first problem with the config.
func (c *Config) Validate() error {
	switch {
	case c.DataDir == "":
		return fmt.Errorf("%w: data_dir: required", ErrInvalidConfig)
	case c.Servers == nil:
		return fmt.Errorf("%w: servers: required (the client talks to servers through ServerAPI)", ErrInvalidConfig)
	case c.MaxRetryInterval < c.MinRetryInterval:
		return fmt.Errorf("%w: MaxRetryInterval (%v) is below MinRetryInterval (%v)", ErrInvalidConfig, c.MaxRetryInterval, c.MinRetryInterval)
	}
	if err := c.GC.Validate(); err != nil {
		return err
	}
	if c.Artifact != nil {
		if err := c.Artifact.Validate(); err != nil {
			return fmt.Errorf("%w: artifact: %w", ErrInvalidConfig, err)
		}
	}
	for name, raw := range c.Plugins {
		var m map[string]any
		if len(raw) > 0 && json.Unmarshal(raw, &m) != nil {
			return fmt.Errorf("%w: plugin %q config: must be a JSON object", ErrInvalidConfig, name)
		}
	}
	return nil
}

// containerdSocket is where the containerd driver finds its daemon when its
// plugin block names no address.
var containerdSocket = "/run/containerd/containerd.sock"

// containerdWanted reports whether the containerd plugin should run: it is
// configured (and not enabled = false), or a daemon socket is at the
// default address.
func (c *Config) containerdWanted() bool {
	raw, configured := c.Plugins["containerd"]
	if configured {
		var m struct {
			Enabled *bool `json:"enabled"`
		}
		if len(raw) > 0 && json.Unmarshal(raw, &m) == nil && m.Enabled != nil && !*m.Enabled {
			return false
		}
		return true
	}
	fi, err := os.Stat(containerdSocket)
	return err == nil && fi.Mode()&os.ModeSocket != 0
}

// rawExecEnabled reports whether plugin "raw_exec" { config { enabled = true } }.
func (c *Config) rawExecEnabled() bool {
	var m struct {
		Enabled bool `json:"enabled"`
	}
	raw := c.Plugins["raw_exec"]
	return len(raw) > 0 && json.Unmarshal(raw, &m) == nil && m.Enabled
}
