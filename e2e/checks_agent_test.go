package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	napi "github.com/hashicorp/nomad/api"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

var checksSpaces = regexp.MustCompile(` +`)

// checksJob is a service job running busybox httpd under raw_exec with an
// http check on path; checkRestart is added to the check's body.
func checksJob(name, path, checkRestart string) string {
	return `job "` + name + `" {
  datacenters = ["dc1"]
  group "g" {
    network {
      port "http" {}
    }
    restart {
      attempts = 10
      interval = "10m"
      delay    = "1s"
      mode     = "delay"
    }
    service {
      name     = "` + name + `"
      port     = "http"
      provider = "nomad"
      check {
        name     = "alive"
        type     = "http"
        path     = "` + path + `"
        interval = "500ms"
        timeout  = "2s"
        task     = "web"
` + checkRestart + `
      }
      check {
        name     = "port"
        type     = "tcp"
        interval = "500ms"
        timeout  = "2s"
      }
      check {
        name     = "script"
        type     = "script"
        task     = "web"
        command  = "/bin/sh"
        args     = ["-c", "echo in-task; exit 0"]
        interval = "500ms"
        timeout  = "5s"
      }
    }
    task "web" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo ok > $NOMAD_TASK_DIR/index.html; exec busybox httpd -f -p $NOMAD_ADDR_http -h $NOMAD_TASK_DIR"]
      }
      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
`
}

// TestChecksPassAndRestart runs a real agent and real busybox httpd
// tasks: a passing http+tcp check shows in `alloc checks` and `alloc
// status`; a failing http check with check_restart restarts its task.
func TestChecksPassAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	if _, err := os.Stat("/usr/bin/busybox"); err != nil {
		t.Skip("busybox not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	dir := t.TempDir()
	// Tasks and checks stay on loopback.
	cfg := filepath.Join(dir, "agent.hcl")
	if err := os.WriteFile(cfg, []byte("client {\n  network_interface = \"lo\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startAgent(t, "checks", "-dev", "-config", cfg)
	addr := "-address=http://" + p.HTTPAddr()
	waitReadyNode(ctx, t, p)

	run := func(name, src string) string {
		t.Helper()
		file := filepath.Join(dir, name+".nomad.hcl")
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, out := runCLI(ctx, t, "job", "run", "-detach", addr, file); code != 0 {
			t.Fatalf("job run %s = %d\n%s", name, code, out)
		}
		var id string
		poll.Until(t, ctxLeft(ctx), name+"'s allocation to run", func() (bool, string) {
			allocs, _, err := p.client.Jobs().Allocations(ctx, name, false, nil)
			if err == nil && len(allocs) == 1 && allocs[0].ClientStatus == nomadlike.AllocClientStatusRunning {
				id = allocs[0].ID
				return true, ""
			}
			return false, fmt.Sprintf("%v %v", allocs, err)
		})
		return id
	}

	good := run("web", checksJob("web", "/index.html", ""))
	var out string
	poll.Until(t, ctxLeft(ctx), "the checks to pass", func() (bool, string) {
		var code int
		code, out = runCLI(ctx, t, "alloc", "checks", addr, good)
		out = checksSpaces.ReplaceAllString(out, " ")
		return code == 0 && strings.Count(out, "Status = success") == 3, "\n" + out
	})
	for _, want := range []string{"Status of 3 Nomad Service Checks", "Output = in-task", "Name = alive", "StatusCode = 200", "Mode = healthiness", "Name = port"} {
		if !strings.Contains(out, want) {
			t.Errorf("alloc checks lacks %q:\n%s", want, out)
		}
	}
	// The endpoint answers Nomad's shape.
	resp, err := http.Get("http://" + p.HTTPAddr() + "/v1/client/allocation/" + good + "/checks")
	if err != nil {
		t.Fatal(err)
	}
	var statuses napi.AllocCheckStatuses
	err = json.NewDecoder(resp.Body).Decode(&statuses)
	resp.Body.Close()
	if err != nil || len(statuses) != 3 {
		t.Fatalf("decode into api.AllocCheckStatuses: %v (%d checks)", err, len(statuses))
	}
	for id, st := range statuses {
		if st.ID != id || st.Status != "success" || st.Service != "web" || st.Group != "g" || st.Timestamp == 0 {
			t.Errorf("check %s = %+v", id, st)
		}
	}
	if code, st := runCLI(ctx, t, "alloc", "status", addr, good); code != 0 || !strings.Contains(st, "Nomad Service Checks:") ||
		!strings.Contains(st, "alive") {
		t.Errorf("alloc status = %d, no checks section:\n%s", code, st)
	}

	bad := run("broken", checksJob("broken", "/missing", `        check_restart {
          limit = 2
          grace = "1s"
        }`))
	poll.Until(t, ctxLeft(ctx), "the failing check to restart the task", func() (bool, string) {
		a, _, err := p.client.Allocations().Info(ctx, bad, nil)
		if err != nil {
			return false, err.Error()
		}
		ts := a.TaskStates["web"]
		return ts != nil && ts.Restarts >= 1, fmt.Sprintf("task state %+v", ts)
	})
	code, st := runCLI(ctx, t, "alloc", "status", addr, bad)
	if code != 0 || !strings.Contains(st, `healthcheck: check \"alive\" unhealthy`) && !strings.Contains(st, `healthcheck: check "alive" unhealthy`) {
		t.Errorf("alloc status shows no check restart:\n%s", st)
	}
	// The passing job's task was never restarted.
	if a, _, err := p.client.Allocations().Info(ctx, good, nil); err != nil || a.TaskStates["web"].Restarts != 0 {
		t.Errorf("passing task restarted: %v", err)
	}
}
