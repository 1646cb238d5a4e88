package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// queueJob is a raw_exec batch job of one allocation asking for memoryMB,
// at priority, running script (sh -c) once.
func queueJob(id string, priority int, memoryMB int64, script string) string {
	return queueJobWith(id, priority, memoryMB, "", script)
}

// queueJobWith is queueJob with extra job-level HCL (a parameterized,
// periodic or depends_on block).
func queueJobWith(id string, priority int, memoryMB int64, extra, script string) string {
	return fmt.Sprintf(`
job %q {
  datacenters = ["dc1"]
  type        = "batch"
  priority    = %d
%s
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }
    ephemeral_disk {
      size = 10
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", %q]
      }
      resources {
        cpu    = 20
        memory = %d
      }
    }
  }
}
`, id, priority, extra, script, memoryMB)
}

// queueCLI returns a runner of the CLI against addr that fails the test
// unless the exit code is want; "-address" goes after the command words.
func queueCLI(ctx context.Context, t *testing.T, addr string) func(want int, args ...string) string {
	return func(want int, args ...string) string {
		t.Helper()
		n := min(2, len(args)) // the command words ("job run", "queue")
		if args[0] == "queue" {
			n = 1
		}
		args = append(append(append([]string{}, args[:n]...), "-address", addr), args[n:]...)
		code, out := runCLI(ctx, t, args...)
		if code != want {
			t.Fatalf("nomadlike %s = exit %d, want %d:\n%s", strings.Join(args, " "), code, want, out)
		}
		return out
	}
}

// TestQueuePriorityAgent fills a real dev agent's node with a job sized to
// its memory, then submits two jobs that each need more than half of the
// node: the low-priority one first, the high-priority one second. Both
// wait; job status and the queue command show their place and why; when
// the filler finishes the high-priority job is placed first and the
// low-priority one only after it finished. Then two jobs of equal
// priority are placed in submission order.
func TestQueuePriorityAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{}, "raw_exec")
	addr := a.HTTPAddr()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	cli := queueCLI(ctx, t, "http://"+addr)
	nodes, _, err := a.client.Nodes().List(ctx, nil)
	if err != nil || len(nodes) != 1 {
		t.Fatalf("nodes = %v, %v", nodes, err)
	}
	node, _, err := a.client.Nodes().Info(ctx, nodes[0].ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	avail := node.Comparable().MemoryMB
	half := avail/2 + 64 // two of these never fit at once
	submit := func(id string, prio int, mem int64, script string) {
		t.Helper()
		p := filepath.Join(dir, id+".hcl")
		if err := os.WriteFile(p, []byte(queueJob(id, prio, mem, script)), 0o644); err != nil {
			t.Fatal(err)
		}
		cli(0, "job", "run", "-detach", p)
	}
	fill := func(release string) {
		t.Helper()
		submit("filler-"+release, 50, avail-32, fmt.Sprintf("while [ ! -e %s ]; do sleep 0.2; done", filepath.Join(dir, release)))
		waitUntil(t, 60*time.Second, "the filler running", func() bool {
			return allocStatus(ctx, a, "filler-"+release) == nomadlike.AllocClientStatusRunning
		})
	}
	queued := func(job string) string {
		t.Helper()
		var line string
		waitUntil(t, 60*time.Second, job+" queued", func() bool {
			out := cli(0, "job", "status", job)
			m := regexp.MustCompile(`(?m)^Queue\s+=\s+(.*)$`).FindStringSubmatch(out)
			if m == nil {
				return false
			}
			line = m[1]
			return true
		})
		return line
	}
	// placedFirst checks that first's allocation was created before
	// second's and started before second's did.
	placedFirst := func(first, second string) {
		t.Helper()
		waitUntil(t, 90*time.Second, first+" and "+second+" complete", func() bool {
			return allocStatus(ctx, a, first) == nomadlike.AllocClientStatusComplete &&
				allocStatus(ctx, a, second) == nomadlike.AllocClientStatusComplete
		})
		f, s := onlyAlloc(ctx, t, a, first), onlyAlloc(ctx, t, a, second)
		if f.CreateIndex >= s.CreateIndex {
			t.Errorf("%s placed at index %d, not before %s at %d", first, f.CreateIndex, second, s.CreateIndex)
		}
	}

	t.Run("higher priority first", func(t *testing.T) {
		fill("release1")
		submit("low", 10, half, "sleep 1")
		line := queued("low")
		want := regexp.MustCompile(`^queued: 1st of 1 at priority 10; no node has \d+ MB free memory \(largest free: \d+ MB on dev1\)$`)
		if !want.MatchString(line) {
			t.Errorf("job status of low: Queue = %q, want %s", line, want)
		}
		submit("high", 90, half, "sleep 1")
		queued("high")
		waitUntil(t, 30*time.Second, "low 2nd of 2", func() bool { return strings.HasPrefix(queued("low"), "queued: 2nd of 2 at priority 10;") })
		q := cli(0, "queue")
		t.Logf("nomadlike queue:\n%s\njob status low:\n%s", q, cli(0, "job", "status", "low"))
		if hi, lo := strings.Index(q, "high"), strings.Index(q, "low"); hi < 0 || lo < 0 || hi > lo {
			t.Errorf("queue does not list high before low:\n%s", q)
		}
		if err := os.WriteFile(filepath.Join(dir, "release1"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		placedFirst("high", "low")
	})
	t.Run("equal priority in submission order", func(t *testing.T) {
		fill("release2")
		submit("first", 50, half, "sleep 1")
		queued("first")
		submit("second", 50, half, "sleep 1")
		queued("second")
		if err := os.WriteFile(filepath.Join(dir, "release2"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		placedFirst("first", "second")
		if q := cli(0, "queue"); !strings.Contains(q, "No jobs waiting") {
			t.Errorf("queue not empty at the end:\n%s", q)
		}
	})
}

// allocStatus is the client status of the job's only allocation ("" when
// it has none or the read failed).
func allocStatus(ctx context.Context, a *devAgent, job string) string {
	allocs, _, err := a.client.Jobs().Allocations(ctx, job, false, nil)
	if err != nil || len(allocs) != 1 {
		return ""
	}
	return allocs[0].ClientStatus
}

func onlyAlloc(ctx context.Context, t *testing.T, a *devAgent, job string) *nomadlike.AllocListStub {
	t.Helper()
	allocs, _, err := a.client.Jobs().Allocations(ctx, job, false, nil)
	if err != nil || len(allocs) != 1 {
		t.Fatalf("allocations of %s = %d, %v; want one", job, len(allocs), err)
	}
	return allocs[0]
}
