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

// tmplVarJob renders varPath's password into secrets/pw and prints it at
// every start.
func tmplVarJob(name, varPath string) string {
	return fmt.Sprintf(`job %q {
  datacenters = ["*"]
  group "g" {
    task "app" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo \"pw=$(cat \"$NOMAD_SECRETS_DIR/pw\")\"; exec sleep 3600"]
      }
      template {
        destination = "secrets/pw"
        change_mode = "restart"
        splay       = "1s"
        data        = <<EOT
{{- with nomadVar "%s" }}{{ .password }}{{ end -}}
EOT
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`, name, varPath)
}

// TestTmplVarReRenderRestarts is the secrets issue's end to end: with ACLs
// on, `var put nomad/jobs/app password=s3cret`; the app job's template
// (read with the task's workload identity) renders it and the task prints
// it; a second `var put` re-renders the file and restarts the task within
// 10 s; another job's template cannot read app's variable (its task waits,
// the 403 in its events).
func TestTmplVarReRenderRestarts(t *testing.T) {
	v := startVarsAgent(t, true)
	ctx := v.ctx
	v.mustCLI("", "var", "put", "nomad/jobs/app", "password=s3cret")
	v.mustCLI("", "job", "run", "-detach", v.writeJob("app", tmplVarJob("app", "nomad/jobs/app")))
	stub := v.waitOneAlloc(ctx, "app", nomadlike.AllocClientStatusRunning)
	pw := filepath.Join(v.dataDir, "alloc", stub.ID, "app", "secrets", "pw")
	fileIs := func(want string) func() bool {
		return func() bool {
			b, _ := os.ReadFile(pw)
			return string(b) == want
		}
	}
	poll.UntilTrue(t, 30*time.Second, "the first render", fileIs("s3cret"))

	v.mustCLI("", "var", "put", "nomad/jobs/app", "password=n3w")
	poll.UntilTrue(t, 10*time.Second, "the re-render after var put", fileIs("n3w"))
	poll.UntilTrue(t, 10*time.Second, "the task's restart after the re-render", func() bool {
		alloc, _, err := v.api().Allocations().Info(ctx, stub.ID, nil)
		return err == nil && alloc.TaskStates["app"] != nil && alloc.TaskStates["app"].Restarts >= 1 &&
			alloc.TaskStates["app"].State == nomadlike.TaskStateRunning
	})
	poll.UntilTrue(t, 10*time.Second, "the restarted task printing the new value", func() bool {
		_, out := v.cli(v.root, "", "alloc", "logs", stub.ID, "app")
		return strings.Contains(out, "pw=n3w")
	})

	// Another job reads app's variable through its own identity: 403.
	v.mustCLI("", "job", "run", "-detach", v.writeJob("thief", tmplVarJob("thief", "nomad/jobs/app")))
	thief := v.waitOneAlloc(ctx, "thief", nomadlike.AllocClientStatusPending)
	poll.UntilTrue(t, 30*time.Second, "the thief's template reporting a 403", func() bool {
		alloc, _, err := v.api().Allocations().Info(ctx, thief.ID, nil)
		if err != nil || alloc.TaskStates["app"] == nil {
			return false
		}
		for _, e := range alloc.TaskStates["app"].Events {
			if strings.Contains(e.DisplayMessage, "nomad.var.block(nomad/jobs/app@default)") && strings.Contains(e.DisplayMessage, "403") {
				return true
			}
		}
		return false
	})
	if b, err := os.ReadFile(filepath.Join(v.dataDir, "alloc", thief.ID, "app", "secrets", "pw")); err == nil && strings.Contains(string(b), "n3w") {
		t.Fatalf("the thief rendered app's secret")
	}

	// After the template flow, neither the servers' data dir (Raft log,
	// BoltDB, snapshots) nor a saved snapshot holds the first value, and
	// neither does the client's state (the rendered file and the task's
	// log, in the allocation directory, do: the job asked for them).
	snap := filepath.Join(t.TempDir(), "tmpl.snap")
	v.mustCLI("", "operator", "snapshot", "save", snap)
	serverDir, clientDir := filepath.Join(v.dataDir, "server"), filepath.Join(v.dataDir, "client")
	if hits := grepTree(t, "nomad/jobs/app", serverDir, snap); len(hits) < 2 {
		t.Fatalf("the path is in %v only: the grep does not cover the raft data and the snapshot", hits)
	}
	if hits := grepTree(t, "s3cret", serverDir, clientDir, snap); len(hits) > 0 {
		t.Fatalf("plaintext variable value found in %v", hits)
	}
}
