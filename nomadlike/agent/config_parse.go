package agent

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/nomadlike/nomadlike/nomadlike/server"
)

// fileConfig is one configuration file as written; pointers tell "unset"
// from a zero value so that later files override only what they set.
type fileConfig struct {
	Name          *string        `hcl:"name,optional"`
	Region        *string        `hcl:"region,optional"`
	Datacenter    *string        `hcl:"datacenter,optional"`
	DataDir       *string        `hcl:"data_dir,optional"`
	BindAddr      *string        `hcl:"bind_addr,optional"`
	BindAddrRange hcl.Range      `hcl:"bind_addr,attr_range"`
	LogLevel      *string        `hcl:"log_level,optional"`
	LogLevelRange hcl.Range      `hcl:"log_level,attr_range"`
	PluginDir     *string        `hcl:"plugin_dir,optional"`
	Ports         *filePorts     `hcl:"ports,block"`
	Addresses     *fileAddresses `hcl:"addresses,block"`
	Advertise     *fileAddresses `hcl:"advertise,block"`
	Server        *fileServer    `hcl:"server,block"`
	Client        *fileClient    `hcl:"client,block"`
	Plugins       []*filePlugin  `hcl:"plugin,block"`
	EnableDebug   *bool          `hcl:"enable_debug,optional"`
	// Telemetry is Nomad's telemetry block (config_telemetry.go).
	Telemetry *fileTelemetry `hcl:"telemetry,block"`
	// ACL enforcement (issue #11): the acl block (config_acl.go).
	ACL *fileACL `hcl:"acl,block"`
	// UI is Nomad's ui block (web UI, config_ui.go).
	UI *fileUI `hcl:"ui,block"`
	// Limits is Nomad's limits block (limits.go).
	Limits *fileLimits `hcl:"limits,block"`
	// mTLS (issue #11): the tls block (config_tls.go).
	TLS *fileTLS `hcl:"tls,block"`
	// Nomad's logging and phone-home settings (config_nomad.go).
	LogJSON                   *bool `hcl:"log_json,optional"`
	LogIncludeLocation        *bool `hcl:"log_include_location,optional"`
	DisableUpdateCheck        *bool `hcl:"disable_update_check,optional"`
	DisableAnonymousSignature *bool `hcl:"disable_anonymous_signature,optional"`
	// Remain holds Nomad's other top-level settings: accepted with a
	// warning (topNoEffect); anything else is an error.
	Remain hcl.Body `hcl:",remain"`
}

type filePorts struct {
	HTTP      *int      `hcl:"http,optional"`
	HTTPRange hcl.Range `hcl:"http,attr_range"`
	RPC       *int      `hcl:"rpc,optional"`
	RPCRange  hcl.Range `hcl:"rpc,attr_range"`
	Serf      *int      `hcl:"serf,optional"`
	SerfRange hcl.Range `hcl:"serf,attr_range"`
}

type fileAddresses struct {
	HTTP      *string   `hcl:"http,optional"`
	HTTPRange hcl.Range `hcl:"http,attr_range"`
	RPC       *string   `hcl:"rpc,optional"`
	RPCRange  hcl.Range `hcl:"rpc,attr_range"`
	Serf      *string   `hcl:"serf,optional"`
	SerfRange hcl.Range `hcl:"serf,attr_range"`
}

type fileServer struct {
	Enabled              *bool           `hcl:"enabled,optional"`
	BootstrapExpect      *int            `hcl:"bootstrap_expect,optional"`
	BootstrapExpectRange hcl.Range       `hcl:"bootstrap_expect,attr_range"`
	NumSchedulers        *int            `hcl:"num_schedulers,optional"`
	NumSchedulersRange   hcl.Range       `hcl:"num_schedulers,attr_range"`
	RetryJoin            []string        `hcl:"retry_join,optional"`
	RetryInterval        *string         `hcl:"retry_interval,optional"`
	RetryIntervalRange   hcl.Range       `hcl:"retry_interval,attr_range"`
	ServerJoin           *fileServerJoin `hcl:"server_join,block"`
	JobMaxCount          *int            `hcl:"job_max_count,optional"`
	JobMaxCountRange     hcl.Range       `hcl:"job_max_count,attr_range"`
	Encrypt              *string         `hcl:"encrypt,optional"`
	EncryptRange         hcl.Range       `hcl:"encrypt,attr_range"`
	// keyring rewrap after a cluster key change (server.previous_encrypt)
	PreviousEncrypt      []string  `hcl:"previous_encrypt,optional"`
	PreviousEncryptRange hcl.Range `hcl:"previous_encrypt,attr_range"`
	RetryMax             *int      `hcl:"retry_max,optional"`
	RetryMaxRange        hcl.Range `hcl:"retry_max,attr_range"`
	// Nomad's server settings that map onto nomadlike's (applyServerNomad).
	DataDir                     *string   `hcl:"data_dir,optional"`
	HeartbeatGrace              *string   `hcl:"heartbeat_grace,optional"`
	HeartbeatGraceRange         hcl.Range `hcl:"heartbeat_grace,attr_range"`
	MinHeartbeatTTL             *string   `hcl:"min_heartbeat_ttl,optional"`
	MinHeartbeatTTLRange        hcl.Range `hcl:"min_heartbeat_ttl,attr_range"`
	FailoverHeartbeatTTL        *string   `hcl:"failover_heartbeat_ttl,optional"`
	FailoverHeartbeatTTLRange   hcl.Range `hcl:"failover_heartbeat_ttl,attr_range"`
	MaxHeartbeatsPerSecond      *float64  `hcl:"max_heartbeats_per_second,optional"`
	MaxHeartbeatsPerSecondRange hcl.Range `hcl:"max_heartbeats_per_second,attr_range"`
	EnabledSchedulers           []string  `hcl:"enabled_schedulers,optional"`
	EnabledSchedulersRange      hcl.Range `hcl:"enabled_schedulers,attr_range"`
	RaftSnapshotThreshold       *int      `hcl:"raft_snapshot_threshold,optional"`
	RaftSnapshotThresholdRange  hcl.Range `hcl:"raft_snapshot_threshold,attr_range"`
	RaftSnapshotInterval        *string   `hcl:"raft_snapshot_interval,optional"`
	RaftSnapshotIntervalRange   hcl.Range `hcl:"raft_snapshot_interval,attr_range"`
	RaftTrailingLogs            *int      `hcl:"raft_trailing_logs,optional"`
	RaftTrailingLogsRange       hcl.Range `hcl:"raft_trailing_logs,attr_range"`
	// server garbage collection (Nomad's names and defaults)
	JobGCInterval              *string   `hcl:"job_gc_interval,optional"`
	JobGCIntervalRange         hcl.Range `hcl:"job_gc_interval,attr_range"`
	JobGCThreshold             *string   `hcl:"job_gc_threshold,optional"`
	JobGCThresholdRange        hcl.Range `hcl:"job_gc_threshold,attr_range"`
	EvalGCThreshold            *string   `hcl:"eval_gc_threshold,optional"`
	EvalGCThresholdRange       hcl.Range `hcl:"eval_gc_threshold,attr_range"`
	BatchEvalGCThreshold       *string   `hcl:"batch_eval_gc_threshold,optional"`
	BatchEvalGCThresholdRange  hcl.Range `hcl:"batch_eval_gc_threshold,attr_range"`
	DeploymentGCThreshold      *string   `hcl:"deployment_gc_threshold,optional"`
	DeploymentGCThresholdRange hcl.Range `hcl:"deployment_gc_threshold,attr_range"`
	NodeGCThreshold            *string   `hcl:"node_gc_threshold,optional"`
	NodeGCThresholdRange       hcl.Range `hcl:"node_gc_threshold,attr_range"`
	// Remain holds Nomad's other server settings: accepted with a warning
	// (serverNoEffect); anything else is an error.
	Remain hcl.Body `hcl:",remain"`
}

type fileServerJoin struct {
	RetryJoin          []string  `hcl:"retry_join,optional"`
	RetryInterval      *string   `hcl:"retry_interval,optional"`
	RetryIntervalRange hcl.Range `hcl:"retry_interval,attr_range"`
	RetryMax           *int      `hcl:"retry_max,optional"`
	RetryMaxRange      hcl.Range `hcl:"retry_max,attr_range"`
	StartJoin          []string  `hcl:"start_join,optional"`
	StartJoinRange     hcl.Range `hcl:"start_join,attr_range"`
}

type fileClient struct {
	Enabled   *bool         `hcl:"enabled,optional"`
	Servers   []string      `hcl:"servers,optional"`
	NodeClass *string       `hcl:"node_class,optional"`
	Reserved  *fileReserved `hcl:"reserved,block"`
	Artifact  *fileArtifact `hcl:"artifact,block"`
	// Nomad's client settings that map onto nomadlike's (config_client.go).
	NodePool         *string         `hcl:"node_pool,optional"`
	NodePoolRange    hcl.Range       `hcl:"node_pool,attr_range"`
	NetworkInterface *string         `hcl:"network_interface,optional"`
	ServerJoin       *fileServerJoin `hcl:"server_join,block"`
	ServersRange     hcl.Range       `hcl:"servers,attr_range"`
	// Client GC and log retention (issue #14, config_clientgc.go).
	GCInterval               *string           `hcl:"gc_interval,optional"`
	GCIntervalRange          hcl.Range         `hcl:"gc_interval,attr_range"`
	GCMaxAllocs              *int              `hcl:"gc_max_allocs,optional"`
	GCMaxAllocsRange         hcl.Range         `hcl:"gc_max_allocs,attr_range"`
	GCDiskUsageThreshold     *float64          `hcl:"gc_disk_usage_threshold,optional"`
	GCDiskUsageThresholdRng  hcl.Range         `hcl:"gc_disk_usage_threshold,attr_range"`
	GCInodeUsageThreshold    *float64          `hcl:"gc_inode_usage_threshold,optional"`
	GCInodeUsageThresholdRng hcl.Range         `hcl:"gc_inode_usage_threshold,attr_range"`
	GCParallelDestroys       *int              `hcl:"gc_parallel_destroys,optional"`
	GCParallelDestroysRange  hcl.Range         `hcl:"gc_parallel_destroys,attr_range"`
	LogRetention             *fileLogRetention `hcl:"log_retention,block"`
	// DNS interface (config_dns.go).
	DNS *fileDNS `hcl:"dns,block"`
	// Host volumes (issue #17, config_hostvolume.go).
	HostVolumes         []*fileHostVolume `hcl:"host_volume,block"`
	HostVolumesDir      *string           `hcl:"host_volumes_dir,optional"`
	HostVolumesDirRange hcl.Range         `hcl:"host_volumes_dir,attr_range"`
	// Bridge networking (config_bridge.go).
	CNIPath                  *string   `hcl:"cni_path,optional"`
	CNIPathRange             hcl.Range `hcl:"cni_path,attr_range"`
	CNIConfigDir             *string   `hcl:"cni_config_dir,optional"`
	CNIConfigDirRange        hcl.Range `hcl:"cni_config_dir,attr_range"`
	BridgeNetworkName        *string   `hcl:"bridge_network_name,optional"`
	BridgeNetworkNameRange   hcl.Range `hcl:"bridge_network_name,attr_range"`
	BridgeNetworkSubnet      *string   `hcl:"bridge_network_subnet,optional"`
	BridgeNetworkSubnetRange hcl.Range `hcl:"bridge_network_subnet,attr_range"`
	// Lazily launched built-in driver plugins (config_pluginidle.go).
	PluginIdleGrace      *string   `hcl:"plugin_idle_grace,optional"`
	PluginIdleGraceRange hcl.Range `hcl:"plugin_idle_grace,attr_range"`
	// Remain holds meta and options, accepted both as blocks
	// (meta { rack = "r1" }) and as map attributes (options = { "a.b" = "1" }),
	// and Nomad's other client settings (clientNoEffect).
	Remain hcl.Body `hcl:",remain"`
}

type fileReserved struct {
	CPU           *int      `hcl:"cpu,optional"`
	CPURange      hcl.Range `hcl:"cpu,attr_range"`
	Memory        *int      `hcl:"memory,optional"`
	MemoryRange   hcl.Range `hcl:"memory,attr_range"`
	Disk          *int      `hcl:"disk,optional"`
	DiskRange     hcl.Range `hcl:"disk,attr_range"`
	ReservedPorts *string   `hcl:"reserved_ports,optional"`
	PortsRange    hcl.Range `hcl:"reserved_ports,attr_range"`
	Cores         *string   `hcl:"cores,optional"`
	CoresRange    hcl.Range `hcl:"cores,attr_range"`
}

type filePlugin struct {
	Name string   `hcl:"name,label"`
	Body hcl.Body `hcl:",remain"`
}

// ConfigError is a problem in a configuration file, located by file, line
// and column.
type ConfigError struct {
	Diags hcl.Diagnostics
}

func (e *ConfigError) Error() string {
	var lines []string
	for _, d := range e.Diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		lines = append(lines, formatDiag(d))
	}
	return strings.Join(lines, "\n")
}

func formatDiag(d *hcl.Diagnostic) string {
	msg := d.Summary
	if d.Detail != "" {
		msg += ": " + d.Detail
	}
	if d.Subject == nil {
		return msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, msg)
}

func diagAt(rng hcl.Range, summary, detail string) *hcl.Diagnostic {
	r := rng
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: &r}
}

// LoadConfig merges DefaultConfig (or DevConfig when dev) with the files and
// directories in paths, in order; a directory contributes its *.hcl files in
// lexical order. A later file overrides what an earlier one set. It does
// not validate the merged result: callers apply flags first, then Validate.
func LoadConfig(base *Config, paths []string) (*Config, error) {
	cfg := base
	parser := hclparse.NewParser()
	for _, p := range paths {
		files, err := expandConfigPath(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if err := loadFile(parser, cfg, f); err != nil {
				return nil, err
			}
			cfg.Files = append(cfg.Files, f)
		}
	}
	return cfg, nil
}

func expandConfigPath(p string) ([]string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", p, err)
	}
	if !st.IsDir() {
		return []string{p}, nil
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, fmt.Errorf("config dir %s: %w", p, err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".hcl") {
			continue
		}
		out = append(out, filepath.Join(p, e.Name()))
	}
	sort.Strings(out)
	return out, nil
}

// ParseConfigFile parses one configuration file onto cfg. It is LoadConfig
// for a single file, exported for tests and tools.
func ParseConfigFile(cfg *Config, filename string, src []byte) error {
	parser := hclparse.NewParser()
	f, diags := parser.ParseHCL(src, filename)
	if diags.HasErrors() {
		return &ConfigError{Diags: diags}
	}
	return decodeFile(cfg, f)
}

func loadFile(parser *hclparse.Parser, cfg *Config, filename string) error {
	src, err := os.ReadFile(filename)
	if err != nil {
		return fmt.Errorf("config %s: %w", filename, err)
	}
	f, diags := parser.ParseHCL(src, filename)
	if diags.HasErrors() {
		return &ConfigError{Diags: diags}
	}
	return decodeFile(cfg, f)
}

func decodeFile(cfg *Config, f *hcl.File) error {
	var fc fileConfig
	diags := gohcl.DecodeBody(f.Body, nil, &fc)
	if diags.HasErrors() {
		return &ConfigError{Diags: diags}
	}
	if diags := apply(cfg, &fc); diags.HasErrors() {
		return &ConfigError{Diags: diags}
	}
	return nil
}

func apply(cfg *Config, fc *fileConfig) hcl.Diagnostics {
	diags := expandAddrTemplates(fc) // go-sockaddr templates (config_nomad_apply.go)
	setStr(&cfg.Name, fc.Name)
	setStr(&cfg.Region, fc.Region)
	setStr(&cfg.Datacenter, fc.Datacenter)
	setStr(&cfg.DataDir, fc.DataDir)
	setStr(&cfg.PluginDir, fc.PluginDir)
	if fc.EnableDebug != nil {
		cfg.EnableDebug = *fc.EnableDebug
	}
	if fc.BindAddr != nil {
		if !isIP(*fc.BindAddr) {
			diags = append(diags, diagAt(fc.BindAddrRange, "Invalid bind_addr", fmt.Sprintf("%q is not an IP address.", *fc.BindAddr)))
		}
		cfg.BindAddr = *fc.BindAddr
	}
	if fc.LogLevel != nil {
		if err := checkLogLevel(*fc.LogLevel); err != nil {
			diags = append(diags, diagAt(fc.LogLevelRange, "Invalid log_level", err.Error()+"."))
		}
		cfg.LogLevel = strings.ToUpper(*fc.LogLevel)
	}
	if p := fc.Ports; p != nil {
		diags = append(diags, setPort(&cfg.Ports.HTTP, p.HTTP, p.HTTPRange, "ports.http")...)
		diags = append(diags, setPort(&cfg.Ports.RPC, p.RPC, p.RPCRange, "ports.rpc")...)
		diags = append(diags, setPort(&cfg.Ports.Serf, p.Serf, p.SerfRange, "ports.serf")...)
	}
	if a := fc.Addresses; a != nil {
		setStr(&cfg.Addresses.HTTP, a.HTTP)
		setStr(&cfg.Addresses.RPC, a.RPC)
		setStr(&cfg.Addresses.Serf, a.Serf)
	}
	if a := fc.Advertise; a != nil {
		setStr(&cfg.Advertise.HTTP, a.HTTP)
		setStr(&cfg.Advertise.RPC, a.RPC)
		setStr(&cfg.Advertise.Serf, a.Serf)
	}
	diags = append(diags, applyTopNomad(cfg, fc)...) // Nomad compatibility (config_nomad_apply.go)
	if s := fc.Server; s != nil {
		diags = append(diags, applyServer(&cfg.Server, s)...)
	}
	if c := fc.Client; c != nil {
		diags = append(diags, applyClient(&cfg.Client, c)...)
	}
	if t := fc.Telemetry; t != nil { // telemetry (config_telemetry.go)
		diags = append(diags, applyTelemetry(cfg, t)...)
	}
	if a := fc.ACL; a != nil { // ACL enforcement (issue #11)
		diags = append(diags, applyACL(&cfg.ACL, a)...)
	}
	if u := fc.UI; u != nil { // web UI (issue #18, config_ui.go)
		diags = append(diags, applyUI(cfg, u)...)
	}
	if l := fc.Limits; l != nil {
		diags = append(diags, applyLimits(&cfg.Limits, l)...)
	}
	if t := fc.TLS; t != nil { // mTLS (issue #11, config_tls.go)
		diags = append(diags, applyTLS(&cfg.TLS, t)...)
	}
	for _, p := range fc.Plugins {
		raw, d := pluginConfig(p.Body)
		diags = append(diags, d...)
		if raw != nil {
			if cfg.Plugins == nil {
				cfg.Plugins = map[string]json.RawMessage{}
			}
			cfg.Plugins[p.Name] = raw
		}
	}
	return diags
}

func applyServer(dst *ServerConfig, s *fileServer) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if s.Enabled != nil {
		dst.Enabled = *s.Enabled
	}
	if s.BootstrapExpect != nil {
		if *s.BootstrapExpect < 0 {
			diags = append(diags, diagAt(s.BootstrapExpectRange, "Invalid server.bootstrap_expect", fmt.Sprintf("Must be >= 0, got %d.", *s.BootstrapExpect)))
		}
		dst.BootstrapExpect = *s.BootstrapExpect
	}
	if s.NumSchedulers != nil {
		if *s.NumSchedulers < 0 {
			diags = append(diags, diagAt(s.NumSchedulersRange, "Invalid server.num_schedulers", fmt.Sprintf("Must be >= 0, got %d.", *s.NumSchedulers)))
		}
		dst.NumSchedulers = *s.NumSchedulers
	}
	if s.JobMaxCount != nil {
		if *s.JobMaxCount <= 0 {
			diags = append(diags, diagAt(s.JobMaxCountRange, "Invalid server.job_max_count", fmt.Sprintf("Must be > 0, got %d.", *s.JobMaxCount)))
		}
		dst.JobMaxCount = *s.JobMaxCount
	}
	if len(s.RetryJoin) > 0 {
		dst.RetryJoin = append([]string(nil), s.RetryJoin...)
	}
	diags = append(diags, setDuration(&dst.RetryInterval, s.RetryInterval, s.RetryIntervalRange, "server.retry_interval")...)
	if s.Encrypt != nil {
		if _, err := server.DecodeClusterKey(*s.Encrypt); err != nil {
			diags = append(diags, diagAt(s.EncryptRange, "Invalid server.encrypt", fmt.Sprintf("The cluster key %v.", err)))
		}
		dst.Encrypt = *s.Encrypt
	}
	for i, k := range s.PreviousEncrypt { // keyring rewrap (server.previous_encrypt)
		if _, err := server.DecodeClusterKey(k); err != nil {
			diags = append(diags, diagAt(s.PreviousEncryptRange, "Invalid server.previous_encrypt", fmt.Sprintf("Element %d: the cluster key %v.", i, err)))
		}
	}
	if s.PreviousEncrypt != nil {
		dst.PreviousEncrypt = append([]string(nil), s.PreviousEncrypt...)
	}
	diags = append(diags, applyServerNomad(dst, s)...) // Nomad compatibility (config_nomad_apply.go)
	if j := s.ServerJoin; j != nil {
		if len(j.RetryJoin) > 0 {
			dst.RetryJoin = append([]string(nil), j.RetryJoin...)
		}
		diags = append(diags, setDuration(&dst.RetryInterval, j.RetryInterval, j.RetryIntervalRange, "server.server_join.retry_interval")...)
	}
	dst.RetryJoin = withDefaultPort(dst.RetryJoin, defaultRPCPort)
	return diags
}

func applyClient(dst *ClientConfig, c *fileClient) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if c.Enabled != nil {
		dst.Enabled = *c.Enabled
	}
	if len(c.Servers) > 0 {
		dst.Servers = withDefaultPort(c.Servers, defaultRPCPort)
	}
	setStr(&dst.NodeClass, c.NodeClass)
	if c.Remain != nil {
		maps, d := clientMaps(c.Remain, &dst.Warnings)
		diags = append(diags, d...)
		if dst.Meta == nil {
			dst.Meta = map[string]string{}
		}
		if dst.Options == nil {
			dst.Options = map[string]string{}
		}
		for k, v := range maps["meta"] {
			dst.Meta[k] = v
		}
		for k, v := range maps["options"] {
			dst.Options[k] = v
		}
	}
	if c.Artifact != nil {
		diags = append(diags, applyArtifact(dst, c.Artifact)...)
	}
	diags = append(diags, applyClientNomad(dst, c)...)   // Nomad compatibility (config_nomad_apply.go)
	diags = append(diags, applyClientGC(dst, c)...)      // client GC, log retention (config_clientgc.go)
	diags = append(diags, applyClientDNS(dst, c.DNS)...) // DNS interface (config_dns.go)
	// Host volumes (issue #17, config_hostvolume.go).
	diags = append(diags, applyHostVolumes(dst, c.HostVolumes)...)
	diags = append(diags, applyHostVolumesDir(dst, c.HostVolumesDir, c.HostVolumesDirRange)...)
	diags = append(diags, applyClientBridge(dst, c)...) // bridge networking (config_bridge.go)
	// Lazily launched built-in driver plugins (config_pluginidle.go).
	diags = append(diags, applyPluginIdleGrace(dst, c.PluginIdleGrace, c.PluginIdleGraceRange)...)
	if r := c.Reserved; r != nil {
		for _, v := range []struct {
			dst  *int
			src  *int
			rng  hcl.Range
			name string
		}{
			{&dst.Reserved.CPU, r.CPU, r.CPURange, "client.reserved.cpu"},
			{&dst.Reserved.MemoryMB, r.Memory, r.MemoryRange, "client.reserved.memory"},
			{&dst.Reserved.DiskMB, r.Disk, r.DiskRange, "client.reserved.disk"},
		} {
			if v.src == nil {
				continue
			}
			if *v.src < 0 {
				diags = append(diags, diagAt(v.rng, "Invalid "+v.name, fmt.Sprintf("Must be >= 0, got %d.", *v.src)))
			}
			*v.dst = *v.src
		}
		if r.ReservedPorts != nil {
			if _, err := ParsePortRanges(*r.ReservedPorts); err != nil {
				diags = append(diags, diagAt(r.PortsRange, "Invalid client.reserved.reserved_ports", err.Error()+"."))
			}
			dst.Reserved.ReservedPorts = *r.ReservedPorts
		}
	}
	return diags
}

// clientMaps decodes the meta and options of a client block, written as
// blocks or as map attributes; Nomad's other client settings add warnings
// (clientNoEffect); anything else left in body is an error.
func clientMaps(body hcl.Body, warnings *[]string) (map[string]map[string]string, hcl.Diagnostics) {
	names := []string{"meta", "options"}
	out := map[string]map[string]string{}
	bs := &hcl.BodySchema{}
	as := &hcl.BodySchema{}
	for _, n := range names {
		bs.Blocks = append(bs.Blocks, hcl.BlockHeaderSchema{Type: n})
		as.Attributes = append(as.Attributes, hcl.AttributeSchema{Name: n})
	}
	blocks, rest, diags := body.PartialContent(bs)
	attrs, rest, d := rest.PartialContent(as)
	diags = append(diags, d...)
	w, d := acceptNoEffect(rest, "client.", clientNoEffect)
	*warnings = append(*warnings, w...)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return nil, diags
	}
	for _, b := range blocks.Blocks {
		m, d := stringMap(b.Body, "client."+b.Type)
		diags = append(diags, d...)
		if out[b.Type] == nil {
			out[b.Type] = map[string]string{}
		}
		for k, v := range m {
			out[b.Type][k] = v
		}
	}
	for name, a := range attrs.Attributes {
		v, d := a.Expr.Value(nil)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		if v.IsNull() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
			diags = append(diags, diagAt(a.Expr.Range(), "Invalid client."+name, "Must be a map of strings."))
			continue
		}
		if out[name] == nil {
			out[name] = map[string]string{}
		}
		for k, ev := range v.AsValueMap() {
			var s string
			if err := gohcl.DecodeExpression(&staticExpr{v: ev, rng: a.Expr.Range()}, nil, &s); err.HasErrors() {
				diags = append(diags, diagAt(a.Expr.Range(), "Invalid client."+name+"."+k, "Must be a string, number or bool."))
				continue
			}
			out[name][k] = s
		}
	}
	return out, diags
}

// stringMap decodes a block of free attributes (meta { rack = "r1" }) into
// strings; numbers and bools are converted.
func stringMap(body hcl.Body, where string) (map[string]string, hcl.Diagnostics) {
	attrs, diags := body.JustAttributes()
	if diags.HasErrors() {
		return nil, diags
	}
	out := make(map[string]string, len(attrs))
	for name, a := range attrs {
		v, d := a.Expr.Value(nil)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		var s string
		if err := gohcl.DecodeExpression(&staticExpr{v: v, rng: a.Expr.Range()}, nil, &s); err.HasErrors() {
			diags = append(diags, diagAt(a.Expr.Range(), "Invalid "+where+"."+name, "Must be a string, number or bool."))
			continue
		}
		out[name] = s
	}
	return out, diags
}

// staticExpr is an already evaluated expression, for gohcl conversions.
type staticExpr struct {
	v   cty.Value
	rng hcl.Range
}

func (e *staticExpr) Value(*hcl.EvalContext) (cty.Value, hcl.Diagnostics) { return e.v, nil }
func (e *staticExpr) Variables() []hcl.Traversal                          { return nil }
func (e *staticExpr) Range() hcl.Range                                    { return e.rng }
func (e *staticExpr) StartRange() hcl.Range                               { return e.rng }

// pluginConfig turns the config block of a plugin block into JSON; blocks
// become objects, repeated blocks lists, labeled blocks objects keyed by label.
func pluginConfig(body hcl.Body) (json.RawMessage, hcl.Diagnostics) {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil, nil
	}
	var diags hcl.Diagnostics
	for name, a := range sb.Attributes {
		if name != "args" {
			diags = append(diags, diagAt(a.NameRange, "Unsupported argument", fmt.Sprintf("An argument named %q is not expected in a plugin block; put driver settings in config { }.", name)))
		}
	}
	var out json.RawMessage = json.RawMessage(`{}`)
	for _, b := range sb.Blocks {
		if b.Type != "config" {
			diags = append(diags, diagAt(b.TypeRange, "Unsupported block type", fmt.Sprintf("Blocks of type %q are not expected in a plugin block.", b.Type)))
			continue
		}
		v, d := freeForm(b.Body)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		js, err := ctyjson.Marshal(v, v.Type())
		if err != nil {
			diags = append(diags, diagAt(b.TypeRange, "Invalid plugin config", err.Error()))
			continue
		}
		out = js
	}
	return out, diags
}

func freeForm(body *hclsyntax.Body) (cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	obj := map[string]cty.Value{}
	for name, a := range body.Attributes {
		v, d := a.Expr.Value(nil)
		diags = append(diags, d...)
		obj[name] = v
	}
	byType := map[string][]*hclsyntax.Block{}
	var order []string
	for _, b := range body.Blocks {
		if _, ok := byType[b.Type]; !ok {
			order = append(order, b.Type)
		}
		byType[b.Type] = append(byType[b.Type], b)
	}
	for _, typ := range order {
		blocks := byType[typ]
		if _, dup := obj[typ]; dup {
			diags = append(diags, diagAt(blocks[0].TypeRange, "Duplicate name", fmt.Sprintf("%q is set both as an argument and as a block.", typ)))
			continue
		}
		if len(blocks[0].Labels) > 0 {
			labeled := map[string]cty.Value{}
			for _, b := range blocks {
				v, d := freeForm(b.Body)
				diags = append(diags, d...)
				labeled[strings.Join(b.Labels, ".")] = v
			}
			obj[typ] = cty.ObjectVal(labeled)
			continue
		}
		if len(blocks) == 1 {
			v, d := freeForm(blocks[0].Body)
			diags = append(diags, d...)
			obj[typ] = v
			continue
		}
		vals := make([]cty.Value, 0, len(blocks))
		for _, b := range blocks {
			v, d := freeForm(b.Body)
			diags = append(diags, d...)
			vals = append(vals, v)
		}
		obj[typ] = cty.TupleVal(vals)
	}
	return cty.ObjectVal(obj), diags
}

func setStr(dst *string, src *string) {
	if src != nil {
		*dst = *src
	}
}

func setPort(dst *int, src *int, rng hcl.Range, name string) hcl.Diagnostics {
	if src == nil {
		return nil
	}
	*dst = *src
	if *src < 0 || *src > 65535 {
		return hcl.Diagnostics{diagAt(rng, "Invalid "+name, fmt.Sprintf("%d is not a port (0-65535).", *src))}
	}
	return nil
}

func setDuration(dst *time.Duration, src *string, rng hcl.Range, name string) hcl.Diagnostics {
	if src == nil {
		return nil
	}
	d, err := time.ParseDuration(*src)
	if err != nil {
		return hcl.Diagnostics{diagAt(rng, "Invalid "+name, fmt.Sprintf("%q is not a duration like \"30s\" or \"1m\".", *src))}
	}
	if d <= 0 {
		return hcl.Diagnostics{diagAt(rng, "Invalid "+name, "Must be > 0.")}
	}
	*dst = d
	return nil
}

func isIP(s string) bool { return net.ParseIP(s) != nil }
