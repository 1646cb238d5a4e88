package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// renewJob's task has a 4 s identity with change_mode restart; each start
// records the token file and reads its own job's variable with it.
func renewJob(jobID, addr string) string {
	script := strings.Join([]string{
		"tok=$(cat secrets/nomad_token)",
		"echo \"$tok\" >> local/tokens",
		fmt.Sprintf(`busybox wget -qO local/var.txt --header "X-Nomad-Token: $tok" http://%s/v1/var/nomad/jobs/%s 2>local/var.err; echo $? >> local/rcs`, addr, jobID),
		"exec sleep 3600"}, "; ")
	return fmt.Sprintf(`job %q {
  datacenters = ["*"]
  type = "service"
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", %q]
      }
      identity {
        file        = true
        ttl         = "4s"
        change_mode = "restart"
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

// TestVarsIdentityRenewal: on a real agent a task's identity with ttl =
// "4s" is renewed before it expires: secrets/nomad_token changes, the task
// restarts (change_mode restart) and reads its variable with the new token.
func TestVarsIdentityRenewal(t *testing.T) {
	v := startVarsAgent(t, false)
	const jobID = "idrenew"
	v.mustCLI("", "var", "put", "nomad/jobs/"+jobID, "password=s3cret-renew")
	v.mustCLI("", "job", "run", "-detach", v.writeJob(jobID, renewJob(jobID, v.HTTPAddr())))
	alloc := v.waitOneAlloc(v.ctx, jobID, nomadlike.AllocClientStatusRunning)
	local := filepath.Join(v.dataDir, "alloc", alloc.ID, "t", "local")
	lines := func(name string) []string {
		b, _ := os.ReadFile(filepath.Join(local, name))
		return strings.Fields(string(b))
	}
	poll.Until(t, 60*time.Second, "3 starts with renewed tokens", func() (bool, string) {
		toks, rcs := lines("tokens"), lines("rcs")
		return len(toks) >= 3 && len(rcs) >= 3, fmt.Sprintf("tokens %d, reads %v", len(toks), rcs)
	})
	toks, rcs := lines("tokens"), lines("rcs")
	seen := map[string]bool{}
	for _, tok := range toks {
		if seen[tok] {
			t.Fatalf("a start saw the same token twice: not renewed")
		}
		seen[tok] = true
	}
	for i, rc := range rcs {
		if rc != "0" {
			b, _ := os.ReadFile(filepath.Join(local, "var.err"))
			t.Fatalf("start %d read its variable with the renewed token: rc %s (%s)", i, rc, b)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(local, "var.txt")); !strings.Contains(string(b), "s3cret-renew") {
		t.Fatalf("variable read with the renewed token = %q", b)
	}
	a, _, err := v.api().Allocations().Info(v.ctx, alloc.ID, nil)
	if err != nil || a.TaskStates["t"] == nil || a.TaskStates["t"].Restarts < 2 {
		t.Fatalf("task restarts = %+v, %v; want >= 2 (change_mode restart)", a.TaskStates["t"], err)
	}
}
