package agent

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, dir, name, src string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const fullConfig = `
name       = "srv1"
region     = "eu"
datacenter = "dc2"
data_dir   = "/var/lib/nomadlike"
bind_addr  = "127.0.0.1"
log_level  = "debug"

ports {
  http = 5646
  rpc  = 5647
}

server {
  enabled          = true
  bootstrap_expect = 3
  num_schedulers   = 2
  server_join {
    retry_join     = ["127.0.0.1:5656", "127.0.0.1:5666"]
    retry_interval = "2s"
  }
}

client {
  enabled    = true
  node_class = "batch"
  meta {
    rack = "r1"
    tier = 2
  }
  options = {
    "driver.raw_exec.enable" = "1"
  }
  reserved {
    cpu            = 500
    memory         = 256
    reserved_ports = "22,80-81"
  }
}

plugin "raw_exec" {
  config {
    enabled = true
    volumes { enabled = false }
  }
}
`

func TestLoadConfigFull(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "agent.hcl", fullConfig)
	cfg, err := LoadConfig(DefaultConfig(), []string{p})
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", cfg.Name, "srv1"},
		{"region", cfg.Region, "eu"},
		{"datacenter", cfg.Datacenter, "dc2"},
		{"log_level", cfg.LogLevel, "DEBUG"},
		{"ports.http", cfg.Ports.HTTP, 5646},
		{"ports.rpc", cfg.Ports.RPC, 5647},
		{"ports.serf default", cfg.Ports.Serf, 4648},
		{"server.enabled", cfg.Server.Enabled, true},
		{"bootstrap_expect", cfg.Server.BootstrapExpect, 3},
		{"num_schedulers", cfg.Server.NumSchedulers, 2},
		{"retry_join", strings.Join(cfg.Server.RetryJoin, ","), "127.0.0.1:5656,127.0.0.1:5666"},
		{"retry_interval", cfg.Server.RetryInterval, 2 * time.Second},
		{"client.enabled", cfg.Client.Enabled, true},
		{"node_class", cfg.Client.NodeClass, "batch"},
		{"meta.rack", cfg.Client.Meta["rack"], "r1"},
		{"meta.tier", cfg.Client.Meta["tier"], "2"},
		{"options", cfg.Client.Options["driver.raw_exec.enable"], "1"},
		{"reserved.cpu", cfg.Client.Reserved.CPU, 500},
		{"reserved.memory", cfg.Client.Reserved.MemoryMB, 256},
		{"reserved_ports", cfg.Client.Reserved.ReservedPorts, "22,80-81"},
		{"http bind", cfg.HTTPBindAddr(), "127.0.0.1:5646"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	var plugin map[string]any
	if err := json.Unmarshal(cfg.Plugins["raw_exec"], &plugin); err != nil {
		t.Fatalf("plugin json %s: %v", cfg.Plugins["raw_exec"], err)
	}
	if plugin["enabled"] != true {
		t.Errorf("plugin raw_exec enabled = %v, want true (json %s)", plugin["enabled"], cfg.Plugins["raw_exec"])
	}
	if vol, ok := plugin["volumes"].(map[string]any); !ok || vol["enabled"] != false {
		t.Errorf("plugin raw_exec volumes = %v, want {enabled:false}", plugin["volumes"])
	}
}

func TestLoadConfigMergesInOrder(t *testing.T) {
	dir := t.TempDir()
	confDir := filepath.Join(dir, "conf.d")
	if err := os.Mkdir(confDir, 0o755); err != nil {
		t.Fatal(err)
	}
	base := writeFile(t, dir, "base.hcl", `
data_dir = "/data"
server { enabled = true }
ports { http = 7000 }
`)
	writeFile(t, confDir, "10-ports.hcl", `ports { http = 7100 }`)
	writeFile(t, confDir, "20-name.hcl", `name = "later"
ports { rpc = 7101 }`)
	writeFile(t, confDir, "ignored.txt", `this is not hcl {{{`)
	cfg, err := LoadConfig(DefaultConfig(), []string{base, confDir})
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if cfg.Ports.HTTP != 7100 || cfg.Ports.RPC != 7101 || cfg.Name != "later" || cfg.DataDir != "/data" || !cfg.Server.Enabled {
		t.Errorf("merged = http %d rpc %d name %q data %q server %v", cfg.Ports.HTTP, cfg.Ports.RPC, cfg.Name, cfg.DataDir, cfg.Server.Enabled)
	}
	if len(cfg.Files) != 3 {
		t.Errorf("Files = %v, want 3 files", cfg.Files)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want string // substring, after "agent.hcl:"
	}{
		{"syntax", "server {\n  enabled = \n}", "agent.hcl:2:"},
		{"unknown argument", "name = \"a\"\nbogus = 1\n", "agent.hcl:2:1: Unsupported argument"},
		{"unknown block", "server {\n  nope {}\n}\n", "agent.hcl:2:3: Unsupported block type"},
		{"wrong type", "server {\n  bootstrap_expect = \"three\"\n}\n", "agent.hcl:2:23: Unsuitable value type"},
		{"bad log level", "\nlog_level = \"loud\"\n", "agent.hcl:2:1: Invalid log_level"},
		{"bad duration", "server {\n  server_join {\n    retry_interval = \"soon\"\n  }\n}\n", "agent.hcl:3:5: Invalid server.server_join.retry_interval"},
		{"bad port", "ports {\n  http = 70000\n}\n", "agent.hcl:2:3: Invalid ports.http"},
		{"bad reserved ports", "client {\n  reserved {\n    reserved_ports = \"80-70\"\n  }\n}\n", "agent.hcl:3:5: Invalid client.reserved.reserved_ports"},
		{"negative bootstrap", "server {\n  bootstrap_expect = -1\n}\n", "agent.hcl:2:3: Invalid server.bootstrap_expect"},
		{"bad bind", "bind_addr = \"localhost\"\n", "agent.hcl:1:1: Invalid bind_addr"},
		{"client unknown", "client {\n  enabled = true\n  serverz = []\n}\n", "agent.hcl:3:3: Unsupported argument"},
		{"client bad meta", "client {\n  meta = \"x\"\n}\n", "agent.hcl:2:10: Invalid client.meta"},
		{"plugin stray argument", "plugin \"raw_exec\" {\n  enabled = true\n}\n", "agent.hcl:2:3: Unsupported argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeFile(t, dir, "agent.hcl", tc.src)
			_, err := LoadConfig(DefaultConfig(), []string{p})
			if err == nil {
				t.Fatalf("LoadConfig(%q) = nil error, want %q", tc.src, tc.want)
			}
			msg := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
			if !strings.Contains(msg, tc.want) {
				t.Errorf("LoadConfig(%q) error = %q, want it to contain %q", tc.src, msg, tc.want)
			}
		})
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := LoadConfig(DefaultConfig(), []string{filepath.Join(t.TempDir(), "nope.hcl")})
	if err == nil || !strings.Contains(err.Error(), "nope.hcl") {
		t.Fatalf("LoadConfig(missing) = %v, want an error naming the file", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Config)
		want   string // "" = valid
	}{
		{"dev is valid", func(c *Config) {}, ""},
		{"no role", func(c *Config) { c.Server.Enabled, c.Client.Enabled = false, false }, "server.enabled"},
		{"no data dir outside dev", func(c *Config) { c.DevMode = false }, "data_dir"},
		{"client without servers", func(c *Config) { c.Server.Enabled = false }, "client.servers"},
		{"bad retry join", func(c *Config) { c.Server.RetryJoin = []string{"nohost"} }, "server.server_join.retry_join[0]"},
		{"same ports", func(c *Config) { c.Ports.RPC = c.Ports.HTTP }, "ports.rpc"},
		{"bad log level", func(c *Config) { c.LogLevel = "x" }, "log_level"},
		{"dev bootstrap", func(c *Config) { c.Server.BootstrapExpect = 3 }, "server.bootstrap_expect"},
		{"negative reserved", func(c *Config) { c.Client.Reserved.MemoryMB = -1 }, "client.reserved.memory"},
		{"bad plugin json", func(c *Config) { c.Plugins["x"] = json.RawMessage("{") }, `plugin["x"].config`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DevConfig()
			tc.change(c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate() = %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

func TestParsePortRanges(t *testing.T) {
	cases := []struct {
		in   string
		want int
		err  bool
	}{
		{"", 0, false}, {"22", 1, false}, {"22, 80-82", 4, false},
		{"0", 0, true}, {"a", 0, true}, {"90-80", 0, true}, {"1-70000", 0, true},
	}
	for _, tc := range cases {
		got, err := ParsePortRanges(tc.in)
		if (err != nil) != tc.err || len(got) != tc.want {
			t.Errorf("ParsePortRanges(%q) = %v, %v; want %d ports, err %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}
