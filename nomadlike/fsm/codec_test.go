package fsm

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// codecJob is a job with what JSON round trips are sensitive to: driver
// config numbers (float64 after decoding), nested maps and lists, empty vs
// nil, pointers to durations, strings JSON escapes.
func codecJob() *nomadlike.Job {
	j := fixture.Job()
	cfg := j.TaskGroups[0].Tasks[0].Config
	cfg["port"] = 8080
	cfg["ratio"] = 0.25
	cfg["big"] = 1e21
	cfg["tiny"] = 1e-7
	cfg["maxint"] = int64(math.MaxInt64)
	cfg["nested"] = map[string]any{"a": []any{1, "x", true, nil}, "b": map[string]any{}}
	cfg["empty"] = []any{}
	cfg["escapes"] = "a <b> & \"c\"\n\t\u2028\u2029 é \x7f"
	cfg["invalid-utf8"] = "bad \xff\xfe byte"
	d := 5 * time.Second
	j.TaskGroups[0].ShutdownDelay = &d
	j.Datacenters = []string{}
	j.Meta["html"] = "<script>&amp;</script>"
	return j
}

// codecRequests are the requests of every kind of entry the round-trip
// tests encode, by name.
func codecRequests() []struct {
	name string
	typ  MessageType
	req  any
} {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))
	alloc := fixture.Alloc(codecJob(), fixture.Node(), 1)
	alloc.TaskStates = map[string]*nomadlike.TaskState{}
	yes := true
	alloc.DesiredTransition.Migrate = &yes
	alloc.RescheduleTracker = &nomadlike.RescheduleTracker{Events: []*nomadlike.RescheduleEvent{{RescheduleTime: -1, Delay: int64(time.Minute)}}}
	node := fixture.Node()
	node.Drivers["exec"].UpdateTime = at
	eval := fixture.Eval(codecJob())
	eval.Wait = 3 * time.Second
	eval.WaitUntil = at.UTC()
	eval.FailedTGAllocs = map[string]*nomadlike.AllocMetric{"web": {DimensionExhausted: map[string]int{"memory": 2}, AllocationTime: -1}}
	eval.ClassEligibility = map[string]bool{}
	plan := planResultsRequest(5)
	plan.Job = codecJob()
	plan.AllocsStopped = []*nomadlike.Allocation{}
	plan.AllocsUpdated[0].Metrics.ScoreMetaData[0].Scores["neg-zero"] = math.Copysign(0, -1)
	bigPlan := planResultsRequest(200)
	bigPlan.AllocsUpdated[7] = alloc
	bigPlan.AllocsStopped = planResultsRequest(50).AllocsUpdated
	bigPlan.Evals = []*nomadlike.Evaluation{eval}
	return []struct {
		name string
		typ  MessageType
		req  any
	}{
		{"job register", JobRegisterRequestType, &JobRegisterRequest{Job: codecJob(), Eval: eval}},
		{"job deregister", JobDeregisterRequestType, &JobDeregisterRequest{Namespace: "default", JobID: "web", Purge: true}},
		{"eval update", EvalUpdateRequestType, &EvalUpdateRequest{Evals: []*nomadlike.Evaluation{eval, nil}}},
		{"eval delete", EvalDeleteRequestType, &EvalDeleteRequest{Evals: []string{}, Allocs: nil}},
		{"alloc update", AllocUpdateRequestType, &AllocUpdateRequest{Allocs: []*nomadlike.Allocation{alloc, {ID: "b"}}, Evals: []*nomadlike.Evaluation{}}},
		{"client update", AllocClientUpdateRequestType, clientUpdateBatch(3)},
		{"node register", NodeRegisterRequestType, &NodeRegisterRequest{Node: node}},
		{"node deregister", NodeDeregisterRequestType, &NodeDeregisterRequest{NodeIDs: []string{"a", "b"}}},
		{"node status", NodeUpdateStatusRequestType, &NodeUpdateStatusRequest{NodeID: "n", Status: "down", UpdatedAt: math.MinInt64}},
		{"node eligibility", NodeUpdateEligibilityRequestType, &NodeUpdateEligibilityRequest{NodeID: "n", Eligibility: "ineligible"}},
		{"node drain", NodeUpdateDrainRequestType, &NodeUpdateDrainRequest{NodeID: "n", DrainStrategy: &nomadlike.DrainStrategy{Deadline: time.Hour, ForceDeadline: at, StartedAt: at.UTC()}}},
		{"plan results", ApplyPlanResultsRequestType, plan},
		{"plan results of 200", ApplyPlanResultsRequestType, bigPlan},
		{"client update of 200", AllocClientUpdateRequestType, clientUpdateBatch(200)},
		{"periodic launch", PeriodicLaunchRequestType, &PeriodicLaunchRequest{Launch: &nomadlike.PeriodicLaunch{ID: "p", Namespace: "default", Launch: at}, Job: codecJob()}},
	}
}

// TestEncodeIsEncodingJSON checks that entries are the type byte and
// exactly the bytes encoding/json writes, so entries of every version decode
// alike and a reader with encoding/json can read the log.
func TestEncodeIsEncodingJSON(t *testing.T) {
	for _, tc := range codecRequests() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Encode(tc.typ, tc.req)
			if err != nil {
				t.Fatalf("Encode(%s) error = %v", tc.typ, err)
			}
			body, err := json.Marshal(tc.req)
			if err != nil {
				t.Fatal(err)
			}
			want := append([]byte{byte(tc.typ)}, body...)
			if !bytes.Equal(got, want) {
				t.Errorf("Encode(%s) =\n%q\nwant\n%q", tc.typ, got, want)
			}
		})
	}
}

// TestDecodeBodyIsEncodingJSON checks that every request decodes to what
// encoding/json decodes (float64 numbers in driver config, nil vs empty,
// time zones), from entries of this version and from old JSON entries
// (indented, with a trailing newline).
func TestDecodeBodyIsEncodingJSON(t *testing.T) {
	for _, tc := range codecRequests() {
		plain, err := json.Marshal(tc.req)
		if err != nil {
			t.Fatal(err)
		}
		indented, err := json.MarshalIndent(tc.req, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		bodies := map[string][]byte{
			"compact":          plain,
			"trailing newline": append(append([]byte{}, plain...), '\n'),
			"indented":         indented,
		}
		for form, body := range bodies {
			t.Run(tc.name+"/"+form, func(t *testing.T) {
				typ := reflect.TypeOf(tc.req).Elem()
				want := reflect.New(typ).Interface()
				if err := json.Unmarshal(body, want); err != nil {
					t.Fatal(err)
				}
				got := reflect.New(typ).Interface()
				if err := decodeBody(body, got); err != nil {
					t.Fatalf("decodeBody(%s) error = %v", tc.typ, err)
				}
				if !reflect.DeepEqual(got, want) {
					gb, _ := json.Marshal(got)
					t.Errorf("decodeBody(%s) = %s\nwant %s", tc.typ, gb, plain)
				}
			})
		}
	}
}

// TestApplyOldJSONEntry applies entries written by encoding/json, as
// earlier versions wrote them to raft logs.
func TestApplyOldJSONEntry(t *testing.T) {
	old := func(typ MessageType, req any, suffix string) *raft.Log {
		body, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		data := append(append([]byte{byte(typ)}, body...), suffix...)
		return &raft.Log{Term: 1, Type: raft.LogCommand, Data: data, AppendedAt: appendedAt}
	}
	f := newFSM(t)
	node, job := fixture.Node(), fixture.Job()
	eval := fixture.Eval(job)
	a := fixture.Alloc(job, node, 0)
	a.Job, a.EvalID = nil, eval.ID
	entries := []*raft.Log{
		old(NodeRegisterRequestType, &NodeRegisterRequest{Node: node}, ""),
		old(JobRegisterRequestType, &JobRegisterRequest{Job: job, Eval: eval}, "\n"),
		old(ApplyPlanResultsRequestType, &ApplyPlanResultsRequest{Job: job, AllocsUpdated: []*nomadlike.Allocation{a}, EvalID: eval.ID}, ""),
		old(AllocClientUpdateRequestType, &AllocClientUpdateRequest{Allocs: []*nomadlike.Allocation{{ID: a.ID, ClientStatus: nomadlike.AllocClientStatusRunning}}}, ""),
	}
	for i, e := range entries {
		e.Index = uint64(i + 1)
		if resp := f.Apply(e); resp != nil {
			t.Fatalf("Apply(%s) = %v, want nil", MessageType(e.Data[0]), resp)
		}
	}
	got, err := f.State().AllocByID(nil, a.ID)
	must(t, err)
	if got == nil || got.ClientStatus != nomadlike.AllocClientStatusRunning || got.Job == nil || got.Job.ID != job.ID {
		t.Fatalf("AllocByID(%s) = %+v, want running with job %s", a.ID, got, job.ID)
	}
	if !reflect.DeepEqual(got.Job.TaskGroups[0].Tasks[0].Config, job.TaskGroups[0].Tasks[0].Config) {
		t.Errorf("stored driver config = %v, want %v", got.Job.TaskGroups[0].Tasks[0].Config, job.TaskGroups[0].Tasks[0].Config)
	}
}
