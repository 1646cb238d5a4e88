package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
)

// TestFaultRestartAllServers: all three servers are killed and started
// again on their data dirs; the state comes back from disk (jobs, versions,
// allocations) and the job's tasks keep running on the client untouched.
func TestFaultRestartAllServers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := newFaultCluster(t, clusterOptions{servers: 3, clients: 1})
	cl := c.api()
	job := sleepJob("persist-test", 2, 4103)
	if _, _, err := cl.Jobs().Register(ctx, job, nil); err != nil {
		t.Fatalf("register: %v", err)
	}
	// A second version, so that the history has something to lose.
	job.Meta = map[string]string{"version": "2"}
	if _, _, err := cl.Jobs().Register(ctx, job, nil); err != nil {
		t.Fatalf("register v2: %v", err)
	}
	names := nodeNames(ctx, t, cl)
	poll.UntilTrue(c.tb, 60*time.Second, "2 allocations running", func() bool {
		m, err := runningOn(ctx, cl, job.ID, names)
		return err == nil && m["client0"] == 2
	})
	var pids []int
	poll.UntilTrue(c.tb, 10*time.Second, "2 task processes", func() bool {
		pids = processesWithArgs("/bin/sleep", "4103")
		return len(pids) == 2
	})
	before, _, err := cl.Jobs().Info(ctx, job.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	allocsBefore, err := jobAllocs(ctx, cl, job.ID)
	if err != nil {
		t.Fatal(err)
	}

	for _, s := range c.servers {
		s.Kill()
	}
	for _, s := range c.servers {
		s.Start()
	}
	c.waitLeader(c.servers, 60*time.Second)
	cl = c.api()

	after, _, err := cl.Jobs().Info(ctx, job.ID, nil)
	if err != nil {
		t.Fatalf("job after the restart: %v", err)
	}
	if after.Version != before.Version || after.JobModifyIndex != before.JobModifyIndex || after.Meta["version"] != "2" {
		t.Fatalf("job after the restart: version %d modify index %d meta %v; want %d, %d, version=2",
			after.Version, after.JobModifyIndex, after.Meta, before.Version, before.JobModifyIndex)
	}
	versions, _, _, err := cl.Jobs().Versions(ctx, job.ID, false, nil)
	if err != nil || len(versions) != 2 {
		t.Fatalf("versions after the restart: %d, %v; want 2", len(versions), err)
	}
	allocsAfter, err := jobAllocs(ctx, cl, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(n int) map[string]bool {
		m := map[string]bool{}
		src := allocsBefore
		if n == 1 {
			src = allocsAfter
		}
		for _, a := range src {
			m[a.ID] = true
		}
		return m
	}
	if fmt.Sprint(ids(0)) != fmt.Sprint(ids(1)) {
		t.Fatalf("allocations after the restart %v, want %v", ids(1), ids(0))
	}
	// The client keeps its tasks and the servers still see them running.
	poll.UntilTrue(c.tb, 60*time.Second, "allocations running after the restart", func() bool {
		m, err := runningOn(ctx, cl, job.ID, names)
		return err == nil && m["client0"] == 2
	})
	if got := processesWithArgs("/bin/sleep", "4103"); fmt.Sprint(sortedInts(got)) != fmt.Sprint(sortedInts(pids)) {
		t.Fatalf("task PIDs after the server restart = %v, want %v", got, pids)
	}
	// And the cluster takes writes again.
	if _, _, err := cl.Jobs().Register(ctx, tinyJob("after-restart", "x"), nil); err != nil {
		t.Fatalf("register after the restart: %v", err)
	}
}
