package httpapi_test

import (
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

func TestClientAllocationsWatchAndFetch(t *testing.T) {
	ta := newTestAPI(t, httpapitest.NewServer())
	ctx := testCtx(t)
	node := fixture.Node()
	if _, err := ta.client.RegisterNode(ctx, node); err != nil {
		t.Fatal(err)
	}
	empty, qm, err := ta.client.ClientAllocations(ctx, node.ID, nil)
	if err != nil || len(empty) != 0 || qm.LastIndex == 0 {
		t.Fatalf("ClientAllocations(empty node) = %v, %+v, %v; want none at a non-zero index", empty, qm, err)
	}
	job := fixture.Job()
	if _, _, err := ta.client.Jobs().Register(ctx, job, nil); err != nil {
		t.Fatal(err)
	}
	stored, _, _ := ta.client.Jobs().Info(ctx, job.ID, nil)
	a0, a1 := fixture.Alloc(stored, node, 0), fixture.Alloc(stored, node, 1)
	ta.fake.PutAlloc(a0)
	ta.fake.PutAlloc(a1)

	ids, qm, err := ta.client.ClientAllocations(ctx, node.ID, nil)
	if err != nil || len(ids) != 2 || ids[a0.ID] == 0 || ids[a1.ID] == 0 {
		t.Fatalf("ClientAllocations = %v, %v; want both allocations with their indexes", ids, err)
	}
	if want := max(ids[a0.ID], ids[a1.ID]); qm.LastIndex != want {
		t.Errorf("ClientAllocations index = %d, want the largest AllocModifyIndex %d", qm.LastIndex, want)
	}

	// The client's own status update does not move the watch's index.
	up := &nomadlike.Allocation{ID: a0.ID, ClientStatus: nomadlike.AllocClientStatusRunning}
	if _, err := ta.client.UpdateAllocs(ctx, node.SecretID, []*nomadlike.Allocation{up}); err != nil {
		t.Fatal(err)
	}
	same, qm2, err := ta.client.ClientAllocations(ctx, node.ID, &api.QueryOptions{WaitIndex: qm.LastIndex, WaitTime: 50 * time.Millisecond})
	if err != nil || qm2.LastIndex != qm.LastIndex || len(same) != 2 {
		t.Fatalf("after a client update: %v, %+v, %v; want the same index %d", same, qm2, err, qm.LastIndex)
	}

	// A server-side change wakes the watch with a newer index.
	done := make(chan map[string]uint64, 1)
	go func() {
		got, _, err := ta.client.ClientAllocations(ctx, node.ID, &api.QueryOptions{WaitIndex: qm.LastIndex, WaitTime: 10 * time.Second})
		if err != nil {
			got = nil
		}
		done <- got
	}()
	a2 := fixture.Alloc(stored, node, 2)
	ta.fake.PutAlloc(a2)
	select {
	case got := <-done:
		if len(got) != 3 || got[a2.ID] <= qm.LastIndex {
			t.Fatalf("woken watch = %v; want 3 allocations, %s above %d", got, a2.ID, qm.LastIndex)
		}
	case <-ctx.Done():
		t.Fatal("watch did not wake up on a new allocation")
	}

	allocs, err := ta.client.FetchAllocations(ctx, []string{a0.ID, "no-such-alloc", a2.ID}, qm.LastIndex, false)
	if err != nil || len(allocs) != 2 {
		t.Fatalf("FetchAllocations = %v, %v; want 2 allocations", allocs, err)
	}
	if allocs[0].ID != a0.ID || allocs[1].ID != a2.ID || allocs[0].ClientStatus != nomadlike.AllocClientStatusRunning {
		t.Errorf("FetchAllocations = %s (%s), %s; want %s running, %s", allocs[0].ID, allocs[0].ClientStatus, allocs[1].ID, a0.ID, a2.ID)
	}
	if allocs[0].Job == nil || allocs[0].Job != allocs[1].Job || allocs[0].Job.ID != job.ID {
		t.Errorf("FetchAllocations jobs = %p, %p; want one shared *Job of %q", allocs[0].Job, allocs[1].Job, job.ID)
	}

	// Garbage collection of an allocation wakes a waiting watch.
	ids, qm, err = ta.client.ClientAllocations(ctx, node.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	gone := make(chan map[string]uint64, 1)
	go func() {
		// Deleted before the query started waiting, it shows when the
		// wait ends; deleted while waiting, it ends the wait.
		got, _, err := ta.client.ClientAllocations(ctx, node.ID, &api.QueryOptions{WaitIndex: qm.LastIndex, WaitTime: 2 * time.Second})
		if err != nil {
			got = nil
		}
		gone <- got
	}()
	time.Sleep(50 * time.Millisecond) // usually lets the query start waiting first
	if _, err := ta.fake.Apply(func(st *state.StateStore, index uint64) error {
		return st.DeleteEvals(index, nil, []string{a1.ID})
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-gone:
		if _, ok := got[a1.ID]; ok || len(got) != 2 {
			t.Fatalf("watch after GC = %v; want 2 allocations without %s", got, a1.ID)
		}
	case <-ctx.Done():
		t.Fatal("watch did not wake up on a deleted allocation")
	}

	// The old endpoint still returns full allocations.
	full, _, err := ta.client.NodeAllocations(ctx, node.ID, nil)
	if err != nil || len(full) != 2 || full[0].Job == nil {
		t.Fatalf("NodeAllocations = %d allocations, %v; want 2 with their job", len(full), err)
	}
}

func TestFetchAttachRejectsBadJobOf(t *testing.T) {
	r := &api.ClientAllocsFetchResponse{Allocs: []*nomadlike.Allocation{{ID: "a"}}, JobOf: []int{3}}
	if err := r.Attach(); err == nil {
		t.Error("Attach with JobOf past Jobs = nil error, want one")
	}
}
