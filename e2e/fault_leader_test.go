package e2e

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// TestFaultLeaderKillDuringRegistrations: three servers take a stream of
// job registrations and reads from clients spread over all of them; the
// leader is killed with SIGKILL mid-stream. A new leader takes over, every
// registration that got a success reply is there afterwards, and the
// history of registrations and reads is linearizable. The failover time is
// logged.
func TestFaultLeaderKillDuringRegistrations(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-server cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := newFaultCluster(t, clusterOptions{servers: 3})
	leader := c.waitLeader(c.servers, 30*time.Second)

	var clients []*api.Client
	for _, s := range c.servers {
		cl, err := api.NewClient(api.Config{Address: s.HTTPAddr(), HTTPClient: &http.Client{Timeout: 10 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, cl)
	}
	load := newOpsLoad(clients, 32)
	loadCtx, stopLoad := context.WithCancel(ctx)
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		load.run(loadCtx, 9, 1)
	}()
	defer func() { stopLoad(); <-loadDone }()

	// Let the stream run, then kill the leader.
	poll.UntilTrue(c.tb, 30*time.Second, "30 acknowledged registrations before the kill", func() bool {
		return len(load.ackedIDs()) >= 30
	})
	killedAt := time.Now()
	leader.Kill()
	t.Logf("killed leader %s after %d acknowledged registrations", leader.name, len(load.ackedIDs()))

	var survivors []*faultAgent
	for _, s := range c.servers {
		if s != leader {
			survivors = append(survivors, s)
		}
	}
	newLeader := c.waitLeader(survivors, 30*time.Second)
	elected := time.Since(killedAt)
	// The first write the new leader acknowledges ends the failover as a
	// user sees it.
	var firstWrite time.Duration
	for i := 0; ; i++ {
		wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
		_, _, err := newLeader.client.Jobs().Register(wctx, tinyJob(fmt.Sprintf("probe-%d", i), "p"), nil)
		wcancel()
		if err == nil {
			firstWrite = time.Since(killedAt)
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("no write acknowledged after the leader was killed: %v", err)
		}
		sleepCtx(ctx, 20*time.Millisecond)
	}
	t.Logf("failover: new leader %s agreed by the survivors %v after the kill, first acknowledged write after %v",
		newLeader.name, elected.Round(time.Millisecond), firstWrite.Round(time.Millisecond))

	// More load on the new leader, then stop and check.
	before := len(load.ackedIDs())
	poll.UntilTrue(c.tb, 30*time.Second, "30 more acknowledged registrations after the failover", func() bool {
		return len(load.ackedIDs()) >= before+30
	})
	stopLoad()
	<-loadDone

	acked := load.ackedIDs()
	missing, err := missingJobs(ctx, newLeader.client, acked)
	if err != nil {
		t.Fatalf("list jobs: %v", err)
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged registrations are gone after the failover: %v", len(missing), len(acked), missing)
	}
	ops := load.hist.operations()
	res := porcupine.CheckOperationsTimeout(jobModel, ops, 30*time.Second)
	switch res {
	case porcupine.Ok:
	case porcupine.Unknown:
		unknown := 0
		for _, op := range ops {
			if op.Return == math.MaxInt64 {
				unknown++
			}
		}
		t.Fatalf("linearizability check of %d operations (%d of unknown outcome) timed out:\n%s", len(ops), unknown, describe(ops, 400))
	default:
		t.Fatalf("history of %d operations is not linearizable:\n%s", len(ops), describe(ops, 200))
	}
	t.Logf("%d acknowledged unique registrations all present; %d operations linearizable; %d errors during the failover",
		len(acked), len(ops), load.errs)
}
