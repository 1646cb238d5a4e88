package autoscaler

import (
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// recordingScaler is a Scaler that records its requests.
type recordingScaler struct{ reqs []nomadlike.ScaleRequest }

func (r *recordingScaler) ScaleJob(_, _ string, req nomadlike.ScaleRequest) (string, uint64, string, error) {
	r.reqs = append(r.reqs, req)
	return "eval", 1, "", nil
}

func i64(v int64) *int64 { return &v }

// scaledJob stores a job whose group has count 1 (min 1, max 3) and a CPU
// target of 50%, and one running allocation that used cpuMHz of 500 MHz.
func scaledJob(t *testing.T, st *state.StateStore, u *Usage, now time.Time, cpuMHz float64) *nomadlike.Job {
	t.Helper()
	job := fixture.Job()
	tg := job.TaskGroups[0]
	tg.Count = 1
	tg.Scaling = &nomadlike.ScalingPolicy{Min: i64(1), Max: i64(3), Policy: map[string]any{
		"cooldown": "1m", "evaluation_interval": "2s",
		"check": []any{map[string]any{"cpu": []any{map[string]any{
			"query": "avg_cpu-allocated", "strategy": []any{map[string]any{"target-value": []any{map[string]any{"target": 50.0}}}},
		}}}},
	}}
	job.Canonicalize()
	if err := st.UpsertJob(10, job); err != nil {
		t.Fatal(err)
	}
	a := fixture.Alloc(job, fixture.Node(), 0)
	a.ClientStatus = nomadlike.AllocClientStatusRunning
	if err := st.UpsertAllocs(11, []*nomadlike.Allocation{a}); err != nil {
		t.Fatal(err)
	}
	u.Put(now, []nomadlike.AllocUsage{{AllocID: a.ID, CPUMHz: cpuMHz}})
	return job
}

// TestTickScalesWithReason: a loaded group is scaled up (never past max),
// with the reason in the message; within cooldown nothing happens.
func TestTickScalesWithReason(t *testing.T) {
	st, err := state.NewStateStore()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	u, sc := NewUsage(), &recordingScaler{}
	job := scaledJob(t, st, u, now, 500) // 100% of 500 MHz
	a := New(Config{State: func() *state.StateStore { return st }, Scaler: sc, Usage: u, Now: func() time.Time { return now }})
	a.Tick()
	if len(sc.reqs) != 1 || *sc.reqs[0].Count != 2 {
		t.Fatalf("scale requests = %+v, want one to 2", sc.reqs)
	}
	want := `scaling up from 1 to 2: check "cpu": avg_cpu-allocated 100% against target 50%`
	if sc.reqs[0].Message != want {
		t.Errorf("message = %q, want %q", sc.reqs[0].Message, want)
	}
	a.Tick() // within evaluation_interval: not evaluated again
	if len(sc.reqs) != 1 {
		t.Errorf("evaluated twice within the interval: %+v", sc.reqs)
	}

	// A count change 10s ago: the 1m cooldown holds.
	two := int64(2)
	ev := &nomadlike.ScalingEvent{Time: uint64(now.Add(-10 * time.Second).UnixNano()), Count: &two}
	if err := st.UpsertScalingEvent(12, job.Namespace, job.ID, "web", ev); err != nil {
		t.Fatal(err)
	}
	now = now.Add(5 * time.Second)
	a.Tick()
	if len(sc.reqs) != 1 {
		t.Errorf("scaled within cooldown: %+v", sc.reqs)
	}
	// After the cooldown, a stale sample (older than MaxSampleAge) is no data.
	now = now.Add(2 * time.Minute)
	a.Tick()
	if len(sc.reqs) != 1 {
		t.Errorf("scaled on a stale sample: %+v", sc.reqs)
	}
}

// TestTickHeldAtMax: the decision never passes the scaling block's max.
func TestTickHeldAtMax(t *testing.T) {
	st, err := state.NewStateStore()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	u, sc := NewUsage(), &recordingScaler{}
	scaledJob(t, st, u, now, 5000) // 1000%
	New(Config{State: func() *state.StateStore { return st }, Scaler: sc, Usage: u, Now: func() time.Time { return now }}).Tick()
	if len(sc.reqs) != 1 || *sc.reqs[0].Count != 3 || !strings.HasSuffix(sc.reqs[0].Message, "held at max 3") {
		t.Fatalf("scale requests = %+v, want one to max 3", sc.reqs)
	}
}

// TestTickSkipsDisabled: a policy with enabled = false is not run (its
// min and max still bound the count, see Job.Validate); the autoscaler
// sees the change of the job without restarting.
func TestTickSkipsDisabled(t *testing.T) {
	st, err := state.NewStateStore()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	u, sc := NewUsage(), &recordingScaler{}
	job := scaledJob(t, st, u, now, 5000)
	a := New(Config{State: func() *state.StateStore { return st }, Scaler: sc, Usage: u, Now: func() time.Time { return now }})
	a.Tick()
	if len(sc.reqs) != 1 {
		t.Fatalf("enabled policy: scale requests = %+v, want one", sc.reqs)
	}
	off := false
	job = job.Copy()
	job.TaskGroups[0].Scaling.Enabled = &off
	if err := st.UpsertJob(20, job); err != nil {
		t.Fatal(err)
	}
	now = now.Add(10 * time.Second)
	u.Put(now, []nomadlike.AllocUsage{{AllocID: allocOf(t, st, job), CPUMHz: 5000}})
	a.Tick()
	if len(sc.reqs) != 1 {
		t.Errorf("a disabled policy scaled: %+v", sc.reqs)
	}
}

// allocOf returns the ID of job's one allocation.
func allocOf(t *testing.T, st *state.StateStore, job *nomadlike.Job) string {
	t.Helper()
	allocs, err := st.AllocsByJob(nil, job.Namespace, job.ID)
	if err != nil || len(allocs) != 1 {
		t.Fatalf("AllocsByJob = %v, %v", allocs, err)
	}
	return allocs[0].ID
}
