package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// nomadServerConfig is a server agent's configuration as one writes it for
// Nomad: serf port and addresses, consul and ui blocks, leave_on_*,
// server_join; nomadlike runs it unchanged and warns about what it ignores.
const nomadServerConfig = `name       = "srv1"
data_dir   = %q
bind_addr  = "127.0.0.1"
log_level  = "DEBUG"
disable_update_check = true
leave_on_terminate   = true

ports {
  http = %d
  rpc  = %d
  serf = %d
}

advertise {
  http = "127.0.0.1"
  rpc  = "127.0.0.1"
  serf = "127.0.0.1"
}

server {
  enabled          = true
  bootstrap_expect = 1
  encrypt          = "cg8StVXbQJ0gPvMd9o7yrg=="
  heartbeat_grace  = "20s"
  raft_protocol    = 3
  job_gc_threshold = "4h"
  server_join {
    retry_join = []
    retry_max  = 0
  }
}

consul {
  address = "127.0.0.1:8500"
}

ui {
  enabled = true
}
`

// nomadClientConfig is a client agent's configuration for Nomad: servers
// names the server's RPC port (4647 in a real cluster).
const nomadClientConfig = `name      = "cli1"
data_dir  = %q
bind_addr = "127.0.0.1"
log_level = "DEBUG"

ports {
  http = %d
}

client {
  enabled   = true
  servers   = ["127.0.0.1:%d"]
  node_pool = "default"
  gc_interval = "1m"
  host_volume "data" {
    path = %q
  }
}

plugin "raw_exec" {
  config {
    enabled = true
  }
}
`

// TestNomadStyleAgentConfigs starts a 1-server, 1-client cluster from
// agent configuration files written for Nomad (the client's servers name
// the server's RPC port) and runs a job through the CLI, against the
// server and through the client agent (which forwards to the server's
// resolved HTTP address). The agents log a warning for each setting that
// has no effect.
func TestNomadStyleAgentConfigs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts agents")
	}
	if err := becomeSubreaper(); err != nil {
		t.Fatalf("become child subreaper: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	c := &faultCluster{tb: t, dir: t.TempDir()}
	t.Cleanup(c.cleanup)
	ports := portsTB(t, 4) // server http, rpc, serf; client http
	write := func(name, src string) string {
		p := filepath.Join(c.dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	srvCfg := write("server.hcl", fmt.Sprintf(nomadServerConfig, filepath.Join(c.dir, "srv1"), ports[0], ports[1], ports[2]))
	volDir := filepath.Join(c.dir, "data-volume")
	if err := os.Mkdir(volDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cliCfg := write("client.hcl", fmt.Sprintf(nomadClientConfig, filepath.Join(c.dir, "cli1"), ports[3], ports[1], volDir))
	srv := c.newAgent("srv1", []string{"agent", "-config", srvCfg}, ports[0], ports[1])
	cli := c.newAgent("cli1", []string{"agent", "-config", cliCfg}, ports[3], 0)
	c.servers, c.clients = []*faultAgent{srv}, []*faultAgent{cli}
	srv.Start()
	c.waitLeader(c.servers, 60*time.Second)
	cli.Start()
	c.waitClientsReady(60 * time.Second)
	// Nomad's host_volume block works: the node carries the volume.
	stubs, _, err := c.api().Nodes().List(ctx, nil)
	if err != nil || len(stubs) != 1 {
		t.Fatalf("nodes = %v, %v", stubs, err)
	}
	node, _, err := c.api().Nodes().Info(ctx, stubs[0].ID, nil)
	if err != nil || node.HostVolumes["data"] == nil || node.HostVolumes["data"].Path != volDir {
		t.Fatalf("node host volumes = %+v, %v; want data at %s", node.HostVolumes, err, volDir)
	}

	job := write("greet.nomad.hcl", `job "greet" {
  type        = "batch"
  datacenters = ["*"]
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo hello from a nomad config"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`)
	for _, tc := range []struct{ name, addr string }{{"server", srv.HTTPAddr()}, {"client agent", cli.HTTPAddr()}} {
		code, out := runCLI(ctx, t, "job", "run", "-address=http://"+tc.addr, job)
		if code != 0 || !strings.Contains(out, `finished with status "complete"`) {
			t.Fatalf("job run through the %s = exit %d\n%s", tc.name, code, out)
		}
	}
	code, out := runCLI(ctx, t, "job", "status", "-address=http://"+cli.HTTPAddr(), "greet")
	if code != 0 || !strings.Contains(out, "complete") {
		t.Errorf("job status through the client agent = exit %d\n%s", code, out)
	}

	// Nomad's ui { enabled = true } works: the server serves the web UI.
	if resp, err := http.Get("http://" + srv.HTTPAddr() + "/ui/jobs"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET /ui/jobs on the server = %v, %v; want 200", resp, err)
	} else {
		resp.Body.Close()
	}
	srvLog, cliLog := srv.logTail(1<<20), cli.logTail(1<<20)
	for _, want := range []string{
		"server.hcl:11:3: ports.serf has no effect in nomadlike",
		"server.hcl:17:3: advertise.serf has no effect in nomadlike",
		"server.hcl:6:1: leave_on_terminate has no effect in nomadlike",
		"server.hcl:25:3: server.raft_protocol has no effect in nomadlike",
		"server.hcl:33:1: consul has no effect in nomadlike",
	} {
		if !strings.Contains(srvLog, want) {
			t.Errorf("the server's log lacks %q", want)
		}
	}
	for _, want := range []string{
		"server RPC address resolved to its HTTP API: server=127.0.0.1:" + strconv.Itoa(ports[1]) + " http=" + srv.HTTPAddr(),
	} {
		if !strings.Contains(cliLog, want) {
			t.Errorf("the client's log lacks %q", want)
		}
	}
	// The garbage collectors read these now: no warning.
	for _, not := range []string{"job_gc_threshold has no effect", "gc_interval has no effect"} {
		if strings.Contains(srvLog+cliLog, not) {
			t.Errorf("a log warns %q, but the setting works", not)
		}
	}
	if t.Failed() {
		t.Logf("server log:\n%s\nclient log:\n%s", srvLog, cliLog)
	}
}
