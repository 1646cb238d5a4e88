package agent

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	sockaddrtemplate "github.com/hashicorp/go-sockaddr/template"
	"github.com/hashicorp/hcl/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/server"
)

// defaultRPCPort is the port of a server address written without one, as
// in Nomad (client.servers, server_join.retry_join).
const defaultRPCPort = "4647"

const whySerf = "nomadlike has no gossip layer (serf): servers find each other through server_join on the RPC port"

// applyTopNomad applies the top-level Nomad settings that config_parse.go
// does not: logging switches, the serf port and addresses (warned about),
// and the ignored blocks and attributes of topNoEffect.
func applyTopNomad(cfg *Config, fc *fileConfig) hcl.Diagnostics {
	if fc.LogJSON != nil {
		cfg.LogJSON = *fc.LogJSON
	}
	if fc.LogIncludeLocation != nil {
		cfg.LogIncludeLocation = *fc.LogIncludeLocation
	}
	// disable_update_check and disable_anonymous_signature ask for what
	// nomadlike always does: it never calls home.
	if p := fc.Ports; p != nil && p.Serf != nil {
		cfg.Warnings = append(cfg.Warnings, noEffectWarning(p.SerfRange, "ports.serf", whySerf))
	}
	for _, a := range []struct {
		name string
		f    *fileAddresses
	}{{"addresses", fc.Addresses}, {"advertise", fc.Advertise}} {
		if a.f != nil && a.f.Serf != nil {
			cfg.Warnings = append(cfg.Warnings, noEffectWarning(a.f.SerfRange, a.name+".serf", whySerf))
		}
	}
	w, diags := acceptNoEffect(fc.Remain, "", topNoEffect)
	cfg.Warnings = append(cfg.Warnings, w...)
	return diags
}

// applyServerNomad applies Nomad's server settings that map onto
// nomadlike's server (data_dir, heartbeat and raft tuning, enabled
// schedulers) and warns about retry_max and serverNoEffect.
func applyServerNomad(dst *ServerConfig, s *fileServer) hcl.Diagnostics {
	var diags hcl.Diagnostics
	setStr(&dst.DataDir, s.DataDir)
	diags = append(diags, setDuration(&dst.HeartbeatGrace, s.HeartbeatGrace, s.HeartbeatGraceRange, "server.heartbeat_grace")...)
	diags = append(diags, setDuration(&dst.MinHeartbeatTTL, s.MinHeartbeatTTL, s.MinHeartbeatTTLRange, "server.min_heartbeat_ttl")...)
	diags = append(diags, setDuration(&dst.FailoverHeartbeatTTL, s.FailoverHeartbeatTTL, s.FailoverHeartbeatTTLRange, "server.failover_heartbeat_ttl")...)
	diags = append(diags, setDuration(&dst.RaftSnapshotInterval, s.RaftSnapshotInterval, s.RaftSnapshotIntervalRange, "server.raft_snapshot_interval")...)
	diags = append(diags, applyServerGC(dst, s)...) // server garbage collection
	if v := s.MaxHeartbeatsPerSecond; v != nil {
		if *v <= 0 {
			diags = append(diags, diagAt(s.MaxHeartbeatsPerSecondRange, "Invalid server.max_heartbeats_per_second", fmt.Sprintf("Must be > 0, got %v.", *v)))
		}
		dst.MaxHeartbeatsPerSecond = *v
	}
	for _, n := range []struct {
		dst  *int
		src  *int
		rng  hcl.Range
		name string
	}{
		{&dst.RaftSnapshotThreshold, s.RaftSnapshotThreshold, s.RaftSnapshotThresholdRange, "server.raft_snapshot_threshold"},
		{&dst.RaftTrailingLogs, s.RaftTrailingLogs, s.RaftTrailingLogsRange, "server.raft_trailing_logs"},
	} {
		if n.src == nil {
			continue
		}
		if *n.src <= 0 {
			diags = append(diags, diagAt(n.rng, "Invalid "+n.name, fmt.Sprintf("Must be > 0, got %d.", *n.src)))
		}
		*n.dst = *n.src
	}
	if s.EnabledSchedulers != nil {
		known := []string{nomadlike.JobTypeService, nomadlike.JobTypeBatch, nomadlike.JobTypeSystem, nomadlike.JobTypeSysBatch}
		dst.EnabledSchedulers = nil
		for _, typ := range s.EnabledSchedulers {
			switch {
			case typ == "_core":
				// Nomad's internal garbage collection jobs: nomadlike has
				// none, so there is nothing to enable.
			case !slices.Contains(known, typ):
				diags = append(diags, diagAt(s.EnabledSchedulersRange, "Invalid server.enabled_schedulers",
					fmt.Sprintf("%q is not a scheduler (want some of %s, _core).", typ, strings.Join(known, ", "))))
			default:
				dst.EnabledSchedulers = append(dst.EnabledSchedulers, typ)
			}
		}
	}
	dst.Warnings = append(dst.Warnings, retryMaxWarnings("server.", s.RetryMax, s.RetryMaxRange, s.ServerJoin)...)
	w, d := acceptNoEffect(s.Remain, "server.", serverNoEffect)
	dst.Warnings = append(dst.Warnings, w...)
	return append(diags, d...)
}

// retryMaxWarnings warns about a retry_max other than 0 (nomadlike retries
// joining until it succeeds, which is what 0, Nomad's default, means) and
// about server_join.start_join (serf addresses).
func retryMaxWarnings(where string, top *int, topRange hcl.Range, j *fileServerJoin) []string {
	const why = "nomadlike retries joining until it succeeds (retry_max = 0)"
	var out []string
	if top != nil && *top != 0 {
		out = append(out, noEffectWarning(topRange, where+"retry_max", why))
	}
	if j != nil && j.RetryMax != nil && *j.RetryMax != 0 {
		out = append(out, noEffectWarning(j.RetryMaxRange, where+"server_join.retry_max", why))
	}
	if j != nil && j.StartJoin != nil {
		out = append(out, noEffectWarning(j.StartJoinRange, where+"server_join.start_join", "nomadlike has no gossip; use retry_join with RPC addresses"))
	}
	return out
}

// applyClientNomad applies Nomad's client settings that config_parse.go
// does not: node_pool, network_interface, server_join (its retry_join
// addresses are servers, as client.servers) and reserved.cores (warned).
func applyClientNomad(dst *ClientConfig, c *fileClient) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if c.NodePool != nil {
		if err := nomadlike.CheckName(*c.NodePool); err != nil {
			diags = append(diags, diagAt(c.NodePoolRange, "Invalid client.node_pool", fmt.Sprintf("%q: %v.", *c.NodePool, err)))
		}
		dst.NodePool = *c.NodePool
	}
	setStr(&dst.NetworkInterface, c.NetworkInterface)
	if j := c.ServerJoin; j != nil {
		for _, a := range withDefaultPort(j.RetryJoin, defaultRPCPort) {
			if !slices.Contains(dst.Servers, a) {
				dst.Servers = append(dst.Servers, a)
			}
		}
		if j.RetryInterval != nil {
			dst.Warnings = append(dst.Warnings, noEffectWarning(j.RetryIntervalRange, "client.server_join.retry_interval",
				"a client retries its servers on its own backoff"))
		}
		dst.Warnings = append(dst.Warnings, retryMaxWarnings("client.", nil, hcl.Range{}, j)...)
	}
	if r := c.Reserved; r != nil && r.Cores != nil {
		dst.Warnings = append(dst.Warnings, noEffectWarning(r.CoresRange, "client.reserved.cores", "nomadlike does not reserve CPU cores"))
	}
	return diags
}

// withDefaultPort returns addrs with port added to each address that has
// none ("10.0.0.1" becomes "10.0.0.1:4647"); URLs are left as they are.
func withDefaultPort(addrs []string, port string) []string {
	if addrs == nil {
		return nil
	}
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		if !strings.Contains(a, "://") {
			if _, _, err := net.SplitHostPort(a); err != nil {
				host := strings.Trim(a, "[]")
				if host != "" && (net.ParseIP(host) != nil || !strings.Contains(host, ":")) {
					a = net.JoinHostPort(host, port)
				}
			}
		}
		out = append(out, a)
	}
	return out
}

// applyServerTuning copies the Nomad server settings that are set onto the
// server's configuration.
func applyServerTuning(dst *server.Config, s *ServerConfig) {
	for _, d := range []struct {
		dst *time.Duration
		v   time.Duration
	}{
		{&dst.HeartbeatGrace, s.HeartbeatGrace}, {&dst.HeartbeatMinTTL, s.MinHeartbeatTTL},
		{&dst.FailoverHeartbeatTTL, s.FailoverHeartbeatTTL}, {&dst.SnapshotInterval, s.RaftSnapshotInterval},
		// server garbage collection
		{&dst.JobGCInterval, s.JobGCInterval}, {&dst.GCThresholds.Job, s.JobGCThreshold},
		{&dst.GCThresholds.Eval, s.EvalGCThreshold}, {&dst.GCThresholds.BatchEval, s.BatchEvalGCThreshold},
		{&dst.GCThresholds.Deployment, s.DeploymentGCThreshold}, {&dst.GCThresholds.Node, s.NodeGCThreshold},
	} {
		if d.v > 0 {
			*d.dst = d.v
		}
	}
	if s.MaxHeartbeatsPerSecond > 0 {
		dst.MaxHeartbeatsPerSecond = s.MaxHeartbeatsPerSecond
	}
	if len(s.EnabledSchedulers) > 0 {
		dst.EnabledSchedulers = append([]string(nil), s.EnabledSchedulers...)
	}
	if s.RaftSnapshotThreshold > 0 {
		dst.SnapshotThreshold = uint64(s.RaftSnapshotThreshold)
	}
	if s.RaftTrailingLogs > 0 {
		dst.TrailingLogs = uint64(s.RaftTrailingLogs)
	}
}

// expandAddrTemplates resolves go-sockaddr templates in bind_addr,
// addresses and advertise, as Nomad does: bind_addr = "{{ GetPrivateIP }}"
// or advertise { rpc = "{{ GetInterfaceIP \"eth0\" }}:4647" }. A template
// must resolve to exactly one address.
func expandAddrTemplates(fc *fileConfig) hcl.Diagnostics {
	var diags hcl.Diagnostics
	one := func(v *string, rng hcl.Range, name string) {
		if v == nil || !strings.Contains(*v, "{{") {
			return
		}
		out, err := sockaddrtemplate.Parse(*v)
		if err != nil {
			diags = append(diags, diagAt(rng, "Invalid "+name, fmt.Sprintf("The go-sockaddr template %q: %v.", *v, err)))
			return
		}
		if f := strings.Fields(out); len(f) != 1 {
			diags = append(diags, diagAt(rng, "Invalid "+name, fmt.Sprintf("The go-sockaddr template %q resolves to %d addresses (%q); want exactly one.", *v, len(f), out)))
			return
		}
		*v = strings.TrimSpace(out)
	}
	one(fc.BindAddr, fc.BindAddrRange, "bind_addr")
	for _, a := range []struct {
		name string
		f    *fileAddresses
	}{{"addresses", fc.Addresses}, {"advertise", fc.Advertise}} {
		if a.f == nil {
			continue
		}
		one(a.f.HTTP, a.f.HTTPRange, a.name+".http")
		one(a.f.RPC, a.f.RPCRange, a.name+".rpc")
		one(a.f.Serf, a.f.SerfRange, a.name+".serf")
	}
	return diags
}

// applyServerGC reads Nomad's server garbage collection settings.
func applyServerGC(dst *ServerConfig, s *fileServer) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, d := range []struct {
		dst  *time.Duration
		src  *string
		rng  hcl.Range
		name string
	}{
		{&dst.JobGCInterval, s.JobGCInterval, s.JobGCIntervalRange, "server.job_gc_interval"},
		{&dst.JobGCThreshold, s.JobGCThreshold, s.JobGCThresholdRange, "server.job_gc_threshold"},
		{&dst.EvalGCThreshold, s.EvalGCThreshold, s.EvalGCThresholdRange, "server.eval_gc_threshold"},
		{&dst.BatchEvalGCThreshold, s.BatchEvalGCThreshold, s.BatchEvalGCThresholdRange, "server.batch_eval_gc_threshold"},
		{&dst.DeploymentGCThreshold, s.DeploymentGCThreshold, s.DeploymentGCThresholdRange, "server.deployment_gc_threshold"},
		{&dst.NodeGCThreshold, s.NodeGCThreshold, s.NodeGCThresholdRange, "server.node_gc_threshold"},
	} {
		diags = append(diags, setDuration(d.dst, d.src, d.rng, d.name)...)
	}
	return diags
}
