package e2e

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// identityJob reads its own job's variable and another job's through the
// agent's API with the NOMAD_TOKEN its identity block puts in its
// environment, recording bodies and exit codes in local/.
func identityJob(jobID, addr string) string {
	get := func(path, name string) string {
		return fmt.Sprintf(`busybox wget -qO local/%[2]s.txt --header "X-Nomad-Token: $NOMAD_TOKEN" http://%[3]s/v1/var/%[1]s 2>local/%[2]s.err; echo $? > local/%[2]s.rc`, path, name, addr)
	}
	script := strings.Join([]string{
		get("nomad/jobs/"+jobID, "own"),
		get("nomad/jobs/other", "other"),
		fmt.Sprintf(`busybox wget -qO local/jobs.txt --header "X-Nomad-Token: $NOMAD_TOKEN" http://%s/v1/jobs 2>local/jobs.err; echo $? > local/jobs.rc`, addr),
		"touch local/done", "sleep 3600"}, "; ")
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
        env  = true
        file = true
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

// TestVarsWorkloadIdentity: a task whose identity block sets env = true
// reads its own job's variable with NOMAD_TOKEN and gets 403 for another
// job's variable and for /v1/jobs; its secrets/nomad_token is 0600; once
// the allocation stops, its token is refused.
func TestVarsWorkloadIdentity(t *testing.T) {
	v := startVarsAgent(t, false)
	const jobID = "idapp"
	v.mustCLI("", "var", "put", "nomad/jobs/"+jobID, "password=s3cret-own")
	v.mustCLI("", "var", "put", "nomad/jobs/other", "password=s3cret-other")
	v.mustCLI("", "job", "run", "-detach", v.writeJob(jobID, identityJob(jobID, v.HTTPAddr())))
	alloc := v.waitOneAlloc(v.ctx, jobID, nomadlike.AllocClientStatusRunning)
	local := filepath.Join(v.dataDir, "alloc", alloc.ID, "t", "local")
	poll.UntilTrue(t, ctxLeft(v.ctx), "the task to finish its requests", func() bool { return exists(filepath.Join(local, "done")) })
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(local, name))
		return strings.TrimSpace(string(b))
	}
	if rc, body := read("own.rc"), read("own.txt"); rc != "0" || !strings.Contains(body, "s3cret-own") {
		t.Fatalf("own variable: rc %s body %q err %q; want it read", rc, body, read("own.err"))
	}
	if rc, body, errOut := read("other.rc"), read("other.txt"), read("other.err"); rc == "0" || strings.Contains(body, "s3cret-other") || !strings.Contains(errOut, "403") {
		t.Fatalf("other job's variable: rc %s body %q err %q; want 403", rc, body, errOut)
	}
	if rc, errOut := read("jobs.rc"), read("jobs.err"); rc == "0" || !strings.Contains(errOut, "403") {
		t.Fatalf("/v1/jobs with the identity: rc %s err %q; want 403", rc, errOut)
	}
	tokPath := filepath.Join(v.dataDir, "alloc", alloc.ID, "t", "secrets", "nomad_token")
	fi, err := os.Stat(tokPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secrets/nomad_token: %v %v, want mode 0600", fi, err)
	}
	tok, _ := os.ReadFile(tokPath)
	get := func() int {
		req, _ := http.NewRequestWithContext(v.ctx, http.MethodGet, "http://"+v.HTTPAddr()+"/v1/var/nomad/jobs/"+jobID, nil)
		req.Header.Set("Authorization", "Bearer "+string(tok))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(); code != http.StatusOK {
		t.Fatalf("GET with the token file's identity (Bearer) = %d, want 200", code)
	}
	v.mustCLI("", "job", "stop", "-detach", jobID)
	v.waitOneAlloc(v.ctx, jobID, nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)
	if code := get(); code != http.StatusForbidden {
		t.Fatalf("GET with a stopped allocation's identity = %d, want 403", code)
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
