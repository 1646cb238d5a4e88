package fsm

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

type raftNode struct {
	raft *raft.Raft
	fsm  *FSM
}

// newCluster starts n raft servers over in-memory transports, stores and
// snapshot stores, each with its own FSM, and waits for a leader.
func newCluster(t *testing.T, n int) (leader *raftNode, all []*raftNode) {
	t.Helper()
	var servers []raft.Server
	var transports []*raft.InmemTransport
	for i := 0; i < n; i++ {
		addr, trans := raft.NewInmemTransport("")
		transports = append(transports, trans)
		servers = append(servers, raft.Server{ID: raft.ServerID(fmt.Sprintf("server-%d", i)), Address: addr})
	}
	for i, a := range transports {
		for j, b := range transports {
			if i != j {
				a.Connect(servers[j].Address, b)
			}
		}
	}
	for i := 0; i < n; i++ {
		conf := raft.DefaultConfig()
		conf.LocalID = servers[i].ID
		conf.HeartbeatTimeout = 50 * time.Millisecond
		conf.ElectionTimeout = 50 * time.Millisecond
		conf.LeaderLeaseTimeout = 50 * time.Millisecond
		conf.CommitTimeout = 5 * time.Millisecond
		conf.Logger = hclog.NewNullLogger()
		logs, snaps := raft.NewInmemStore(), raft.NewInmemSnapshotStore()
		if err := raft.BootstrapCluster(conf, logs, logs, snaps, transports[i], raft.Configuration{Servers: servers}); err != nil {
			t.Fatalf("bootstrap server %d: %v", i, err)
		}
		f := newFSM(t)
		r, err := raft.NewRaft(conf, f, logs, logs, snaps, transports[i])
		if err != nil {
			t.Fatalf("start server %d: %v", i, err)
		}
		t.Cleanup(func() { _ = r.Shutdown().Error() })
		all = append(all, &raftNode{raft: r, fsm: f})
	}
	poll.UntilTrue(t, 10*time.Second, "a raft leader", func() bool {
		for _, node := range all {
			if node.raft.State() == raft.Leader {
				leader = node
				return true
			}
		}
		return false
	})
	return leader, all
}

func TestRaftClusterReplicatesState(t *testing.T) {
	leader, all := newCluster(t, 3)
	var hooked []*nomadlike.Evaluation
	leader.fsm.SetEvalHook(func(evals []*nomadlike.Evaluation) { hooked = append(hooked, evals...) })

	node := fixture.Node()
	job := fixture.Job()
	eval := fixture.Eval(job)
	alloc := fixture.Alloc(job, node, 0)
	alloc.Job = nil
	entries := []struct {
		typ MessageType
		req any
	}{
		{NodeRegisterRequestType, &NodeRegisterRequest{Node: node}},
		{JobRegisterRequestType, &JobRegisterRequest{Job: job, Eval: eval}},
		{ApplyPlanResultsRequestType, &ApplyPlanResultsRequest{Job: job, AllocsUpdated: []*nomadlike.Allocation{alloc}, EvalID: eval.ID}},
		{AllocClientUpdateRequestType, &AllocClientUpdateRequest{Allocs: []*nomadlike.Allocation{{ID: alloc.ID, ClientStatus: nomadlike.AllocClientStatusRunning}}}},
	}
	var last uint64
	for _, e := range entries {
		data, err := Encode(e.typ, e.req)
		must(t, err)
		fut := leader.raft.Apply(data, 5*time.Second)
		must(t, fut.Error())
		if resp := fut.Response(); resp != nil {
			t.Fatalf("%s response = %v, want nil", e.typ, resp)
		}
		last = fut.Index()
	}
	if len(hooked) != 1 || hooked[0].ID != eval.ID {
		t.Errorf("leader eval hook saw %v, want the register eval", hooked)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	want, err := leader.fsm.State().AllocByID(nil, alloc.ID)
	must(t, err)
	for i, n := range all {
		// A blocking wait on the replica's store, no polling.
		snap, err := n.fsm.State().SnapshotMinIndex(ctx, last)
		if err != nil {
			t.Fatalf("server %d never reached index %d: %v", i, last, err)
		}
		got, err := snap.Reader.AllocByID(nil, alloc.ID)
		must(t, err)
		if got == nil || got.ClientStatus != nomadlike.AllocClientStatusRunning || got.ModifyIndex != last {
			t.Fatalf("server %d alloc = %+v, want running at %d", i, got, last)
		}
		if got.ModifyTime != want.ModifyTime || got.CreateTime != want.CreateTime || got.ModifyTime == 0 {
			t.Errorf("server %d alloc times = %d/%d, leader %d/%d: replicas diverge", i, got.CreateTime, got.ModifyTime, want.CreateTime, want.ModifyTime)
		}
		j, _ := snap.JobByID(job.Namespace, job.ID)
		if j == nil || j.Status != nomadlike.JobStatusRunning {
			t.Errorf("server %d job = %+v, want running", i, j)
		}
		if nd, _ := snap.NodeByID(node.ID); nd == nil {
			t.Errorf("server %d lacks the node", i)
		}
	}
}

func TestRaftSnapshotRestoresIntoNewFSM(t *testing.T) {
	leader, _ := newCluster(t, 3)
	node := fixture.Node()
	job := fixture.Job()
	for _, e := range []struct {
		typ MessageType
		req any
	}{
		{NodeRegisterRequestType, &NodeRegisterRequest{Node: node}},
		{JobRegisterRequestType, &JobRegisterRequest{Job: job, Eval: fixture.Eval(job)}},
	} {
		data, err := Encode(e.typ, e.req)
		must(t, err)
		must(t, leader.raft.Apply(data, 5*time.Second).Error())
	}
	fut := leader.raft.Snapshot()
	must(t, fut.Error())
	meta, rc, err := fut.Open()
	must(t, err)
	if meta.Index == 0 {
		t.Fatal("snapshot has index 0")
	}
	fresh := newFSM(t)
	must(t, fresh.Restore(rc))
	var want, got bytes.Buffer
	_, err = leader.fsm.State().WriteTo(&want)
	must(t, err)
	_, err = fresh.State().WriteTo(&got)
	must(t, err)
	if !bytes.Equal(want.Bytes(), got.Bytes()) {
		t.Error("FSM restored from the raft snapshot differs from the leader's state")
	}
	if j, _ := fresh.State().JobByID(nil, job.Namespace, job.ID); j == nil {
		t.Error("restored FSM lacks the job")
	}
}
