package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// migrateJob is a raw_exec service of count allocations with a migrate
// block: one at a time, healthy once its task ran for a second.
func migrateJob(id string, count int) string {
	return fmt.Sprintf(`job %q {
  datacenters = ["dc1"]
  group "web" {
    count = %d
    migrate {
      max_parallel     = 1
      health_check     = "task_states"
      min_healthy_time = "1s"
      healthy_deadline = "1m"
    }
    task "app" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["1000"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, id, count)
}

// migrationSample is what one 100 ms look at the job's allocations saw.
type migrationSample struct {
	running int // desired run, client running
	moving  int // desired run, not yet settled: neither running on A nor healthy elsewhere
}

// migrationSampler samples the job every 100 ms until the test ends and
// returns a func giving the samples so far.
func migrationSampler(ctx context.Context, t *testing.T, cl *api.Client, jobID, nodeA string, count int) func() []migrationSample {
	t.Helper()
	var mu sync.Mutex
	var samples []migrationSample
	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	t.Cleanup(func() { cancel(); wg.Wait() })
	go func() {
		defer wg.Done()
		for sctx.Err() == nil {
			if allocs, _, err := cl.Jobs().Allocations(sctx, jobID, false, nil); err == nil {
				var s migrationSample
				settled := 0
				for _, a := range allocs {
					if a.DesiredStatus != nomadlike.AllocDesiredStatusRun {
						continue
					}
					run := a.ClientStatus == nomadlike.AllocClientStatusRunning
					if run {
						s.running++
					}
					if run && (a.NodeID == nodeA || a.DeploymentStatus.IsHealthy()) {
						settled++
					}
				}
				s.moving = count - settled
				mu.Lock()
				samples = append(samples, s)
				mu.Unlock()
			}
			select {
			case <-sctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return func() []migrationSample {
		mu.Lock()
		defer mu.Unlock()
		return append([]migrationSample(nil), samples...)
	}
}

// TestMigrateDrainPacedAgent: two real client agents; a 4-allocation
// raw_exec service runs on node A; `node drain -enable -yes A` moves it to
// node B one allocation at a time (migrate max_parallel = 1, task_states
// health after 1 s): every 100 ms sample sees at most one allocation
// moving and at least 3 running; all 4 end on B, healthy; the drain
// completes (the CLI says so) and A stays ineligible. Before the drainer
// the drain stopped all 4 at once (no allocation running for a while).
func TestMigrateDrainPacedAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts agents")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	defer cancel()
	c := newFaultCluster(t, clusterOptions{servers: 1, clients: 2, logLevel: "INFO"})
	cl, addr := c.api(), c.servers[0].HTTPAddr()
	ids := map[string]string{}
	nodes, _, err := cl.Nodes().List(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		ids[n.Name] = n.ID
	}
	nodeA, nodeB := ids["client0"], ids["client1"]

	// Everything starts on A: B is ineligible while the job is placed.
	deployCLI(ctx, t, addr, 0, "node", "eligibility", "-disable", nodeB)
	const count = 4
	deployCLI(ctx, t, addr, 0, "job", "run", "-detach", writeJobFile(t, t.TempDir(), "web.hcl", migrateJob("web", count)))
	poll.UntilTrue(c.tb, 60*time.Second, "4 allocations running on node A", func() bool {
		allocs, _, err := cl.Jobs().Allocations(ctx, "web", false, nil)
		if err != nil {
			return false
		}
		n := 0
		for _, a := range allocs {
			if a.NodeID == nodeA && a.ClientStatus == nomadlike.AllocClientStatusRunning {
				n++
			}
		}
		return n == count
	})
	deployCLI(ctx, t, addr, 0, "node", "eligibility", "-enable", nodeB)

	samples := migrationSampler(ctx, t, cl, "web", nodeA, count)
	out := deployCLI(ctx, t, addr, 0, "node", "drain", "-enable", "-yes", nodeA)
	if !strings.Contains(out, "Drain complete") {
		t.Fatalf("node drain output:\n%s\nwant Drain complete", out)
	}

	got := samples()
	maxMoving, fewest := 0, count
	for _, s := range got {
		maxMoving, fewest = max(maxMoving, s.moving), min(fewest, s.running)
	}
	t.Logf("%d samples: at most %d moving, at least %d running", len(got), maxMoving, fewest)
	if len(got) < 10 {
		t.Fatalf("only %d samples", len(got))
	}
	if maxMoving > 1 || fewest < count-1 {
		t.Fatalf("drain moved up to %d allocations at once and ran as few as %d; want at most 1 and at least %d", maxMoving, fewest, count-1)
	}
	if maxMoving == 0 {
		t.Fatal("no sample saw an allocation moving")
	}
	poll.UntilTrue(c.tb, 60*time.Second, "4 healthy allocations running on node B", func() bool {
		allocs, _, err := cl.Jobs().Allocations(ctx, "web", false, nil)
		if err != nil {
			return false
		}
		n := 0
		for _, a := range allocs {
			if a.DesiredStatus == nomadlike.AllocDesiredStatusRun && a.NodeID == nodeB &&
				a.ClientStatus == nomadlike.AllocClientStatusRunning && a.DeploymentStatus.IsHealthy() {
				n++
			}
		}
		return n == count
	})
	n, _, err := cl.Nodes().Info(ctx, nodeA, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n.DrainStrategy != nil || n.SchedulingEligibility != nomadlike.NodeSchedulingIneligible {
		t.Fatalf("node A after the drain: strategy %+v eligibility %s, want none and ineligible", n.DrainStrategy, n.SchedulingEligibility)
	}
}
