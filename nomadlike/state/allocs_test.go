package state

import (
	"errors"
	"slices"
	"testing"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func TestSummaryThroughAllocLife(t *testing.T) {
	s := newStore(t)
	node := fixture.Node()
	job := storeJob(t, s, 10, fixture.Job())
	group := job.TaskGroups[0].Name
	a0 := allocFor(job, node, 0, "")
	a1 := allocFor(job, node, 1, "")
	eval := evalFor(job, nomadlike.EvalStatusComplete)
	eval.QueuedAllocations = map[string]int{group: 3}

	steps := []struct {
		name  string
		apply func() error
		want  nomadlike.TaskGroupSummary
	}{
		{"eval queues three", func() error { return s.UpsertEvals(11, []*nomadlike.Evaluation{eval}) },
			nomadlike.TaskGroupSummary{Queued: 3}},
		{"two placed", func() error { return s.UpsertAllocs(12, []*nomadlike.Allocation{a0, a1}) },
			nomadlike.TaskGroupSummary{Queued: 1, Starting: 2}},
		{"server update keeps counts", func() error {
			u := a0.Copy()
			u.DesiredDescription = "in place"
			return s.UpsertAllocs(13, []*nomadlike.Allocation{u})
		}, nomadlike.TaskGroupSummary{Queued: 1, Starting: 2}},
		{"one running", func() error {
			return s.UpdateAllocsFromClient(14, []*nomadlike.Allocation{{ID: a0.ID, ClientStatus: nomadlike.AllocClientStatusRunning}})
		}, nomadlike.TaskGroupSummary{Queued: 1, Starting: 1, Running: 1}},
		{"other failed", func() error {
			return s.UpdateAllocsFromClient(15, []*nomadlike.Allocation{{ID: a1.ID, ClientStatus: nomadlike.AllocClientStatusFailed}})
		}, nomadlike.TaskGroupSummary{Queued: 1, Running: 1, Failed: 1}},
		{"server marks lost", func() error {
			return s.UpsertPlanResults(16, &ApplyPlanResultsRequest{AllocsStopped: []*nomadlike.Allocation{{
				ID: a0.ID, DesiredStatus: nomadlike.AllocDesiredStatusStop, ClientStatus: nomadlike.AllocClientStatusLost}}})
		}, nomadlike.TaskGroupSummary{Queued: 1, Failed: 1, Lost: 1}},
		{"garbage collection keeps history", func() error { return s.DeleteEvals(17, nil, []string{a1.ID}) },
			nomadlike.TaskGroupSummary{Queued: 1, Failed: 1, Lost: 1}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			must(t, st.apply())
			sum, err := s.JobSummaryByID(nil, job.Namespace, job.ID)
			must(t, err)
			if got := sum.Summary[group]; got != st.want {
				t.Errorf("summary = %+v, want %+v", got, st.want)
			}
		})
	}
}

func TestUpsertAllocsServerSide(t *testing.T) {
	node := fixture.Node()
	running := &nomadlike.TaskState{State: nomadlike.TaskStateRunning, StartedAt: nomadlike.Time{Time: time.Unix(0, 99).UTC()}}
	cases := []struct {
		name       string
		update     func(a *nomadlike.Allocation)
		wantClient string
		wantDesc   string
		wantTasks  bool // stored task states kept
	}{
		{"client fields kept", func(a *nomadlike.Allocation) {
			a.ClientStatus = nomadlike.AllocClientStatusPending
			a.ClientDescription = "stale"
			a.TaskStates = nil
			a.DesiredStatus = nomadlike.AllocDesiredStatusStop
		}, nomadlike.AllocClientStatusRunning, "up", true},
		{"lost overrides", func(a *nomadlike.Allocation) {
			a.ClientStatus = nomadlike.AllocClientStatusLost
			a.ClientDescription = "node down"
			a.TaskStates = nil
			a.DesiredStatus = nomadlike.AllocDesiredStatusStop
		}, nomadlike.AllocClientStatusLost, "node down", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			job := storeJob(t, s, 10, fixture.Job())
			a := allocFor(job, node, 0, nomadlike.AllocClientStatusPending)
			a.Job = nil
			a.CreateTime = 1000
			a.ModifyTime = 1000
			must(t, s.UpsertAllocs(11, []*nomadlike.Allocation{a}))
			must(t, s.UpdateAllocsFromClient(12, []*nomadlike.Allocation{{ID: a.ID,
				ClientStatus: nomadlike.AllocClientStatusRunning, ClientDescription: "up",
				TaskStates: map[string]*nomadlike.TaskState{"app": running}, ModifyTime: 2000}}))
			u := a.Copy()
			tc.update(u)
			u.ModifyTime = 3000
			must(t, s.UpsertAllocs(13, []*nomadlike.Allocation{u}))
			got, err := s.AllocByID(nil, a.ID)
			must(t, err)
			if got.ClientStatus != tc.wantClient || got.ClientDescription != tc.wantDesc {
				t.Errorf("client status = %q %q, want %q %q", got.ClientStatus, got.ClientDescription, tc.wantClient, tc.wantDesc)
			}
			if tc.wantTasks && (got.TaskStates["app"] == nil || got.TaskStates["app"].StartedAt.UnixNano() != 99) {
				t.Errorf("task states = %v, want kept", got.TaskStates)
			}
			if got.DesiredStatus != nomadlike.AllocDesiredStatusStop {
				t.Errorf("DesiredStatus = %q, want stop", got.DesiredStatus)
			}
			if got.CreateIndex != 11 || got.ModifyIndex != 13 || got.AllocModifyIndex != 13 {
				t.Errorf("indexes = %d/%d/%d, want 11/13/13", got.CreateIndex, got.ModifyIndex, got.AllocModifyIndex)
			}
			if got.CreateTime != 1000 || got.ModifyTime != 3000 {
				t.Errorf("times = %d/%d, want 1000/3000", got.CreateTime, got.ModifyTime)
			}
			if got.Job != job {
				t.Errorf("Job not denormalized from the stored job: %p, want %p", got.Job, job)
			}
		})
	}
}

func TestUpsertAllocsJobDenormalization(t *testing.T) {
	s := newStore(t)
	node := fixture.Node()
	job := storeJob(t, s, 10, fixture.Job())

	orphan := fixture.Alloc(job, node, 0)
	orphan.Job, orphan.JobID = nil, "no-such-job"
	err := s.UpsertAllocs(11, []*nomadlike.Allocation{orphan})
	if !errors.Is(err, nomadlike.ErrJobNotFound) {
		t.Fatalf("UpsertAllocs(alloc of missing job) = %v, want ErrJobNotFound", err)
	}
	if got, _ := s.AllocByID(nil, orphan.ID); got != nil {
		t.Fatal("failed write left the alloc in the store")
	}

	// Plan with a job: allocations share the stored version.
	planJob := job.Copy()
	a := fixture.Alloc(job, node, 0)
	a.Job = nil
	must(t, s.UpsertPlanResults(12, &ApplyPlanResultsRequest{Job: planJob, AllocsUpdated: []*nomadlike.Allocation{a}}))
	got, _ := s.AllocByID(nil, a.ID)
	if got.Job != job {
		t.Errorf("plan alloc Job = %p, want the stored version %p", got.Job, job)
	}

	// A new version: a stop keeps the alloc's old job, an in-place update takes the plan's.
	v1 := job.Copy()
	v1.Meta = map[string]string{"v": "1"}
	v1s := storeJob(t, s, 13, v1)
	b := fixture.Alloc(job, node, 1)
	b.Job = nil
	must(t, s.UpsertAllocs(14, []*nomadlike.Allocation{b}))
	if got, _ := s.AllocByID(nil, b.ID); got.Job != v1s {
		t.Errorf("new alloc without job took %p, want current job %p", got.Job, v1s)
	}
	stop := a.Copy()
	stop.DesiredStatus = nomadlike.AllocDesiredStatusStop
	inplace := b.Copy()
	must(t, s.UpsertPlanResults(15, &ApplyPlanResultsRequest{Job: v1s.Copy(),
		AllocsStopped: []*nomadlike.Allocation{stop}, AllocsUpdated: []*nomadlike.Allocation{inplace}}))
	if got, _ := s.AllocByID(nil, a.ID); got.Job != job || got.DesiredStatus != nomadlike.AllocDesiredStatusStop {
		t.Errorf("stopped alloc = job %p status %q, want old job %p, stop", got.Job, got.DesiredStatus, job)
	}
	if got, _ := s.AllocByID(nil, b.ID); got.Job != v1s {
		t.Errorf("updated alloc job = %p, want %p", got.Job, v1s)
	}
}

func TestUpdateAllocsFromClient(t *testing.T) {
	s := newStore(t)
	node := fixture.Node()
	job := storeJob(t, s, 10, fixture.Job())
	a := allocFor(job, node, 0, nomadlike.AllocClientStatusPending)
	must(t, s.UpsertAllocs(11, []*nomadlike.Allocation{a}))
	upd := &nomadlike.Allocation{
		ID: a.ID, ClientStatus: nomadlike.AllocClientStatusRunning, ClientDescription: "tasks running",
		TaskStates:    map[string]*nomadlike.TaskState{"app": {State: nomadlike.TaskStateRunning}},
		DesiredStatus: nomadlike.AllocDesiredStatusStop, // not the client's: ignored
		NodeID:        "elsewhere",                      // ignored
		ModifyTime:    555,
	}
	unknown := &nomadlike.Allocation{ID: "no-such-alloc", ClientStatus: nomadlike.AllocClientStatusFailed}
	must(t, s.UpdateAllocsFromClient(12, []*nomadlike.Allocation{upd, unknown}))
	got, err := s.AllocByID(nil, a.ID)
	must(t, err)
	if got.ClientStatus != nomadlike.AllocClientStatusRunning || got.ClientDescription != "tasks running" ||
		got.TaskStates["app"].State != nomadlike.TaskStateRunning {
		t.Errorf("client fields = %q %q %v, want running", got.ClientStatus, got.ClientDescription, got.TaskStates)
	}
	if got.DesiredStatus != nomadlike.AllocDesiredStatusRun || got.NodeID != node.ID {
		t.Errorf("server fields changed: desired %q node %q", got.DesiredStatus, got.NodeID)
	}
	if got.ModifyIndex != 12 || got.AllocModifyIndex != 11 || got.ModifyTime != 555 {
		t.Errorf("ModifyIndex/AllocModifyIndex/ModifyTime = %d/%d/%d, want 12/11/555", got.ModifyIndex, got.AllocModifyIndex, got.ModifyTime)
	}
	if x, _ := s.AllocByID(nil, unknown.ID); x != nil {
		t.Error("unknown alloc was created")
	}
	// The store keeps the request's TaskStates (the caller hands them over)
	// but not its Allocation struct.
	upd.ClientStatus = nomadlike.AllocClientStatusFailed
	if got.ClientStatus != nomadlike.AllocClientStatusRunning {
		t.Error("stored allocation is the request's struct")
	}
}

func TestAllocReads(t *testing.T) {
	s := newStore(t)
	n1, n2 := fixture.Node(), fixture.Node()
	job := storeJob(t, s, 10, fixture.Job())
	other := storeJob(t, s, 11, fixture.Job())
	a := allocFor(job, n1, 0, nomadlike.AllocClientStatusRunning)
	b := allocFor(job, n2, 1, nomadlike.AllocClientStatusComplete)
	c := allocFor(other, n1, 0, nomadlike.AllocClientStatusRunning)
	c.EvalID = a.EvalID
	must(t, s.UpsertAllocs(12, []*nomadlike.Allocation{a, b, c}))
	ids := func(as []*nomadlike.Allocation, err error) map[string]bool {
		t.Helper()
		must(t, err)
		m := map[string]bool{}
		for _, x := range as {
			m[x.ID] = true
		}
		return m
	}
	cases := []struct {
		name string
		got  map[string]bool
		want []string
	}{
		{"by job includes terminal", ids(s.AllocsByJob(nil, job.Namespace, job.ID)), []string{a.ID, b.ID}},
		{"by node", ids(s.AllocsByNode(nil, n1.ID)), []string{a.ID, c.ID}},
		{"by eval", ids(s.AllocsByEval(nil, a.EvalID)), []string{a.ID, c.ID}},
		{"by prefix", ids(s.Allocs(nil, a.ID[:8])), []string{a.ID}},
		{"all", ids(s.Allocs(nil, "")), []string{a.ID, b.ID, c.ID}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.got) != len(tc.want) {
				t.Fatalf("got %v, want %v", tc.got, tc.want)
			}
			for _, id := range tc.want {
				if !tc.got[id] {
					t.Fatalf("got %v, want %v", tc.got, tc.want)
				}
			}
		})
	}
}

// AllocsByEval of a stored evaluation reads its job's allocations (there is
// no eval index): it finds the eval's allocations, terminal ones included,
// not the job's others, and a blocking query on it wakes when one of them
// changes.
func TestAllocsByStoredEval(t *testing.T) {
	s := newStore(t)
	n1, n2 := fixture.Node(), fixture.Node()
	job := storeJob(t, s, 10, fixture.Job())
	eval, later := evalFor(job, nomadlike.EvalStatusComplete), evalFor(job, nomadlike.EvalStatusPending)
	must(t, s.UpsertEvals(11, []*nomadlike.Evaluation{eval, later}))
	a := allocFor(job, n1, 0, nomadlike.AllocClientStatusRunning)
	b := allocFor(job, n2, 1, nomadlike.AllocClientStatusComplete)
	c := allocFor(job, n1, 2, nomadlike.AllocClientStatusRunning)
	a.EvalID, b.EvalID, c.EvalID = eval.ID, eval.ID, later.ID
	must(t, s.UpsertAllocs(12, []*nomadlike.Allocation{a, b, c}))

	cases := []struct {
		name   string
		evalID string
		want   []string
	}{
		{"stored eval", eval.ID, []string{a.ID, b.ID}},
		{"other eval of the job", later.ID, []string{c.ID}},
		{"unknown eval", "no-such-eval", nil},
		{"empty ID", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.AllocsByEval(nil, tc.evalID)
			must(t, err)
			ids := make([]string, 0, len(got))
			for _, x := range got {
				ids = append(ids, x.ID)
			}
			slices.Sort(ids)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(ids, want) {
				t.Fatalf("AllocsByEval(%q) = %v, want %v", tc.evalID, ids, want)
			}
		})
	}

	ws := memdb.NewWatchSet()
	if _, err := s.AllocsByEval(ws, eval.ID); err != nil {
		t.Fatal(err)
	}
	up := &nomadlike.Allocation{ID: b.ID, ClientStatus: nomadlike.AllocClientStatusFailed}
	must(t, s.UpdateAllocsFromClient(13, []*nomadlike.Allocation{up}))
	if !fired(ws) {
		t.Fatal("AllocsByEval watch did not fire when one of the eval's allocations changed")
	}
}
