package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// identityServiceJob registers service "web" (provider nomad) and, with
// the NOMAD_TOKEN of its identity block, reads it back from the agent
// until it is there, then tries another namespace's services and /v1/jobs,
// recording bodies and exit codes in local/.
func identityServiceJob(jobID, addr string) string {
	get := func(path, name string) string {
		return fmt.Sprintf(`busybox wget -qO local/%[2]s.txt --header "X-Nomad-Token: $NOMAD_TOKEN" "http://%[3]s%[1]s" 2>local/%[2]s.err; echo $? > local/%[2]s.rc`, path, name, addr)
	}
	script := strings.Join([]string{
		// the client registers the service once the task runs: retry
		"i=0; while [ $i -lt 100 ]; do " + get("/v1/service/web", "svc") + "; grep -q web local/svc.txt && break; i=$((i+1)); sleep 0.2; done",
		get("/v1/services", "list"),
		get("/v1/service/web?namespace=prod", "prod"),
		get("/v1/jobs", "jobs"),
		"touch local/done", "sleep 3600"}, "; ")
	return fmt.Sprintf(`job %q {
  datacenters = ["*"]
  type = "service"
  group "g" {
    network {
      port "http" {}
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", %q]
      }
      service {
        name     = "web"
        port     = "http"
        provider = "nomad"
      }
      identity {
        env = true
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, jobID, script)
}

// TestVarsIdentityServices: a task reads its namespace's service catalog
// (/v1/service/web, /v1/services) with the workload identity in its
// NOMAD_TOKEN, and gets 403 for another namespace's services and for
// /v1/jobs (the identity reads services, nothing more).
func TestVarsIdentityServices(t *testing.T) {
	v := startVarsAgent(t, false)
	const jobID = "idsvc"
	v.mustCLI("", "namespace", "apply", "prod")
	v.mustCLI("", "job", "run", "-detach", v.writeJob(jobID, identityServiceJob(jobID, v.HTTPAddr())))
	alloc := v.waitOneAlloc(v.ctx, jobID, nomadlike.AllocClientStatusRunning)
	read := v.waitTaskLocal(alloc.ID, "t", "done")
	if rc, body := read("svc.rc"), read("svc.txt"); rc != "0" || !strings.Contains(body, `"ServiceName":"web"`) || !strings.Contains(body, alloc.ID) {
		_, all := v.cli(v.root, "", "service", "list", "-namespace", "*")
		t.Fatalf("GET /v1/service/web with the identity: rc %s body %q err %q; want 200 with the instance (catalog as root: %s)", rc, body, read("svc.err"), all)
	}
	if rc, body := read("list.rc"), read("list.txt"); rc != "0" || !strings.Contains(body, `"web"`) {
		t.Fatalf("GET /v1/services with the identity: rc %s body %q err %q; want 200 listing web", rc, body, read("list.err"))
	}
	if rc, errOut := read("prod.rc"), read("prod.err"); rc == "0" || !strings.Contains(errOut, "403") {
		t.Fatalf("another namespace's services with the identity: rc %s err %q; want 403", rc, errOut)
	}
	if rc, errOut := read("jobs.rc"), read("jobs.err"); rc == "0" || !strings.Contains(errOut, "403") {
		t.Fatalf("/v1/jobs with the identity: rc %s err %q; want 403", rc, errOut)
	}
}

// waitTaskLocal waits until the task has created local/done and returns a
// reader of its local/ files (trimmed).
func (v *varsAgent) waitTaskLocal(allocID, task, done string) func(name string) string {
	v.tb.Helper()
	local := filepath.Join(v.dataDir, "alloc", allocID, task, "local")
	poll.UntilTrue(v.tb, ctxLeft(v.ctx), "the task to write local/"+done, func() bool { return exists(filepath.Join(local, done)) })
	return func(name string) string {
		b, _ := os.ReadFile(filepath.Join(local, name))
		return strings.TrimSpace(string(b))
	}
}
