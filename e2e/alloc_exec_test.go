package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	napi "github.com/hashicorp/nomad/api"

	"github.com/nomadlike/nomadlike/drivers/drivertest"
	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// execTaskJob is a service job whose exec task, as nobody, sleeps.
func execTaskJob(jobID string) string {
	return fmt.Sprintf(`job %q {
  datacenters = ["*"]
  group "g" {
    task "t" {
      driver = "exec"
      user   = "nobody"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo $$ > /local/pid; exec sleep 1000"]
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`, jobID)
}

// TestAllocExec drives alloc exec in an exec task end to end: the real CLI
// with stdin piped and no TTY gets the command's output and exit code;
// Nomad's own Go client (Allocations().Exec) gets a TTY whose size it
// sets; both run as the task's user, inside the task.
func TestAllocExec(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	if os.Geteuid() != 0 {
		t.Skip("the exec driver needs root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{}, "exec")
	a.mustCLI(ctx, "job", "run", "-detach", a.writeJob("execme", execTaskJob("execme")))
	alloc := a.waitOneAlloc(ctx, "execme", nomadlike.AllocClientStatusRunning)

	t.Run("CLI with piped stdin", func(t *testing.T) {
		cmd := exec.CommandContext(ctx, nomadlikeBin, "alloc", "exec", a.address(), "-i", "-t=false", alloc.ID,
			"/bin/sh", "-c", `read x; echo "got $x as $(id -un) in $(cat /proc/1/cmdline | tr '\0' ' ')"; echo to-stderr >&2; exit 7`)
		cmd.Stdin = strings.NewReader("hello\n")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != 7 {
			t.Fatalf("alloc exec exit code = %d, want 7; stdout %q stderr %q", code, stdout.String(), stderr.String())
		}
		if want := "got hello as nobody in sleep 1000"; !strings.Contains(stdout.String(), want) {
			t.Errorf("alloc exec stdout = %q, want %q (the task's user, PID namespace)", stdout.String(), want)
		}
		if !strings.Contains(stderr.String(), "to-stderr") {
			t.Errorf("alloc exec stderr = %q, want to-stderr", stderr.String())
		}
	})

	t.Run("CLI refuses a command for an unknown task", func(t *testing.T) {
		code, out := a.cli(ctx, "alloc", "exec", "-i=false", "-task", "nope", alloc.ID, "/bin/true")
		if code == 0 || !strings.Contains(out, "nope") {
			t.Fatalf("alloc exec -task nope = %d %q, want an error naming the task", code, out)
		}
	})

	t.Run("Nomad's Go client with a TTY and resize", func(t *testing.T) {
		nc, err := napi.NewClient(&napi.Config{Address: "http://" + a.HTTPAddr()})
		if err != nil {
			t.Fatal(err)
		}
		info, _, err := nc.Allocations().Info(alloc.ID, nil)
		if err != nil {
			t.Fatalf("Allocations().Info: %v", err)
		}
		stdin := drivertest.NewFeeder()
		defer stdin.Close()
		var out drivertest.SyncBuffer
		sizes := make(chan napi.TerminalSize, 1)
		sizes <- napi.TerminalSize{Height: 40, Width: 120}
		type result struct {
			code int
			err  error
		}
		done := make(chan result, 1)
		go func() {
			code, err := nc.Allocations().Exec(ctx, info, "t", true,
				[]string{"/bin/sh", "-c", `[ -t 0 ] && echo is-a-tty; while read x; do [ "$x" = q ] && exit 4; stty size; done`},
				stdin, &out, &out, sizes, nil)
			done <- result{code, err}
		}()
		poll.Until(t, 60*time.Second, "the terminal size to reach the command", func() (bool, string) {
			if strings.Contains(out.String(), "40 120") {
				return true, ""
			}
			select {
			case r := <-done:
				t.Fatalf("Exec returned early: code %d, %v; output %q", r.code, r.err, out.String())
			default:
			}
			stdin.Send("\n")
			return false, fmt.Sprintf("output %q", out.String())
		})
		stdin.Send("q\n")
		var r result
		select {
		case r = <-done:
		case <-ctx.Done():
			t.Fatal("Exec did not return after the command exited")
		}
		if r.err != nil || r.code != 4 || !strings.Contains(out.String(), "is-a-tty") {
			t.Fatalf("Exec = %d, %v; output %q; want 4, is-a-tty", r.code, r.err, out.String())
		}
	})
}

// TestAllocExecACL: with ACLs on, a token without alloc-exec in the
// allocation's namespace (and no token at all) cannot run a command in a
// task, through the CLI or Nomad's Go client, and nothing runs; a token
// with alloc-exec can.
func TestAllocExecACL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	if os.Geteuid() != 0 {
		t.Skip("the exec driver needs root")
	}
	if err := becomeSubreaper(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "agent.hcl")
	if err := os.WriteFile(cfgPath, []byte("acl {\n  enabled = true\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ports := portsTB(t, 2)
	dataDir := filepath.Join(dir, "dev1")
	fa := newAgent(t, dir, "dev1", []string{"agent", "-dev", "-node", "dev1", "-data-dir", dataDir, "-config", cfgPath,
		"-http-port", strconv.Itoa(ports[0]), "-rpc-port", strconv.Itoa(ports[1])}, ports[0], ports[1])
	a := &devAgent{faultAgent: fa, tb: t, dir: dir}
	t.Cleanup(func() {
		a.stopAll()
		if t.Failed() {
			t.Logf("----- agent log (tail) -----\n%s", a.logTail(8000))
		}
	})
	a.Start()

	var root *nomadlike.ACLToken
	poll.Until(t, 60*time.Second, "the ACL bootstrap", func() (bool, string) {
		tok, _, err := fa.client.ACLTokens().Bootstrap(ctx, "", nil)
		root = tok
		return err == nil, fmt.Sprintf("ACL bootstrap: %v", err)
	})
	mc, err := api.NewClient(api.Config{Address: "http://" + a.HTTPAddr(), Token: root.SecretID})
	if err != nil {
		t.Fatal(err)
	}
	fa.client = mc
	a.waitReady(60*time.Second, "exec")
	tokens := map[string]string{}
	for name, rules := range map[string]string{
		"noexec": `namespace "default" { capabilities = ["read-job", "submit-job", "list-jobs", "read-logs", "alloc-lifecycle"] }`,
		"exec":   `namespace "default" { capabilities = ["read-job", "alloc-exec"] }`,
	} {
		if _, err := mc.ACLPolicies().Upsert(ctx, &nomadlike.ACLPolicy{Name: name, Rules: rules}, nil); err != nil {
			t.Fatalf("upsert policy %s: %v", name, err)
		}
		tok, _, err := mc.ACLTokens().Create(ctx, &nomadlike.ACLToken{Name: name, Type: "client", Policies: []string{name}}, nil)
		if err != nil {
			t.Fatalf("create token %s: %v", name, err)
		}
		tokens[name] = tok.SecretID
	}
	cliAs := func(token string, args ...string) (int, string) {
		cmd := exec.CommandContext(ctx, nomadlikeBin, args...)
		cmd.Env = append(os.Environ(), "NOMAD_TOKEN="+token)
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	if code, out := cliAs(root.SecretID, "job", "run", "-detach", a.address(), a.writeJob("aclexec", execTaskJob("aclexec"))); code != 0 {
		t.Fatalf("job run = %d %s", code, out)
	}
	alloc := a.waitOneAlloc(ctx, "aclexec", nomadlike.AllocClientStatusRunning)
	marker := filepath.Join(dataDir, "alloc", alloc.ID, "t", "local", "pwned")
	touch := []string{"/bin/sh", "-c", "touch /local/pwned"}

	for _, tc := range []struct{ name, token string }{
		{"no token", ""},
		{"token without alloc-exec", tokens["noexec"]},
		{"unknown token", nomadlike.GenerateUUID()},
	} {
		t.Run("CLI "+tc.name, func(t *testing.T) {
			code, out := cliAs(tc.token, append([]string{"alloc", "exec", a.address(), "-i=false", "-t=false", "-task", "t", alloc.ID}, touch...)...)
			if code == 0 || !(strings.Contains(out, "permission denied") || strings.Contains(out, "ACL token not found")) {
				t.Errorf("alloc exec with %s = %d %q, want refused (permission denied)", tc.name, code, out)
			}
		})
	}
	nc, err := napi.NewClient(&napi.Config{Address: "http://" + a.HTTPAddr(), SecretID: tokens["noexec"]})
	if err != nil {
		t.Fatal(err)
	}
	info, _, err := nc.Allocations().Info(alloc.ID, nil)
	if err != nil {
		t.Fatalf("Allocations().Info with read-job: %v", err)
	}
	var out bytes.Buffer
	if code, err := nc.Allocations().Exec(ctx, info, "t", false, touch, strings.NewReader(""), &out, &out, nil, nil); err == nil {
		t.Errorf("Nomad's Exec without alloc-exec = %d, nil; want refused", code)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Fatalf("a refused exec ran its command: %s exists (%v)", marker, err)
	}

	if code, out := cliAs(tokens["exec"], append([]string{"alloc", "exec", a.address(), "-i=false", "-t=false", alloc.ID}, touch...)...); code != 0 {
		t.Fatalf("alloc exec with alloc-exec = %d %q, want 0", code, out)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("the allowed exec left no %s: %v", marker, err)
	}
}
