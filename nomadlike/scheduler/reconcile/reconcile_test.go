package reconcile

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func alloc(job *nomadlike.Job, i int, node string) *nomadlike.Allocation {
	n := fixture.Node()
	n.ID = node
	a := fixture.Alloc(job, n, i)
	a.ID = fmt.Sprintf("alloc-%d-%s", i, node)
	return a
}

func newJob(count int) *nomadlike.Job {
	j := fixture.Job()
	j.ID = "web"
	j.Version = 1
	j.TaskGroups[0].Count = count
	return j
}

func names(ps []Placement) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	sort.Strings(out)
	return out
}

func stopIDs(ss []Stop) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Alloc.ID)
	}
	sort.Strings(out)
	return out
}

func TestReconcile(t *testing.T) {
	type want struct {
		place   []string
		stops   []string
		inPlace int
		delayed int
		desired nomadlike.DesiredUpdates
	}
	cases := []struct {
		name   string
		job    func() *nomadlike.Job
		allocs func(j *nomadlike.Job) []*nomadlike.Allocation
		taint  map[string]*nomadlike.Node
		want   want
	}{
		{
			name:   "fresh job fills indexes from zero",
			job:    func() *nomadlike.Job { return newJob(3) },
			allocs: func(*nomadlike.Job) []*nomadlike.Allocation { return nil },
			want:   want{place: []string{"web.web[0]", "web.web[1]", "web.web[2]"}, desired: nomadlike.DesiredUpdates{Place: 3}},
		},
		{
			name: "count up fills the lowest free indexes",
			job:  func() *nomadlike.Job { return newJob(4) },
			allocs: func(j *nomadlike.Job) []*nomadlike.Allocation {
				return []*nomadlike.Allocation{alloc(j, 0, "n1"), alloc(j, 3, "n1")}
			},
			want: want{place: []string{"web.web[1]", "web.web[2]"}, desired: nomadlike.DesiredUpdates{Place: 2, Ignore: 2}},
		},
		{
			name: "count down stops the highest indexes",
			job:  func() *nomadlike.Job { return newJob(1) },
			allocs: func(j *nomadlike.Job) []*nomadlike.Allocation {
				return []*nomadlike.Allocation{alloc(j, 2, "n1"), alloc(j, 0, "n1"), alloc(j, 1, "n1")}
			},
			want: want{stops: []string{"alloc-1-n1", "alloc-2-n1"}, desired: nomadlike.DesiredUpdates{Stop: 2, Ignore: 1}},
		},
		{
			name: "stopped job stops everything live",
			job: func() *nomadlike.Job {
				j := newJob(2)
				j.Stop = true
				return j
			},
			allocs: func(j *nomadlike.Job) []*nomadlike.Allocation {
				done := alloc(j, 1, "n1")
				done.ClientStatus = nomadlike.AllocClientStatusComplete
				return []*nomadlike.Allocation{alloc(j, 0, "n1"), done}
			},
			want: want{stops: []string{"alloc-0-n1"}, desired: nomadlike.DesiredUpdates{Stop: 1}},
		},
		{
			name: "config change is a destructive update",
			job: func() *nomadlike.Job {
				j := newJob(2)
				j.Version = 2
				j.TaskGroups[0].Tasks[0].Config["args"] = []any{"2000"}
				return j
			},
			allocs: func(j *nomadlike.Job) []*nomadlike.Allocation {
				old := j.Copy()
				old.Version = 1
				old.TaskGroups[0].Tasks[0].Config["args"] = []any{"1000"}
				return []*nomadlike.Allocation{alloc(old, 0, "n1"), alloc(old, 1, "n2")}
			},
			want: want{place: []string{"web.web[0]", "web.web[1]"}, stops: []string{"alloc-0-n1", "alloc-1-n2"},
				desired: nomadlike.DesiredUpdates{DestructiveUpdate: 2}},
		},
		{
			name: "count and constraint change is in place",
			job: func() *nomadlike.Job {
				j := newJob(3)
				j.Version = 2
				j.Constraints = []*nomadlike.Constraint{{LTarget: "${attr.kernel.name}", Operand: "=", RTarget: "linux"}}
				return j
			},
			allocs: func(j *nomadlike.Job) []*nomadlike.Allocation {
				old := j.Copy()
				old.Version = 1
				old.Constraints = nil
				old.TaskGroups[0].Count = 2
				return []*nomadlike.Allocation{alloc(old, 0, "n1"), alloc(old, 1, "n2")}
			},
			want: want{place: []string{"web.web[2]"}, inPlace: 2, desired: nomadlike.DesiredUpdates{InPlaceUpdate: 2, Place: 1}},
		},
		{
			name: "down node: lost and replaced",
			job:  func() *nomadlike.Job { return newJob(2) },
			allocs: func(j *nomadlike.Job) []*nomadlike.Allocation {
				return []*nomadlike.Allocation{alloc(j, 0, "n1"), alloc(j, 1, "down")}
			},
			taint: map[string]*nomadlike.Node{"down": {ID: "down", Status: nomadlike.NodeStatusDown}},
			want:  want{place: []string{"web.web[1]"}, stops: []string{"alloc-1-down"}, desired: nomadlike.DesiredUpdates{Lost: 1, Ignore: 1}},
		},
		{
			name: "deleted node counts as down",
			job:  func() *nomadlike.Job { return newJob(1) },
			allocs: func(j *nomadlike.Job) []*nomadlike.Allocation {
				return []*nomadlike.Allocation{alloc(j, 0, "gone")}
			},
			taint: map[string]*nomadlike.Node{"gone": nil},
			want:  want{place: []string{"web.web[0]"}, stops: []string{"alloc-0-gone"}, desired: nomadlike.DesiredUpdates{Lost: 1}},
		},
		{
			name: "draining node: marked for migration moves",
			job:  func() *nomadlike.Job { return newJob(3) },
			allocs: func(j *nomadlike.Job) []*nomadlike.Allocation {
				yes := true
				marked := alloc(j, 0, "drain")
				marked.DesiredTransition.Migrate = &yes
				return []*nomadlike.Allocation{marked, alloc(j, 1, "drain"), alloc(j, 2, "n2")}
			},
			taint: map[string]*nomadlike.Node{"drain": {ID: "drain", Status: nomadlike.NodeStatusReady, DrainStrategy: &nomadlike.DrainStrategy{}}},
			// The unmarked one waits for the drainer (migrate block pacing).
			want: want{place: []string{"web.web[0]"}, stops: []string{"alloc-0-drain"}, desired: nomadlike.DesiredUpdates{Migrate: 1, Ignore: 2}},
		},
		{
			name: "duplicate names: the older is stopped",
			job:  func() *nomadlike.Job { return newJob(2) },
			allocs: func(j *nomadlike.Job) []*nomadlike.Allocation {
				a, b := alloc(j, 0, "n1"), alloc(j, 0, "n2")
				a.CreateIndex, b.CreateIndex = 5, 9
				return []*nomadlike.Allocation{a, b}
			},
			want: want{place: []string{"web.web[1]"}, stops: []string{"alloc-0-n1"}, desired: nomadlike.DesiredUpdates{Stop: 1, Ignore: 1, Place: 1}},
		},
		{
			name: "group removed",
			job: func() *nomadlike.Job {
				j := newJob(1)
				j.TaskGroups[0].Name = "api"
				return j
			},
			allocs: func(j *nomadlike.Job) []*nomadlike.Allocation {
				old := newJob(1)
				return []*nomadlike.Allocation{alloc(old, 0, "n1")}
			},
			want: want{place: []string{"web.api[0]"}, stops: []string{"alloc-0-n1"}},
		},
		{
			name: "service: complete alloc is replaced",
			job:  func() *nomadlike.Job { return newJob(1) },
			allocs: func(j *nomadlike.Job) []*nomadlike.Allocation {
				a := alloc(j, 0, "n1")
				a.ClientStatus = nomadlike.AllocClientStatusComplete
				return []*nomadlike.Allocation{a}
			},
			want: want{place: []string{"web.web[0]"}, desired: nomadlike.DesiredUpdates{Place: 1}},
		},
		{
			name: "batch: complete alloc is not replaced",
			job: func() *nomadlike.Job {
				j := fixture.BatchJob(2)
				j.ID = "web"
				return j
			},
			allocs: func(j *nomadlike.Job) []*nomadlike.Allocation {
				a := alloc(j, 0, "n1")
				a.ClientStatus = nomadlike.AllocClientStatusComplete
				return []*nomadlike.Allocation{a}
			},
			want: want{place: []string{"web.work[1]"}, desired: nomadlike.DesiredUpdates{Place: 1, Ignore: 1}},
		},
		{
			name: "batch: a new job version runs again over finished allocs",
			job: func() *nomadlike.Job {
				j := fixture.BatchJob(2)
				j.ID = "web"
				j.Version, j.JobModifyIndex = 2, 20
				return j
			},
			allocs: func(j *nomadlike.Job) []*nomadlike.Allocation {
				old := j.Copy()
				old.Version, old.JobModifyIndex = 1, 10
				done, failed := alloc(old, 0, "n1"), alloc(old, 1, "n1")
				done.ClientStatus = nomadlike.AllocClientStatusComplete
				failed.ClientStatus = nomadlike.AllocClientStatusFailed
				return []*nomadlike.Allocation{done, failed}
			},
			want: want{place: []string{"web.work[0]", "web.work[1]"}, desired: nomadlike.DesiredUpdates{Place: 2}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := tc.job()
			r := Reconcile(Input{JobID: "web", Job: job, Allocs: tc.allocs(job), TaintedNodes: tc.taint, EvalID: "e1", Now: now})
			if got := names(r.Place); fmt.Sprint(got) != fmt.Sprint(tc.want.place) {
				t.Errorf("placements = %v, want %v", got, tc.want.place)
			}
			if got := stopIDs(r.Stop); fmt.Sprint(got) != fmt.Sprint(tc.want.stops) {
				t.Errorf("stops = %v, want %v", got, tc.want.stops)
			}
			if len(r.InPlace) != tc.want.inPlace {
				t.Errorf("in-place = %d, want %d", len(r.InPlace), tc.want.inPlace)
			}
			if len(r.Delayed) != tc.want.delayed {
				t.Errorf("delayed = %d, want %d", len(r.Delayed), tc.want.delayed)
			}
			if tc.want.desired != (nomadlike.DesiredUpdates{}) {
				if got := r.Desired[job.TaskGroups[0].Name]; got == nil || *got != tc.want.desired {
					t.Errorf("desired = %+v, want %+v", got, tc.want.desired)
				}
			}
		})
	}
}

func TestReconcileLostMarksClientStatus(t *testing.T) {
	j := newJob(1)
	r := Reconcile(Input{Job: j, Allocs: []*nomadlike.Allocation{alloc(j, 0, "down")},
		TaintedNodes: map[string]*nomadlike.Node{"down": {Status: nomadlike.NodeStatusDown}}, Now: now})
	if len(r.Stop) != 1 || r.Stop[0].ClientStatus != nomadlike.AllocClientStatusLost || r.Stop[0].Description != StopLost {
		t.Fatalf("stop = %+v, want lost", r.Stop)
	}
	if len(r.Place) != 1 || r.Place[0].Kind != KindLost || r.Place[0].Previous == nil {
		t.Fatalf("place = %+v, want a lost replacement with its previous alloc", r.Place)
	}
}

func failedAlloc(j *nomadlike.Job, i int, failedAt time.Time, events ...time.Time) *nomadlike.Allocation {
	a := alloc(j, i, "n1")
	a.ClientStatus = nomadlike.AllocClientStatusFailed
	a.TaskStates = map[string]*nomadlike.TaskState{"app": {State: nomadlike.TaskStateDead, Failed: true, FinishedAt: nomadlike.Time{Time: failedAt}}}
	if len(events) > 0 {
		a.RescheduleTracker = &nomadlike.RescheduleTracker{}
		for _, e := range events {
			a.RescheduleTracker.Events = append(a.RescheduleTracker.Events, &nomadlike.RescheduleEvent{RescheduleTime: e.UnixNano(), Delay: int64(5 * time.Second)})
		}
	}
	return a
}

func TestReconcileReschedule(t *testing.T) {
	policy := &nomadlike.ReschedulePolicy{Attempts: 2, Interval: time.Hour, Delay: 30 * time.Second, DelayFunction: nomadlike.DelayFunctionConstant}
	cases := []struct {
		name       string
		batch      bool
		alloc      func(j *nomadlike.Job) *nomadlike.Allocation
		evalID     string
		wantNow    bool
		wantLater  time.Time
		wantIgnore bool
	}{
		{"failed long ago: now", false, func(j *nomadlike.Job) *nomadlike.Allocation {
			return failedAlloc(j, 0, now.Add(-time.Minute))
		}, "e1", true, time.Time{}, false},
		{"failed just now: later", false, func(j *nomadlike.Job) *nomadlike.Allocation {
			return failedAlloc(j, 0, now.Add(-10*time.Second))
		}, "e1", false, now.Add(20 * time.Second), false},
		{"attempts used up within interval: never", false, func(j *nomadlike.Job) *nomadlike.Allocation {
			return failedAlloc(j, 0, now.Add(-time.Minute), now.Add(-10*time.Minute), now.Add(-5*time.Minute))
		}, "e1", false, time.Time{}, true},
		{"old attempts outside interval do not count", false, func(j *nomadlike.Job) *nomadlike.Allocation {
			return failedAlloc(j, 0, now.Add(-time.Minute), now.Add(-3*time.Hour), now.Add(-2*time.Hour))
		}, "e1", true, time.Time{}, false},
		{"follow-up eval reschedules now", false, func(j *nomadlike.Job) *nomadlike.Allocation {
			a := failedAlloc(j, 0, now)
			a.FollowupEvalID = "follow"
			return a
		}, "follow", true, time.Time{}, false},
		{"batch failed is rescheduled", true, func(j *nomadlike.Job) *nomadlike.Allocation {
			return failedAlloc(j, 0, now.Add(-time.Minute))
		}, "e1", true, time.Time{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := newJob(1)
			if tc.batch {
				j.Type = nomadlike.JobTypeBatch
			}
			j.TaskGroups[0].ReschedulePolicy = policy
			r := Reconcile(Input{Job: j, Allocs: []*nomadlike.Allocation{tc.alloc(j)}, EvalID: tc.evalID, Now: now})
			d := r.Desired["web"]
			if gotNow := d.Reschedule == 1 && len(r.Place) == 1 && r.Place[0].Kind == KindReschedule; gotNow != tc.wantNow {
				t.Errorf("rescheduled now = %v, want %v (%+v)", gotNow, tc.wantNow, d)
			}
			if !tc.wantLater.IsZero() {
				if len(r.Delayed) != 1 || !r.Delayed[0].At.Equal(tc.wantLater) || !r.Delayed[0].NeedsFollowup {
					t.Errorf("delayed = %+v, want one at %v", r.Delayed, tc.wantLater)
				}
			}
			if tc.wantIgnore && (d.Ignore != 1 || len(r.Place) != 0 || len(r.Delayed) != 0) {
				t.Errorf("desired = %+v, want ignored", d)
			}
		})
	}
}

func TestSystem(t *testing.T) {
	j := newJob(1)
	j.Type = nomadlike.JobTypeSystem
	ready := func(id string) *nomadlike.Node {
		n := fixture.Node()
		n.ID = id
		return n
	}
	inelig := ready("inelig")
	inelig.SchedulingEligibility = nomadlike.NodeSchedulingIneligible
	sysAlloc := func(node string) *nomadlike.Allocation { return alloc(j, 0, node) }
	yes := true
	drained := sysAlloc("drain") // marked by the drainer
	drained.DesiredTransition.Migrate = &yes
	in := SystemInput{
		Job:   j,
		Nodes: []*nomadlike.Node{ready("a"), ready("b"), inelig},
		Allocs: []*nomadlike.Allocation{sysAlloc("b"), sysAlloc("inelig"), sysAlloc("down"), drained, sysAlloc("elsewhere"),
			sysAlloc("drain-unmarked")},
		TaintedNodes: map[string]*nomadlike.Node{
			"down":           {ID: "down", Status: nomadlike.NodeStatusDown},
			"drain":          {ID: "drain", Status: nomadlike.NodeStatusReady, DrainStrategy: &nomadlike.DrainStrategy{}},
			"drain-unmarked": {ID: "drain-unmarked", Status: nomadlike.NodeStatusReady, DrainStrategy: &nomadlike.DrainStrategy{}},
		},
	}
	r := System(in)
	if len(r.Place) != 1 || r.Place[0].NodeID != "a" {
		t.Fatalf("place = %+v, want one on node a", r.Place)
	}
	if got, want := stopIDs(r.Stop), []string{"alloc-0-down", "alloc-0-drain", "alloc-0-elsewhere"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("stops = %v, want %v", got, want)
	}
	want := nomadlike.DesiredUpdates{Place: 1, Ignore: 3, Lost: 1, Migrate: 1, Stop: 1}
	if got := *r.Desired["web"]; got != want {
		t.Fatalf("desired = %+v, want %+v", got, want)
	}
}

// TestReconcileProperties checks invariants over random seeded inputs:
// for a live service job, ignore+updates+replacements+new placements equal
// the desired count; no two live allocations share a name afterwards; stops
// are distinct existing allocations.
func TestReconcileProperties(t *testing.T) {
	for seed := uint64(1); seed <= 500; seed++ {
		rng := rand.New(rand.NewPCG(seed, 0))
		in := randomInput(rng)
		r := Reconcile(in)

		existing := map[string]*nomadlike.Allocation{}
		for _, a := range in.Allocs {
			existing[a.ID] = a
		}
		stopped := map[string]bool{}
		for _, s := range r.Stop {
			if existing[s.Alloc.ID] == nil {
				t.Fatalf("seed %d: stop of unknown alloc %s", seed, s.Alloc.ID)
			}
			if stopped[s.Alloc.ID] {
				t.Fatalf("seed %d: alloc %s stopped twice", seed, s.Alloc.ID)
			}
			stopped[s.Alloc.ID] = true
		}
		if len(r.Stop) > len(in.Allocs) {
			t.Fatalf("seed %d: %d stops for %d allocs", seed, len(r.Stop), len(in.Allocs))
		}
		live := map[string]int{}
		for _, a := range in.Allocs {
			if occupies(a, in.Job) && !stopped[a.ID] {
				live[a.Name]++
			}
		}
		for _, p := range r.Place {
			live[p.Name]++
		}
		for name, n := range live {
			if n > 1 {
				t.Fatalf("seed %d: %d live allocs named %s", seed, n, name)
			}
		}
		if in.Job.Type != nomadlike.JobTypeService {
			continue
		}
		for _, tg := range in.Job.TaskGroups {
			d := r.Desired[tg.Name]
			sum := d.Ignore + d.InPlaceUpdate + d.DestructiveUpdate + d.Migrate + d.Lost + d.Reschedule + d.Place
			if int(sum) != tg.Count {
				t.Fatalf("seed %d: group %s counts %+v add up to %d, want %d", seed, tg.Name, d, sum, tg.Count)
			}
			if got := placementsFor(r, tg.Name); got != int(d.DestructiveUpdate+d.Migrate+d.Lost+d.Reschedule+d.Place) {
				t.Fatalf("seed %d: %d placements for %+v", seed, got, d)
			}
		}
	}
}

func placementsFor(r *Result, group string) int {
	n := 0
	for _, p := range r.Place {
		if p.TaskGroup.Name == group {
			n++
		}
	}
	return n
}

func randomInput(rng *rand.Rand) Input {
	job := newJob(rng.IntN(8))
	job.Version = 3
	if rng.IntN(4) == 0 {
		job.Type = nomadlike.JobTypeBatch
	}
	if rng.IntN(2) == 0 {
		tg := job.TaskGroups[0].Copy()
		tg.Name = "api"
		tg.Count = rng.IntN(5)
		job.TaskGroups = append(job.TaskGroups, tg)
	}
	old := job.Copy()
	old.Version = 2
	old.TaskGroups[0].Tasks[0].Env = map[string]string{"OLD": "1"}
	tainted := map[string]*nomadlike.Node{
		"down":  {ID: "down", Status: nomadlike.NodeStatusDown},
		"drain": {ID: "drain", Status: nomadlike.NodeStatusReady, DrainStrategy: &nomadlike.DrainStrategy{}},
	}
	nodes := []string{"n1", "n2", "down", "drain"}
	statuses := []string{nomadlike.AllocClientStatusPending, nomadlike.AllocClientStatusRunning, nomadlike.AllocClientStatusComplete,
		nomadlike.AllocClientStatusFailed, nomadlike.AllocClientStatusLost}
	var allocs []*nomadlike.Allocation
	for i := range rng.IntN(14) {
		src := job
		if rng.IntN(3) == 0 {
			src = old
		}
		tg := src.TaskGroups[rng.IntN(len(src.TaskGroups))]
		a := alloc(src, rng.IntN(10), nodes[rng.IntN(len(nodes))])
		a.ID = fmt.Sprintf("a%02d", i)
		a.TaskGroup = tg.Name
		a.Name = nomadlike.AllocName(job.ID, tg.Name, a.Index())
		a.CreateIndex = uint64(rng.IntN(100))
		a.ClientStatus = statuses[rng.IntN(len(statuses))]
		if rng.IntN(5) == 0 {
			a.DesiredStatus = nomadlike.AllocDesiredStatusStop
		}
		if a.ClientStatus == nomadlike.AllocClientStatusFailed {
			a.TaskStates = map[string]*nomadlike.TaskState{"app": {FinishedAt: nomadlike.Time{Time: now.Add(-time.Duration(rng.IntN(120)) * time.Second)}}}
		}
		allocs = append(allocs, a)
	}
	return Input{JobID: job.ID, Job: job, Allocs: allocs, TaintedNodes: tainted, EvalID: "e1", Now: now}
}
