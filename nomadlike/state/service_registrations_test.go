package state

import (
	"bytes"
	"errors"
	"testing"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// catalogFixture stores a job with two running allocations on two nodes
// and one registration per allocation.
func catalogFixture(t *testing.T) (*StateStore, *nomadlike.Job, []*nomadlike.Allocation) {
	t.Helper()
	s := newStore(t)
	n1, n2 := fixture.Node(), fixture.Node()
	must(t, s.UpsertNode(1, n1))
	must(t, s.UpsertNode(2, n2))
	job := storeJob(t, s, 3, fixture.Job())
	a1 := allocFor(job, n1, 0, nomadlike.AllocClientStatusRunning)
	a2 := allocFor(job, n2, 1, nomadlike.AllocClientStatusRunning)
	must(t, s.UpsertAllocs(4, []*nomadlike.Allocation{a1, a2}))
	must(t, s.UpsertServiceRegistrations(5, []*nomadlike.ServiceRegistration{reg(a1, "web"), reg(a2, "web")}))
	return s, job, []*nomadlike.Allocation{a1, a2}
}

func reg(a *nomadlike.Allocation, name string) *nomadlike.ServiceRegistration {
	return &nomadlike.ServiceRegistration{
		ID: nomadlike.ServiceRegistrationID(a.ID, a.TaskGroup, "", name, "http"), ServiceName: name,
		Namespace: a.Namespace, NodeID: a.NodeID, JobID: a.JobID, AllocID: a.ID, Address: "10.0.0.1", Port: 8080,
	}
}

func countServices(t *testing.T, s *StateStore, name string) int {
	t.Helper()
	regs, err := s.ServiceRegistrationsByName(nil, nomadlike.DefaultNamespace, name)
	must(t, err)
	return len(regs)
}

func TestServiceRegistrationsRemovedWithTheirAllocation(t *testing.T) {
	cases := []struct {
		name string
		do   func(t *testing.T, s *StateStore, job *nomadlike.Job, a []*nomadlike.Allocation)
		want int
	}{
		{"client reports complete", func(t *testing.T, s *StateStore, _ *nomadlike.Job, a []*nomadlike.Allocation) {
			must(t, s.UpdateAllocsFromClient(10, []*nomadlike.Allocation{{ID: a[0].ID, ClientStatus: nomadlike.AllocClientStatusComplete}}))
		}, 1},
		{"scheduler stops it", func(t *testing.T, s *StateStore, _ *nomadlike.Job, a []*nomadlike.Allocation) {
			stop := a[0].Copy()
			stop.DesiredStatus = nomadlike.AllocDesiredStatusStop
			must(t, s.UpsertAllocs(10, []*nomadlike.Allocation{stop}))
		}, 1},
		{"node goes down", func(t *testing.T, s *StateStore, _ *nomadlike.Job, a []*nomadlike.Allocation) {
			must(t, s.UpdateNodeStatus(10, a[1].NodeID, nomadlike.NodeStatusDown, 0))
		}, 1},
		{"node stays ready", func(t *testing.T, s *StateStore, _ *nomadlike.Job, a []*nomadlike.Allocation) {
			must(t, s.UpdateNodeStatus(10, a[1].NodeID, nomadlike.NodeStatusReady, 0))
		}, 2},
		{"job purged", func(t *testing.T, s *StateStore, job *nomadlike.Job, _ []*nomadlike.Allocation) {
			must(t, s.DeleteJob(10, job.Namespace, job.ID))
		}, 0},
		{"allocations collected", func(t *testing.T, s *StateStore, _ *nomadlike.Job, a []*nomadlike.Allocation) {
			must(t, s.DeleteEvals(10, nil, []string{a[0].ID, a[1].ID}))
		}, 0},
		{"delete by allocs", func(t *testing.T, s *StateStore, _ *nomadlike.Job, a []*nomadlike.Allocation) {
			must(t, s.DeleteServiceRegistrationsByAllocs(10, []string{a[1].ID}))
		}, 1},
		{"delete by node", func(t *testing.T, s *StateStore, _ *nomadlike.Job, a []*nomadlike.Allocation) {
			must(t, s.DeleteServiceRegistrationsByNode(10, a[0].NodeID))
		}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, job, allocs := catalogFixture(t)
			ws := memdb.NewWatchSet()
			_, err := s.ServiceRegistrationsByName(ws, nomadlike.DefaultNamespace, "web")
			must(t, err)
			tc.do(t, s, job, allocs)
			if got := countServices(t, s, "web"); got != tc.want {
				t.Fatalf("instances after %s = %d, want %d", tc.name, got, tc.want)
			}
			idx, err := s.Index(TableServiceRegistrations)
			must(t, err)
			if changed := tc.want != 2; changed != (idx == 10) || changed != fired(ws) {
				t.Errorf("index = %d, watch fired %v; want a change at 10: %v", idx, fired(ws), changed)
			}
		})
	}
}

func TestUpsertServiceRegistrationsSkipsDeadAllocsAndUnchanged(t *testing.T) {
	s, _, allocs := catalogFixture(t)
	// Unchanged: no new index.
	must(t, s.UpsertServiceRegistrations(6, []*nomadlike.ServiceRegistration{reg(allocs[0], "web")}))
	if idx, _ := s.Index(TableServiceRegistrations); idx != 5 {
		t.Errorf("index after an unchanged upsert = %d, want 5", idx)
	}
	// A status change updates ModifyIndex and keeps CreateIndex.
	r := reg(allocs[0], "web")
	r.Status = nomadlike.ServiceStatusCritical
	must(t, s.UpsertServiceRegistrations(7, []*nomadlike.ServiceRegistration{r}))
	got, err := s.ServiceRegistrationByID(nil, r.ID)
	must(t, err)
	if got.Status != nomadlike.ServiceStatusCritical || got.CreateIndex != 5 || got.ModifyIndex != 7 {
		t.Errorf("updated = %+v, want critical, CreateIndex 5, ModifyIndex 7", got)
	}
	// A late registration of a stopped allocation does not come back.
	must(t, s.UpdateAllocsFromClient(8, []*nomadlike.Allocation{{ID: allocs[1].ID, ClientStatus: nomadlike.AllocClientStatusComplete}}))
	must(t, s.UpsertServiceRegistrations(9, []*nomadlike.ServiceRegistration{reg(allocs[1], "web"), reg(&nomadlike.Allocation{ID: "unknown", Namespace: "default", JobID: "x", NodeID: "n"}, "web")}))
	if n := countServices(t, s, "web"); n != 1 {
		t.Errorf("instances = %d, want 1 (dead and unknown allocations skipped)", n)
	}
	if err := s.DeleteServiceRegistrationByID(10, "other-ns", r.ID); !errors.Is(err, nomadlike.ErrNotFound) {
		t.Errorf("delete from another namespace = %v, want ErrNotFound", err)
	}
	must(t, s.DeleteServiceRegistrationByID(10, nomadlike.DefaultNamespace, r.ID))
	if n := countServices(t, s, "web"); n != 0 {
		t.Errorf("instances after delete = %d", n)
	}
}

func TestServiceRegistrationsSnapshotRestore(t *testing.T) {
	s, _, allocs := catalogFixture(t)
	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	restored, err := RestoreFrom(&buf)
	must(t, err)
	regs, err := restored.ServiceRegistrationsByAlloc(nil, allocs[1].ID)
	must(t, err)
	if len(regs) != 1 || regs[0].ServiceName != "web" || regs[0].CreateIndex != 5 {
		t.Fatalf("restored = %+v, want the web instance of alloc 2 at index 5", regs)
	}
	if all, _ := restored.ServiceRegistrations(nil, AllNamespaces); len(all) != 2 {
		t.Errorf("restored %d registrations, want 2", len(all))
	}
	if idx, _ := restored.Index(TableServiceRegistrations); idx != 5 {
		t.Errorf("restored index = %d, want 5", idx)
	}
}
