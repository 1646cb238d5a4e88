package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// sleepJob is a service job of count copies of raw_exec "sleep <secs>";
// the unusual duration marks its processes.
func sleepJob(id string, count int, secs int) *nomadlike.Job {
	j := &nomadlike.Job{
		ID: id, Name: id, Type: nomadlike.JobTypeService, Datacenters: []string{"dc1"},
		TaskGroups: []*nomadlike.TaskGroup{{
			Name: "g", Count: count,
			EphemeralDisk: &nomadlike.EphemeralDisk{SizeMB: 10},
			Tasks: []*nomadlike.Task{{
				Name: "sleep", Driver: "raw_exec",
				Config:    map[string]any{"command": "/bin/sleep", "args": []any{strconv.Itoa(secs)}},
				Resources: &nomadlike.Resources{CPU: 20, MemoryMB: 16},
				LogConfig: &nomadlike.LogConfig{MaxFiles: 1, MaxFileSizeMB: 5},
			}},
		}},
	}
	j.Canonicalize()
	return j
}

// nodeNames maps node IDs to node names.
func nodeNames(ctx context.Context, tb testing.TB, c *api.Client) map[string]string {
	tb.Helper()
	nodes, _, err := c.Nodes().List(ctx, nil)
	if err != nil {
		tb.Fatalf("list nodes: %v", err)
	}
	out := map[string]string{}
	for _, n := range nodes {
		out[n.ID] = n.Name
	}
	return out
}

// jobAllocs lists the job's allocations.
func jobAllocs(ctx context.Context, c *api.Client, jobID string) ([]*nomadlike.AllocListStub, error) {
	allocs, _, err := c.Jobs().Allocations(ctx, jobID, true, nil)
	return allocs, err
}

// runningOn counts the job's running allocations by node name.
func runningOn(ctx context.Context, c *api.Client, jobID string, names map[string]string) (map[string]int, error) {
	allocs, err := jobAllocs(ctx, c, jobID)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, a := range allocs {
		if a.ClientStatus == nomadlike.AllocClientStatusRunning && a.DesiredStatus == nomadlike.AllocDesiredStatusRun {
			out[names[a.NodeID]]++
		}
	}
	return out, nil
}

// processesWithArgs returns the PIDs of processes below this one whose
// command line is exactly args.
func processesWithArgs(args ...string) []int {
	want := strings.Join(args, "\x00") + "\x00"
	var out []int
	for _, pid := range descendants(os.Getpid()) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err == nil && string(b) == want {
			out = append(out, pid)
		}
	}
	return out
}

// TestFaultClientKilled: a client node dies (its agent and tasks are
// killed); the servers mark its allocations lost once its heartbeat TTL
// runs out and place replacements on the other client.
func TestFaultClientKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	// The bound this test states: the servers' longest heartbeat TTL
	// (10s minimum plus up to as much again of stagger) plus the 10s grace,
	// plus 15s to notice, reschedule and start the replacements.
	const bound = 20*time.Second + 10*time.Second + 15*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := newFaultCluster(t, clusterOptions{servers: 3, clients: 2})
	cl := c.api()
	job := sleepJob("lost-test", 4, 4101)
	if _, _, err := cl.Jobs().Register(ctx, job, nil); err != nil {
		t.Fatalf("register: %v", err)
	}
	names := nodeNames(ctx, t, cl)
	var byNode map[string]int
	poll.UntilTrue(c.tb, 60*time.Second, "4 allocations running", func() bool {
		m, err := runningOn(ctx, cl, job.ID, names)
		byNode = m
		return err == nil && m["client0"]+m["client1"] == 4
	})
	// Kill the client that runs allocations (both, if both do: client0).
	victim, other := c.clients[0], c.clients[1]
	if byNode["client0"] == 0 {
		victim, other = c.clients[1], c.clients[0]
	}
	onVictim := byNode[victim.name]
	pids := descendants(victim.PID())
	killedAt := time.Now()
	victim.killGroup()
	for _, p := range pids {
		_ = killPID(p)
	}
	t.Logf("killed %s running %d of 4 allocations", victim.name, onVictim)

	poll.UntilTrue(c.tb, bound, fmt.Sprintf("4 allocations running on %s", other.name), func() bool {
		m, err := runningOn(ctx, cl, job.ID, names)
		return err == nil && m[other.name] == 4
	})
	replaced := time.Since(killedAt)
	allocs, err := jobAllocs(ctx, cl, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	lost := 0
	for _, a := range allocs {
		if names[a.NodeID] == victim.name && a.ClientStatus == nomadlike.AllocClientStatusLost {
			lost++
		}
	}
	if lost != onVictim {
		t.Fatalf("%d allocations of %s marked lost, want %d", lost, victim.name, onVictim)
	}
	t.Logf("allocations of the dead client lost and replaced %v after the kill (bound %v)", replaced.Round(time.Millisecond), bound)
}

// TestFaultClientRestartKeepsTasks: a client agent killed with SIGKILL and
// started again on its data dir recovers its running tasks instead of
// restarting them: same PIDs, no restarts, allocations still running.
func TestFaultClientRestartKeepsTasks(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := newFaultCluster(t, clusterOptions{servers: 3, clients: 1})
	cl := c.api()
	job := sleepJob("restart-test", 2, 4102)
	if _, _, err := cl.Jobs().Register(ctx, job, nil); err != nil {
		t.Fatalf("register: %v", err)
	}
	names := nodeNames(ctx, t, cl)
	poll.UntilTrue(c.tb, 60*time.Second, "2 allocations running", func() bool {
		m, err := runningOn(ctx, cl, job.ID, names)
		return err == nil && m["client0"] == 2
	})
	var before []int
	poll.UntilTrue(c.tb, 10*time.Second, "2 task processes", func() bool {
		before = processesWithArgs("/bin/sleep", "4102")
		return len(before) == 2
	})
	allocsBefore, err := jobAllocs(ctx, cl, job.ID)
	if err != nil {
		t.Fatal(err)
	}

	agent := c.clients[0]
	agent.Kill() // the agent alone: its plugins and tasks live on
	for _, p := range before {
		if !alive(p) {
			t.Fatalf("task process %d died with the agent", p)
		}
	}
	agent.Start()
	c.waitClientsReady(60 * time.Second)
	// Give the restarted agent time to act on its allocations: it reports
	// them running again (or would have restarted them by now).
	poll.UntilTrue(c.tb, 30*time.Second, "allocations running after the restart", func() bool {
		m, err := runningOn(ctx, cl, job.ID, names)
		return err == nil && m["client0"] == 2
	})
	after := processesWithArgs("/bin/sleep", "4102")
	if fmt.Sprint(sortedInts(after)) != fmt.Sprint(sortedInts(before)) {
		t.Fatalf("task PIDs after the restart = %v, want the same as before %v", after, before)
	}
	allocsAfter, err := jobAllocs(ctx, cl, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(allocsAfter) != len(allocsBefore) {
		t.Fatalf("%d allocations after the restart, want %d (no replacements)", len(allocsAfter), len(allocsBefore))
	}
	for _, a := range allocsAfter {
		for name, ts := range a.TaskStates {
			if ts.Restarts != 0 {
				t.Errorf("alloc %s task %s restarted %d times", a.ID, name, ts.Restarts)
			}
		}
	}
}
