package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// failoverJob is a small valid service job; with no client nodes its
// evaluation blocks, which is all this test needs.
func failoverJob(id string) *nomadlike.Job {
	j := &nomadlike.Job{
		ID: id, Name: id, Type: nomadlike.JobTypeService, Datacenters: []string{"dc1"},
		TaskGroups: []*nomadlike.TaskGroup{{
			Name: "g", Count: 1,
			Tasks: []*nomadlike.Task{{
				Name: "t", Driver: "raw_exec",
				Config:    map[string]any{"command": "/bin/sleep", "args": []any{"60"}},
				Resources: &nomadlike.Resources{CPU: 100, MemoryMB: 32},
			}},
		}},
	}
	j.Canonicalize()
	return j
}

// registerVia registers id through agent p and reports whether the servers
// acknowledged it.
func registerVia(ctx context.Context, p *faultAgent, id string) error {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, _, err := p.client.Jobs().Register(rctx, failoverJob(id), nil)
	return err
}

// TestServerClusterFailover: three servers as separate processes; jobs
// registered through any of them; the leader killed with SIGKILL; a new
// leader elected; every acknowledged job still there; the killed server
// restarted on its data dir catches up with everything.
func TestServerClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-server cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	deadline, _ := ctx.Deadline()
	c := newFaultCluster(t, clusterOptions{servers: 3})
	leader := c.waitLeader(c.servers, time.Until(deadline))
	t.Logf("leader: %s", leader.name)

	var acked []string
	// Through every server: followers forward writes to the leader.
	for i := 0; i < 9; i++ {
		id := fmt.Sprintf("before-%d", i)
		p := c.servers[i%3]
		if err := registerVia(ctx, p, id); err != nil {
			t.Fatalf("register %s via %s: %v", id, p.name, err)
		}
		acked = append(acked, id)
	}

	// Kill the leader hard.
	old := leader
	old.killGroup()
	newLeader := c.waitLeader(c.servers, time.Until(deadline))
	if newLeader == old {
		t.Fatalf("leader is still %s after it was killed", old.name)
	}
	t.Logf("new leader: %s", newLeader.name)

	for i, p := range c.runningServers() {
		id := fmt.Sprintf("after-%d", i)
		if err := registerVia(ctx, p, id); err != nil {
			t.Fatalf("register %s via %s after failover: %v", id, p.name, err)
		}
		acked = append(acked, id)
	}

	// Every acknowledged job is there, read consistently through each survivor.
	for _, p := range c.runningServers() {
		for _, id := range acked {
			rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
			_, _, err := p.client.Jobs().Info(rctx, id, nil)
			rcancel()
			if err != nil {
				t.Errorf("job %s via %s after failover: %v", id, p.name, err)
			}
		}
	}

	// Restart the killed server on its data dir: it rejoins and its own
	// state (read with ?stale) ends up with every job.
	old.Start()
	poll.Until(t, ctxLeft(ctx), "the restarted "+old.name+" to have every job", func() (bool, string) {
		missing := missingStale(ctx, old, acked)
		return len(missing) == 0, fmt.Sprintf("it misses %v", missing)
	})
	peers, err := old.client.Status().Peers(ctx)
	if err != nil || len(peers) != 3 {
		t.Errorf("peers seen by the restarted server = %v, %v; want 3", peers, err)
	}
}

// missingStale returns the jobs of ids that p's local state lacks.
func missingStale(ctx context.Context, p *faultAgent, ids []string) []string {
	var out []string
	for _, id := range ids {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, _, err := p.client.Jobs().Info(rctx, id, &api.QueryOptions{AllowStale: true})
		cancel()
		if err != nil {
			out = append(out, id+" ("+strings.TrimSpace(err.Error())+")")
		}
	}
	return out
}
