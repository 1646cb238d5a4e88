package e2e

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
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
// its memory, then submits six jobs of mixed priorities that each need more
// than half of the node (so one runs at a time), low, middle and high
// priority interleaved. All wait; job status and the queue command show
// their place and why. Then the first job of each priority is evaluated
// again (`job eval`), which gives it a new, later blocked evaluation. When
// the filler finishes they must be placed one after the other in priority
// order, then submission order within a priority: the test checks the whole
// order from the allocations' create indexes. Without the queue (every
// unblocked evaluation handed to the broker at once, which orders by
// priority then evaluation create index), the re-evaluated jobs would come
// after the later submissions of their priority; and with the agent's four
// scheduler workers the first evaluations would race for each freed slot.
func TestQueuePriorityAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{config: "server {\n  num_schedulers = 4\n}\n"}, "raw_exec")
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
	queued := func(job string) string {
		t.Helper()
		var line string
		poll.UntilTrue(t, 60*time.Second, job+" queued", func() bool {
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

	submit("filler", 50, avail-32, fmt.Sprintf("while [ ! -e %s ]; do sleep 0.2; done", filepath.Join(dir, "release")))
	poll.UntilTrue(t, 60*time.Second, "the filler running", func() bool {
		return allocStatus(ctx, a, "filler") == nomadlike.AllocClientStatusRunning
	})
	submitted := []struct {
		id   string
		prio int
	}{{"low-a", 10}, {"mid-a", 50}, {"high-a", 90}, {"mid-b", 50}, {"low-b", 10}, {"high-b", 90}}
	for i, j := range submitted {
		submit(j.id, j.prio, half, "sleep 1")
		line := queued(j.id)
		if i == 0 {
			want := regexp.MustCompile(`^queued: 1st of 1 at priority 10; no node has \d+ MB free memory \(largest free: \d+ MB on dev1\)$`)
			if !want.MatchString(line) {
				t.Errorf("job status of low-a: Queue = %q, want %s", line, want)
			}
		}
	}
	for _, id := range []string{"high-a", "mid-a", "low-a"} {
		reevaluate(ctx, t, a, cli, id)
	}
	want := []string{"high-a", "high-b", "mid-a", "mid-b", "low-a", "low-b"}
	poll.UntilTrue(t, 30*time.Second, "low-a 5th of 6", func() bool { return strings.HasPrefix(queued("low-a"), "queued: 5th of 6 at priority 10;") })
	q := cli(0, "queue")
	t.Logf("nomadlike queue:\n%s\njob status low-a:\n%s", q, cli(0, "job", "status", "low-a"))
	if got := queueListed(q, want); !slices.Equal(got, want) {
		t.Errorf("queue lists %v, want %v:\n%s", got, want, q)
	}

	if err := os.WriteFile(filepath.Join(dir, "release"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	poll.UntilTrue(t, 150*time.Second, "every queued job complete", func() bool {
		for _, id := range want {
			if allocStatus(ctx, a, id) != nomadlike.AllocClientStatusComplete {
				return false
			}
		}
		return true
	})
	placed := slices.Clone(want)
	created := map[string]uint64{}
	for _, id := range placed {
		created[id] = onlyAlloc(ctx, t, a, id).CreateIndex
	}
	slices.SortFunc(placed, func(x, y string) int { return cmp.Compare(created[x], created[y]) })
	if !slices.Equal(placed, want) {
		t.Errorf("placed in order %v (allocation create indexes %v), want %v", placed, created, want)
	}
	if q := cli(0, "queue"); !strings.Contains(q, "No jobs waiting") {
		t.Errorf("queue not empty at the end:\n%s", q)
	}
}

// reevaluate forces a new evaluation of a waiting job and waits until it
// ended with a new blocked evaluation.
func reevaluate(ctx context.Context, t *testing.T, a *devAgent, cli func(int, ...string) string, job string) {
	t.Helper()
	id := strings.TrimSpace(cli(0, "job", "eval", "-detach", job))
	poll.UntilTrue(t, 60*time.Second, "the new evaluation of "+job+" blocked", func() bool {
		e, _, err := a.client.Evaluations().Info(ctx, id, nil)
		return err == nil && e.TerminalStatus() && e.BlockedEval != ""
	})
}

// queueListed returns the job IDs of ids in the order the queue command's
// table lists them (its second column).
func queueListed(out string, ids []string) []string {
	var got []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 1 && slices.Contains(ids, f[1]) {
			got = append(got, f[1])
		}
	}
	return got
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
