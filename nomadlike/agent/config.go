package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client"
	"github.com/nomadlike/nomadlike/nomadlike/client/getter"
	"github.com/nomadlike/nomadlike/nomadlike/server"
	"github.com/nomadlike/nomadlike/nomadlike/telemetry"
)

// Config is the whole agent configuration after files and flags are merged.
type Config struct {
	// Name is the node name of this agent, the host name by default. Server
	// names must be unique in a cluster: they are the raft server IDs.
	Name string
	// Region and Datacenter place the agent; "global" and "dc1" by default.
	Region     string
	Datacenter string
	// DataDir holds raft data, the client's state and allocation
	// directories. Required unless DevMode (which uses a temporary dir).
	DataDir string
	// BindAddr is the address every listener binds unless Addresses says
	// otherwise; "0.0.0.0" by default, "127.0.0.1" in dev mode.
	BindAddr string
	// LogLevel is TRACE, DEBUG, INFO, WARN, ERROR or OFF; INFO by default.
	LogLevel string
	// Ports are the listener ports.
	Ports Ports
	// Addresses overrides BindAddr per listener.
	Addresses Addresses
	// Advertise is the address other agents should use to reach this one;
	// by default the bound address, or the first private IP when bound to
	// 0.0.0.0.
	Advertise Addresses
	// Server configures the server role.
	Server ServerConfig
	// Client configures the client role.
	Client ClientConfig
	// ACL is the acl block (issue #11, config_acl.go).
	ACL ACLConfig
	// TLS is the tls block (issue #11, config_tls.go).
	TLS TLSConfig
	// PluginDir is where third-party driver plugins are looked up.
	PluginDir string
	// EnableDebug serves Go's profiler at /debug/pprof/ on the HTTP
	// listener (enable_debug); always on in dev mode. Off by default: a
	// profile shows internals and costs CPU while it runs.
	EnableDebug bool
	// Limits are the connection limits of the HTTP and RPC listeners
	// (limits { ... }, see limits.go).
	Limits Limits
	// UI is the ui block: whether the web UI is served (config_ui.go).
	UI UIConfig
	// Plugins maps a driver name to its configuration as JSON
	// (plugin "NAME" { config { ... } }).
	Plugins map[string]json.RawMessage
	// DevMode runs an in-memory server and a client together on loopback.
	DevMode bool
	// DriverBinary is the executable that serves the built-in drivers with
	// "driver NAME"; the running executable by default. Not settable from
	// files: tests point it at a built binary.
	DriverBinary string
	// InProcessDrivers are the built-in drivers' constructors (the
	// command's BuiltinDrivers): the client fingerprints them in process
	// and launches their plugin processes on first use. Not settable from
	// files; nil launches every plugin at start.
	InProcessDrivers map[string]func(hclog.Logger) drivers.Driver
	// Files lists the configuration files that were loaded, in order.
	Files []string
	// Telemetry is the telemetry block (metrics); its zero value is
	// Nomad's defaults (see telemetry.Config).
	Telemetry telemetry.Config
	// LogJSON (log_json) logs JSON lines; LogIncludeLocation
	// (log_include_location) adds the source file and line of each log
	// call. The command applies them to its logger.
	LogJSON            bool
	LogIncludeLocation bool
	// Warnings name the Nomad settings of the files (top level, ports,
	// addresses, advertise) accepted for compatibility that have no effect
	// here (file:line:col: setting has no effect in nomadlike: why); the
	// agent logs them when it starts. AllWarnings adds every block's.
	Warnings []string
	// TelemetryWarnings name the telemetry settings accepted for Nomad
	// compatibility that have no effect here (file:line:col: setting: why);
	// the agent logs them when it starts.
	TelemetryWarnings []string
}

// Ports are the agent's listener ports.
type Ports struct {
	// HTTP serves the HTTP API (4646).
	HTTP int
	// RPC is the raft transport between servers (4647).
	RPC int
	// Serf is accepted for compatibility with Nomad configs (4648); nomadlike
	// has no gossip layer and does not listen on it.
	Serf int
}

// Addresses are per-listener bind or advertise addresses (host only).
type Addresses struct {
	HTTP string
	RPC  string
	Serf string
}

// ServerConfig configures the server role.
type ServerConfig struct {
	Enabled bool
	// BootstrapExpect is how many servers must join before the first leader
	// election; 1 for a single server. 0 means 1.
	BootstrapExpect int
	// NumSchedulers is the number of scheduler workers (one per core by
	// default); more workers evaluate more jobs at once but contend more in
	// the plan applier.
	NumSchedulers int
	// RetryJoin lists other servers' RPC (raft) addresses ("host:port",
	// port 4647 by default) to discover and join.
	RetryJoin []string
	// RetryInterval is the wait between join attempts (30s).
	RetryInterval time.Duration
	// JobMaxCount (job_max_count, a nomadlike setting) caps the
	// allocations one job may ask for; 0 means server.DefaultJobMaxCount
	// (100,000). See server.Config.JobMaxCount.
	JobMaxCount int
	// Encrypt is the cluster key (server.encrypt), base64 of 16, 24 or 32
	// bytes, the same on every server; `operator gossip keyring generate`
	// makes one. With it, servers prove the key to each other on every
	// raft and join connection, and the operator endpoints (raft join and
	// peer removal, snapshot save and restore) require it as the token.
	// Empty: the RPC port is unauthenticated (a warning at startup).
	Encrypt string
	// PreviousEncrypt (server.previous_encrypt, nomadlike's) lists cluster
	// keys this cluster used before Encrypt: root keys of the keyring that
	// were wrapped with one of them still unwrap, and the leader rewraps
	// them under Encrypt (or inline, without Encrypt). Remove them once
	// the leader logged "keyring: rewrapped". See server.Config.PreviousEncryptKeys.
	PreviousEncrypt []string
	// DataDir (server.data_dir) holds the raft log and snapshots;
	// data_dir/server by default.
	DataDir string
	// Heartbeat tuning, Nomad's names (server.heartbeat_grace,
	// min_heartbeat_ttl, failover_heartbeat_ttl,
	// max_heartbeats_per_second); zero keeps server.DefaultConfig's.
	HeartbeatGrace         time.Duration
	MinHeartbeatTTL        time.Duration
	FailoverHeartbeatTTL   time.Duration
	MaxHeartbeatsPerSecond float64
	// EnabledSchedulers (server.enabled_schedulers) are the job types this
	// server's scheduler workers serve; empty: all.
	EnabledSchedulers []string
	// Raft compaction (server.raft_snapshot_threshold,
	// raft_snapshot_interval, raft_trailing_logs); zero keeps the default.
	RaftSnapshotThreshold int
	RaftSnapshotInterval  time.Duration
	RaftTrailingLogs      int
	// Garbage collection (server.job_gc_interval, job_gc_threshold,
	// eval_gc_threshold, batch_eval_gc_threshold, deployment_gc_threshold,
	// node_gc_threshold); zero keeps Nomad's default (5m, 4h, 1h, 24h, 1h,
	// 24h).
	JobGCInterval, JobGCThreshold, EvalGCThreshold, BatchEvalGCThreshold time.Duration
	DeploymentGCThreshold, NodeGCThreshold                               time.Duration
	// Warnings name the server settings without effect (see
	// Config.Warnings).
	Warnings []string
}

// ClientConfig configures the client role.
type ClientConfig struct {
	Enabled bool
	// Servers are the addresses ("host:port") of servers the client talks
	// to: as in Nomad, their RPC port (4647; a bare host gets it), or their
	// HTTP port; the client finds out which (server_resolve.go). Empty
	// means this agent's own HTTP address (it must then be a server too).
	// client.server_join.retry_join adds to them.
	Servers   []string
	NodeClass string
	// NodePool (client.node_pool) is the node's pool; "default" when empty.
	NodePool string
	// NetworkInterface (client.network_interface) is the interface whose
	// address is the node's; empty: the default route's.
	NetworkInterface string
	// Warnings name the client settings without effect (see
	// Config.Warnings).
	Warnings []string
	Meta     map[string]string
	Options  map[string]string
	Reserved Reserved
	// Artifact is the client { artifact { } } block: getter.DefaultConfig
	// with what the files set; nil when no file has the block.
	Artifact *getter.Config
	// ArtifactWarnings name the artifact settings accepted for Nomad
	// compatibility that have no effect here (file:line: setting: why); the
	// agent logs them when the client starts.
	ArtifactWarnings []string
	// GC is the garbage collection of terminal allocations (gc_*) and
	// the retention of their logs (log_retention), issue #14; zero values
	// take client.GCConfig's defaults.
	GC client.GCConfig
	// DNS is the client { dns { } } block (config_dns.go).
	DNS DNSConfig
	// HostVolumes are the host_volume "NAME" { path, read_only } blocks
	// (config_hostvolume.go), fingerprinted into the node.
	HostVolumes map[string]*nomadlike.ClientHostVolumeConfig
	// HostVolumesDir (host_volumes_dir) holds the directories of the
	// dynamic host volumes the built-in mkdir plugin creates; "" is
	// <data_dir>/host_volumes (config_hostvolume.go).
	HostVolumesDir string
	// Bridge is the bridge networking configuration (config_bridge.go).
	Bridge ClientBridge
	// PluginIdleGrace (plugin_idle_grace) is how long a built-in driver's
	// plugin process runs with no task before it is stopped; 0: unset
	// (NOMADLIKE_PLUGIN_IDLE_GRACE, else one minute), negative: never
	// (config_pluginidle.go).
	PluginIdleGrace time.Duration
}

// Reserved are the node resources held back for the host itself.
type Reserved struct {
	CPU      int
	MemoryMB int
	DiskMB   int
	// ReservedPorts is a port list like "22,80,8000-8100".
	ReservedPorts string
}

// Log levels accepted in log_level.
var logLevels = []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF"}

// DefaultConfig returns the configuration an agent uses for everything the
// files and flags leave unset.
func DefaultConfig() *Config {
	name, _ := os.Hostname()
	if name == "" {
		name = "nomadlike"
	}
	return &Config{
		Name:       name,
		Region:     "global",
		Datacenter: "dc1",
		BindAddr:   "0.0.0.0",
		LogLevel:   "INFO",
		Ports:      Ports{HTTP: 4646, RPC: 4647, Serf: 4648},
		Server: ServerConfig{
			NumSchedulers: runtime.NumCPU(),
			RetryInterval: 30 * time.Second,
		},
		Client: ClientConfig{
			Meta:    map[string]string{},
			Options: map[string]string{},
		},
		Limits:  DefaultLimits(),
		Plugins: map[string]json.RawMessage{},
		ACL:     defaultACLConfig(),
		UI:      UIConfig{Enabled: true}, // web UI (issue #18)
	}
}

// DevConfig is DefaultConfig for `agent -dev`: server and client on
// 127.0.0.1, raw_exec enabled, data in a temporary directory chosen at start.
func DevConfig() *Config {
	c := DefaultConfig()
	c.DevMode = true
	c.BindAddr = "127.0.0.1"
	c.Server.Enabled = true
	c.Server.BootstrapExpect = 1
	c.Client.Enabled = true
	c.Plugins["raw_exec"] = json.RawMessage(`{"enabled":true}`)
	return c
}

// Validate reports every problem of the merged configuration, each naming
// its field, as one error. It changes nothing.
func (c *Config) Validate() error {
	var errs []string
	fail := func(field, format string, args ...any) {
		errs = append(errs, field+": "+fmt.Sprintf(format, args...))
	}
	// They are shown by node status and server members on terminals.
	for _, n := range []struct{ field, v string }{{"name", c.Name}, {"region", c.Region}, {"datacenter", c.Datacenter}} {
		if err := nomadlike.CheckName(n.v); err != nil {
			fail(n.field, "%q: %v", n.v, err)
		}
	}
	if !c.DevMode && c.DataDir == "" {
		fail("data_dir", "must be set (or run with -dev)")
	}
	if err := checkLogLevel(c.LogLevel); err != nil {
		fail("log_level", "%v", err)
	}
	if net.ParseIP(c.BindAddr) == nil {
		fail("bind_addr", "%q is not an IP address", c.BindAddr)
	}
	if err := c.Telemetry.WithDefaults().Validate(); err != nil { // telemetry
		errs = append(errs, err.Error())
	}
	for _, a := range []struct{ field, v string }{
		{"addresses.http", c.Addresses.HTTP}, {"addresses.rpc", c.Addresses.RPC},
		{"advertise.http", c.Advertise.HTTP}, {"advertise.rpc", c.Advertise.RPC},
	} {
		if a.v != "" && net.ParseIP(hostOnly(a.v)) == nil {
			fail(a.field, "%q is not an IP address", a.v)
		}
	}
	for _, p := range []struct {
		field string
		v     int
	}{{"ports.http", c.Ports.HTTP}, {"ports.rpc", c.Ports.RPC}, {"ports.serf", c.Ports.Serf}} {
		if p.v < 0 || p.v > 65535 {
			fail(p.field, "%d is not a port (0-65535; 0 picks a free port)", p.v)
		}
	}
	if c.Ports.HTTP != 0 && c.Ports.HTTP == c.Ports.RPC {
		fail("ports.rpc", "must differ from ports.http (%d)", c.Ports.HTTP)
	}
	if !c.Server.Enabled && !c.Client.Enabled {
		fail("server.enabled", "neither server nor client is enabled; set server { enabled = true }, client { enabled = true }, -server, -client or -dev")
	}
	if c.Server.BootstrapExpect < 0 {
		fail("server.bootstrap_expect", "must be >= 0, got %d", c.Server.BootstrapExpect)
	}
	if c.DevMode && c.Server.BootstrapExpect > 1 {
		fail("server.bootstrap_expect", "must be 1 in dev mode, got %d", c.Server.BootstrapExpect)
	}
	if c.Server.NumSchedulers < 0 {
		fail("server.num_schedulers", "must be >= 0, got %d", c.Server.NumSchedulers)
	}
	if c.Server.JobMaxCount < 0 {
		fail("server.job_max_count", "must be > 0, got %d", c.Server.JobMaxCount)
	}
	if c.Server.Encrypt != "" {
		if _, err := server.DecodeClusterKey(c.Server.Encrypt); err != nil {
			fail("server.encrypt", "%v", err)
		}
	}
	for i, k := range c.Server.PreviousEncrypt {
		if _, err := server.DecodeClusterKey(k); err != nil {
			fail(fmt.Sprintf("server.previous_encrypt[%d]", i), "%v", err)
		}
	}
	if c.Server.RetryInterval <= 0 {
		fail("server.server_join.retry_interval", "must be > 0, got %s", c.Server.RetryInterval)
	}
	for i, a := range c.Server.RetryJoin {
		if err := checkHostPort(a); err != nil {
			fail(fmt.Sprintf("server.server_join.retry_join[%d]", i), "%v", err)
		}
	}
	for i, a := range c.Client.Servers {
		if err := checkHostPort(a); err != nil {
			fail(fmt.Sprintf("client.servers[%d]", i), "%v", err)
		}
	}
	if c.Client.Enabled && !c.Server.Enabled && len(c.Client.Servers) == 0 {
		fail("client.servers", "a client-only agent needs at least one server address")
	}
	r := c.Client.Reserved
	for _, v := range []struct {
		field string
		v     int
	}{{"client.reserved.cpu", r.CPU}, {"client.reserved.memory", r.MemoryMB}, {"client.reserved.disk", r.DiskMB}} {
		if v.v < 0 {
			fail(v.field, "must be >= 0, got %d", v.v)
		}
	}
	if _, err := ParsePortRanges(r.ReservedPorts); err != nil {
		fail("client.reserved.reserved_ports", "%v", err)
	}
	for _, e := range c.Limits.validate() {
		fail(e[0], "%s", e[1])
	}
	for _, e := range c.TLS.validate() { // mTLS (config_tls.go)
		fail(e[0], "%s", e[1])
	}
	for _, name := range sortedKeys(c.Plugins) {
		if !json.Valid(c.Plugins[name]) {
			fail(fmt.Sprintf("plugin[%q].config", name), "is not valid JSON")
		}
	}
	if len(errs) == 0 {
		return nil
	}
	if len(errs) == 1 {
		return errors.New("invalid agent configuration: " + errs[0])
	}
	return fmt.Errorf("invalid agent configuration, %d problems:\n  * %s", len(errs), strings.Join(errs, "\n  * "))
}

func checkLogLevel(l string) error {
	for _, v := range logLevels {
		if strings.EqualFold(l, v) {
			return nil
		}
	}
	return fmt.Errorf("unknown level %q (want one of %s)", l, strings.Join(logLevels, ", "))
}

func checkHostPort(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("%q is not host:port", a)
	}
	if host == "" {
		return fmt.Errorf("%q has no host", a)
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return fmt.Errorf("%q has a bad port", a)
	}
	return nil
}

func hostOnly(a string) string {
	if h, _, err := net.SplitHostPort(a); err == nil {
		return h
	}
	return a
}

// ParsePortRanges parses a port list such as "22,80,8000-8100".
func ParsePortRanges(s string) ([]int, error) {
	var out []int
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil || a <= 0 || a > 65535 {
			return nil, fmt.Errorf("%q is not a port", part)
		}
		b := a
		if isRange {
			b, err = strconv.Atoi(strings.TrimSpace(hi))
			if err != nil || b <= 0 || b > 65535 || b < a {
				return nil, fmt.Errorf("%q is not a port range", part)
			}
		}
		for p := a; p <= b; p++ {
			out = append(out, p)
		}
	}
	return out, nil
}

// HTTPBindAddr is the host:port the HTTP listener binds.
func (c *Config) HTTPBindAddr() string {
	host := c.BindAddr
	if c.Addresses.HTTP != "" {
		host = hostOnly(c.Addresses.HTTP)
	}
	return net.JoinHostPort(host, strconv.Itoa(c.Ports.HTTP))
}

// RPCBindAddr is the host:port the raft transport binds.
func (c *Config) RPCBindAddr() string {
	host := c.BindAddr
	if c.Addresses.RPC != "" {
		host = hostOnly(c.Addresses.RPC)
	}
	return net.JoinHostPort(host, strconv.Itoa(c.Ports.RPC))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
