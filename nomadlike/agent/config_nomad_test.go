package agent

import (
	"cmp"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/server"
)

var updateCorpus = flag.Bool("update-nomad-configs", false, "rewrite testdata/nomad-configs/warnings.golden")

const nomadCorpus = "testdata/nomad-configs"

// TestNomadConfigCorpus loads agent configuration files written the way a
// Nomad agent's are, with every block and setting of Nomad's agent
// configuration (except tls, which the tls block's tests cover): they load
// with no error, the settings nomadlike has take effect, and the others
// produce exactly the warnings of warnings.golden.
func TestNomadConfigCorpus(t *testing.T) {
	cfg, err := LoadConfig(DefaultConfig(), []string{nomadCorpus})
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	got := cfg.AllWarnings()
	sortByPosition(got)
	golden := filepath.Join(nomadCorpus, "warnings.golden")
	if *updateCorpus {
		if err := os.WriteFile(golden, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if !slices.Equal(got, want) {
		t.Errorf("warnings differ from %s (go test ./nomadlike/agent -run TestNomadConfigCorpus -update-nomad-configs rewrites it)\n got:\n  %s\nwant:\n  %s",
			golden, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for _, w := range got {
		if !strings.Contains(w, "has no effect") || !strings.HasPrefix(w, nomadCorpus+"/") {
			t.Errorf("warning %q does not name its file:line:col and \"has no effect\"", w)
		}
	}
	// Every setting of the no-effect tables is in the corpus.
	for _, tbl := range []struct {
		where string
		m     map[string]noEffect
	}{{"", topNoEffect}, {"server.", serverNoEffect}, {"client.", clientNoEffect}} {
		for name := range tbl.m {
			needle := ": " + tbl.where + name + " has no effect in nomadlike"
			if !slices.ContainsFunc(got, func(w string) bool { return strings.Contains(w, needle) }) {
				t.Errorf("the corpus does not use %s%s", tbl.where, name)
			}
		}
	}
	checkCorpusWorks(t, cfg)
}

// sortByPosition sorts file:line:col warnings by file, line and column.
func sortByPosition(ws []string) {
	key := func(w string) (string, int, int) {
		parts := strings.SplitN(w, ":", 4)
		if len(parts) < 4 {
			return w, 0, 0
		}
		line, _ := strconv.Atoi(parts[1])
		col, _ := strconv.Atoi(parts[2])
		return parts[0], line, col
	}
	slices.SortStableFunc(ws, func(a, b string) int {
		fa, la, ca := key(a)
		fb, lb, cb := key(b)
		return cmp.Or(cmp.Compare(fa, fb), cmp.Compare(la, lb), cmp.Compare(ca, cb))
	})
}

// checkCorpusWorks checks the settings of the corpus that nomadlike acts
// on.
func checkCorpusWorks(t *testing.T, cfg *Config) {
	t.Helper()
	s, c := cfg.Server, cfg.Client
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"name", cfg.Name, "agent-1"},
		{"data_dir", cfg.DataDir, "/opt/nomad/data"},
		{"plugin_dir", cfg.PluginDir, "/opt/nomad/plugins"},
		{"ports.http", cfg.Ports.HTTP, 4646},
		{"advertise.rpc", cfg.Advertise.RPC, "10.1.0.5:4647"},
		{"server.data_dir", s.DataDir, "/opt/nomad/data/server"},
		{"server.bootstrap_expect", s.BootstrapExpect, 3},
		{"server.enabled_schedulers", strings.Join(s.EnabledSchedulers, ","), "service,batch,system,sysbatch"},
		{"server.heartbeat_grace", s.HeartbeatGrace, 10 * time.Second},
		{"server.min_heartbeat_ttl", s.MinHeartbeatTTL, 10 * time.Second},
		{"server.failover_heartbeat_ttl", s.FailoverHeartbeatTTL, 5 * time.Minute},
		{"server.max_heartbeats_per_second", s.MaxHeartbeatsPerSecond, 50.0},
		{"server.raft_snapshot_threshold", s.RaftSnapshotThreshold, 8192},
		{"server.raft_snapshot_interval", s.RaftSnapshotInterval, 2 * time.Minute},
		{"server.raft_trailing_logs", s.RaftTrailingLogs, 10240},
		{"server.server_join.retry_join (bare host gets 4647)", strings.Join(s.RetryJoin, ","), "10.1.0.6:4647,10.1.0.7:4647"},
		{"server.server_join.retry_interval", s.RetryInterval, 15 * time.Second},
		{"client.servers and client.server_join.retry_join", strings.Join(c.Servers, ","), "10.1.0.5:4647,10.1.0.6:4647,10.1.0.7:4647"},
		{"client.node_pool", c.NodePool, "batch-pool"},
		{"client.network_interface", c.NetworkInterface, "eth0"},
		{"client.meta", c.Meta["rack"], "r1"},
		{"client.reserved.cpu", c.Reserved.CPU, 500},
		{"client.host_volume", c.HostVolumes["mysql"].Path, "/tmp"},
		{"acl.enabled", cfg.ACL.Enabled, true},
		{"telemetry.prometheus_metrics", cfg.Telemetry.PrometheusMetrics, true},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

// TestNomadConfigUnknownStillFails: a name that is neither nomadlike's nor
// Nomad's is an error with its file:line:col, at every level.
func TestNomadConfigUnknownStillFails(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"top level", "data_dir = \"/d\"\nlog_rotate_byte = 1\n", "a.hcl:2:1: Unsupported argument"},
		{"top-level block", "consul {}\nconsol {}\n", "a.hcl:2:1: Unsupported block type"},
		{"server", "server {\n  enabled = true\n  raft_protocl = 3\n}\n", "a.hcl:3:3: Unsupported argument"},
		{"client", "client {\n  enabled = true\n  gc_intervall = \"1m\"\n}\n", "a.hcl:3:3: Unsupported argument"},
		{"client block", "client {\n  host_volumes {}\n}\n", "a.hcl:2:3: Unsupported block type"},
		{"client server_join", "client {\n  server_join {\n    retry_joins = []\n  }\n}\n", "a.hcl:3:5: Unsupported argument"},
		{"host_volume needs its label", "client {\n  host_volume {}\n}\n", "a.hcl:2:15: Missing name for host_volume"},
		{"reserved", "client {\n  reserved {\n    iops = 1\n  }\n}\n", "a.hcl:3:5: Unsupported argument"},
		{"ports", "ports {\n  grpc = 1\n}\n", "a.hcl:2:3: Unsupported argument"},
		{"bad scheduler", "server {\n  enabled_schedulers = [\"service\", \"cron\"]\n}\n", "a.hcl:2:3: Invalid server.enabled_schedulers"},
		{"bad duration", "server {\n  heartbeat_grace = \"soon\"\n}\n", "a.hcl:2:3: Invalid server.heartbeat_grace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ParseConfigFile(DefaultConfig(), "a.hcl", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestNomadConfigRetryMax: retry_max = 0 is what nomadlike does (retry
// until joined) and is silent; another value warns.
func TestNomadConfigRetryMax(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		warn      string
	}{
		{"zero is silent", "server {\n  server_join {\n    retry_max = 0\n  }\n}\n", ""},
		{"server_join", "server {\n  server_join {\n    retry_max = 3\n  }\n}\n", "a.hcl:3:5: server.server_join.retry_max has no effect in nomadlike"},
		{"server, old place", "server {\n  retry_max = 3\n}\n", "a.hcl:2:3: server.retry_max has no effect in nomadlike"},
		{"client", "client {\n  server_join {\n    retry_max = 3\n  }\n}\n", "a.hcl:3:5: client.server_join.retry_max has no effect in nomadlike"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if err := ParseConfigFile(cfg, "a.hcl", []byte(tc.src)); err != nil {
				t.Fatal(err)
			}
			got := strings.Join(cfg.AllWarnings(), "\n")
			if tc.warn == "" && got != "" || !strings.Contains(got, tc.warn) {
				t.Errorf("warnings = %q, want %q", got, tc.warn)
			}
		})
	}
}

// TestNomadConfigSockaddrTemplates: bind_addr, addresses and advertise
// take go-sockaddr templates, as in Nomad; one that resolves to no single
// address is an error at its position.
func TestNomadConfigSockaddrTemplates(t *testing.T) {
	cfg := DefaultConfig()
	src := `bind_addr = "{{ GetAllInterfaces | include \"flags\" \"loopback\" | include \"type\" \"IPv4\" | attr \"address\" }}"
addresses {
  http = "{{ \"127.0.0.1\" }}"
}
advertise {
  rpc = "{{ GetAllInterfaces | include \"flags\" \"loopback\" | include \"type\" \"IPv4\" | attr \"address\" }}:4647"
}
`
	if err := ParseConfigFile(cfg, "a.hcl", []byte(src)); err != nil {
		t.Fatal(err)
	}
	if cfg.BindAddr != "127.0.0.1" || cfg.Addresses.HTTP != "127.0.0.1" || cfg.Advertise.RPC != "127.0.0.1:4647" {
		t.Errorf("bind_addr %q, addresses.http %q, advertise.rpc %q; want 127.0.0.1, 127.0.0.1, 127.0.0.1:4647", cfg.BindAddr, cfg.Addresses.HTTP, cfg.Advertise.RPC)
	}
	for _, tc := range []struct{ name, src, want string }{
		{"no address", "bind_addr = \"{{ GetAllInterfaces | include \\\"name\\\" \\\"^nosuchif$\\\" | attr \\\"address\\\" }}\"\n", "a.hcl:1:1: Invalid bind_addr"},
		{"bad template", "advertise {\n  http = \"{{ NoSuchFunc }}\"\n}\n", "a.hcl:2:3: Invalid advertise.http"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ParseConfigFile(DefaultConfig(), "a.hcl", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestServerTuningReachesTheServer: Nomad's server settings that nomadlike
// has are handed to the server; unset ones keep its defaults.
func TestServerTuningReachesTheServer(t *testing.T) {
	got := server.DefaultConfig()
	applyServerTuning(&got, &ServerConfig{
		HeartbeatGrace: 20 * time.Second, MinHeartbeatTTL: 15 * time.Second, FailoverHeartbeatTTL: time.Minute,
		MaxHeartbeatsPerSecond: 25, EnabledSchedulers: []string{"batch"},
		RaftSnapshotThreshold: 100, RaftSnapshotInterval: time.Minute, RaftTrailingLogs: 200,
	})
	want := server.DefaultConfig()
	want.HeartbeatGrace, want.HeartbeatMinTTL, want.FailoverHeartbeatTTL = 20*time.Second, 15*time.Second, time.Minute
	want.MaxHeartbeatsPerSecond, want.EnabledSchedulers = 25, []string{"batch"}
	want.SnapshotThreshold, want.SnapshotInterval, want.TrailingLogs = 100, time.Minute, 200
	if !reflect.DeepEqual(got, want) {
		t.Errorf("server config =\n%+v\nwant\n%+v", got, want)
	}
	untouched := server.DefaultConfig()
	applyServerTuning(&untouched, &ServerConfig{})
	if !reflect.DeepEqual(untouched, server.DefaultConfig()) {
		t.Error("an empty ServerConfig changed the server's defaults")
	}
}

// TestServerDataDir: server.data_dir holds the raft data instead of
// data_dir/server.
func TestServerDataDir(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Name = "datadir-test"
	cfg.DataDir = t.TempDir()
	cfg.BindAddr = "127.0.0.1"
	cfg.Ports.HTTP, cfg.Ports.RPC = 0, 0
	cfg.Server.Enabled, cfg.Server.BootstrapExpect = true, 1
	cfg.Server.DataDir = filepath.Join(t.TempDir(), "raft-here")
	a, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown()
	entries, err := os.ReadDir(cfg.Server.DataDir)
	if err != nil || len(entries) == 0 {
		t.Errorf("server.data_dir %s holds %v (%v), want the raft data", cfg.Server.DataDir, entries, err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "server")); !os.IsNotExist(err) {
		t.Errorf("data_dir/server exists (%v): the raft data went to the default place", err)
	}
}

// TestAgentConfigDocListsNoEffect: website/agent-config.md names every
// setting that warns.
func TestAgentConfigDocListsNoEffect(t *testing.T) {
	page, err := os.ReadFile("../../website/agent-config.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(page), "## Nomad agent configurations")
	if !ok {
		t.Fatal("website/agent-config.md has no \"## Nomad agent configurations\" section")
	}
	for _, tbl := range []map[string]noEffect{topNoEffect, serverNoEffect, clientNoEffect} {
		for name := range tbl {
			if !strings.Contains(section, "`"+name+"`") {
				t.Errorf("the Nomad agent configurations section of website/agent-config.md does not list `%s`", name)
			}
		}
	}
}
