package state

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
	"unsafe"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func sameString(a, b string) bool { return a == b && unsafe.StringData(a) == unsafe.StringData(b) }

// TestStoredAllocsShareMemory fills a store through JSON-decoded writes, as
// the FSM makes them, and checks that what allocations have in common is
// stored once.
func TestStoredAllocsShareMemory(t *testing.T) {
	s := newStore(t)
	fillC1M(t, s, c1mShape{allocs: 40, perJob: 20, perNode: 10}, 7)
	nodes, err := s.Nodes(nil, "")
	must(t, err)
	nodeByID := map[string]*nomadlike.Node{}
	for _, n := range nodes {
		nodeByID[n.ID] = n
	}
	jobs, err := s.Jobs(nil, "*", "")
	must(t, err)
	if len(jobs) != 2 {
		t.Fatalf("Jobs() = %d jobs, want 2", len(jobs))
	}
	for _, job := range jobs {
		allocs, err := s.AllocsByJob(nil, job.Namespace, job.ID)
		must(t, err)
		if len(allocs) != 20 {
			t.Fatalf("AllocsByJob(%q) = %d allocs, want 20", job.ID, len(allocs))
		}
		first := allocs[0]
		for _, a := range allocs {
			n := nodeByID[a.NodeID]
			ev := a.TaskStates["t"].Events
			checks := []struct {
				name string
				ok   bool
			}{
				{"NodeID is the node's", n != nil && sameString(a.NodeID, n.ID)},
				{"NodeName is the node's", n != nil && sameString(a.NodeName, n.Name)},
				{"JobID is the job's", sameString(a.JobID, a.Job.ID)},
				{"Namespace is the job's", sameString(a.Namespace, a.Job.Namespace)},
				{"TaskGroup is the job's", sameString(a.TaskGroup, a.Job.TaskGroups[0].Name)},
				{"EvalID shared in the plan", sameString(a.EvalID, first.EvalID)},
				{"ClientStatus shared", sameString(a.ClientStatus, first.ClientStatus)},
				{"ClientDescription shared", sameString(a.ClientDescription, first.ClientDescription)},
				{"DesiredStatus shared", sameString(a.DesiredStatus, first.DesiredStatus)},
				{"task State shared", sameString(a.TaskStates["t"].State, first.TaskStates["t"].State)},
				{"event Type shared", len(ev) == 3 && sameString(ev[2].Type, first.TaskStates["t"].Events[2].Type)},
				{"event Message shared", len(ev) == 3 && sameString(ev[1].Message, first.TaskStates["t"].Events[1].Message)},
				{"AllocatedResources shared in the plan", a.AllocatedResources == first.AllocatedResources},
				{"NodesAvailable shared in the plan", sameMap(a.Metrics.NodesAvailable, first.Metrics.NodesAvailable)},
				{"score NodeID is the node's", sameString(a.Metrics.ScoreMetaData[0].NodeID, a.NodeID)},
			}
			for _, c := range checks {
				if !c.ok {
					t.Errorf("alloc %s: %s: no", a.Name, c.name)
				}
			}
		}
	}
}

// TestStoredAllocsKeepValues checks that sharing changes no value: the
// stored allocation equals what was written, with the store's fields set.
func TestStoredAllocsKeepValues(t *testing.T) {
	tests := []struct {
		name  string
		write func(s *StateStore, index uint64, a *nomadlike.Allocation) error
	}{
		{"UpsertAllocs", func(s *StateStore, index uint64, a *nomadlike.Allocation) error {
			return s.UpsertAllocs(index, []*nomadlike.Allocation{a})
		}},
		{"UpsertPlanResults", func(s *StateStore, index uint64, a *nomadlike.Allocation) error {
			return s.UpsertPlanResults(index, &ApplyPlanResultsRequest{AllocsUpdated: []*nomadlike.Allocation{a}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			fillC1M(t, s, c1mShape{allocs: 4, perJob: 4, perNode: 2}, 3)
			stored, err := s.Allocs(nil, "")
			must(t, err)
			want := stored[0].Copy()
			want.ID, want.Name = "new-alloc", want.Name+"x"
			want.AllocatedResources.Tasks["t"].Cpu.CpuShares++ // differs from the others
			in := roundTrip(t, want)
			in.Job = stored[0].Job
			must(t, tt.write(s, 100, in))
			got, err := s.AllocByID(nil, want.ID)
			must(t, err)
			want.CreateIndex, want.ModifyIndex, want.AllocModifyIndex = 100, 100, 100
			if !reflect.DeepEqual(got, want) {
				t.Errorf("stored %+v\nwant %+v", got, want)
			}
			if got.AllocatedResources == stored[0].AllocatedResources {
				t.Error("different resources were shared")
			}
		})
	}
}

func TestRestoreSharesJobs(t *testing.T) {
	s := newStore(t)
	fillC1M(t, s, c1mShape{allocs: 30, perJob: 10, perNode: 5}, 11)
	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	r, err := RestoreFrom(&buf)
	must(t, err)
	allocs, err := r.Allocs(nil, "")
	must(t, err)
	if len(allocs) != 30 {
		t.Fatalf("restored %d allocs, want 30", len(allocs))
	}
	for _, a := range allocs {
		v, err := r.JobByIDAndVersion(nil, a.Namespace, a.JobID, a.Job.Version)
		must(t, err)
		if a.Job != v {
			t.Errorf("restored alloc %s: Job %p, want the stored version %p", a.Name, a.Job, v)
		}
		if !sameString(a.JobID, v.ID) {
			t.Errorf("restored alloc %s: JobID not the job's", a.Name)
		}
	}
}

func TestStringTable(t *testing.T) {
	tab := newStringTable()
	big := "running and then some more"
	a := tab.intern(big[:7])
	if got := tab.intern(string([]byte("running"))); !sameString(got, a) {
		t.Errorf("intern(%q) is another copy", got)
	}
	if sameString(a, big[:7]) {
		t.Error("the table keeps a substring of its argument (pins the larger string)")
	}
	long := string(make([]byte, maxInternLen+1))
	if got := tab.intern(long); !sameString(got, long) || len(tab.m) != 1 {
		t.Errorf("intern(long) = a copy or kept (%d in table), want it returned as is", len(tab.m))
	}
	for i := 0; len(tab.m) < maxInterned; i++ {
		tab.intern(fmt.Sprint("s", i))
	}
	extra := "one more"
	if got := tab.intern(extra); !sameString(got, extra) || len(tab.m) != maxInterned {
		t.Errorf("full table: intern kept %q (%d entries), want it returned as is", got, len(tab.m))
	}
	var none *stringTable
	if got := none.intern(extra); !sameString(got, extra) {
		t.Error("nil table: intern returned a copy")
	}
}

// TestScoreMapsShared checks that equal placement score maps are stored
// once, in the live store and after a restore, and that unequal ones stay
// apart.
func TestScoreMapsShared(t *testing.T) {
	s := newStore(t)
	fillC1M(t, s, c1mShape{allocs: 60, perJob: 20, perNode: 6}, 5)
	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	restored, err := RestoreFrom(&buf)
	must(t, err)
	for _, tc := range []struct {
		name  string
		store *StateStore
	}{{"live", s}, {"restored", restored}} {
		t.Run(tc.name, func(t *testing.T) {
			allocs, err := tc.store.Allocs(nil, "")
			must(t, err)
			byValue := map[string]map[string]float64{}
			for _, a := range allocs {
				scores := a.Metrics.ScoreMetaData[0].Scores
				k := fmt.Sprint(scores)
				first, ok := byValue[k]
				if !ok {
					byValue[k] = scores
					continue
				}
				if !sameScores(first, scores) {
					t.Errorf("alloc %s: score map %v equal to another but not shared", a.Name, scores)
				}
			}
			if len(byValue) < 2 {
				t.Fatalf("%d distinct score maps, want several", len(byValue))
			}
		})
	}
}
