package fsm

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// benchUUID returns a UUID-shaped ID from r, so benchmark inputs are the
// same on every run.
func benchUUID(r *rand.Rand) string {
	b := make([]byte, 16)
	r.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// planResultsRequest is a plan result of n placements built the way the
// scheduler and plan applier build them: the job once, allocations without
// Job, with AllocatedResources and Metrics with ScoreMetaData.
func planResultsRequest(n int) *ApplyPlanResultsRequest {
	r := rand.New(rand.NewSource(1))
	job := fixture.Job()
	job.ID, job.Name = "web", "web"
	tg := job.TaskGroups[0]
	nodes := make([]*nomadlike.Node, 50)
	for i := range nodes {
		nodes[i] = fixture.Node()
		nodes[i].ID = benchUUID(r)
		nodes[i].Name = "node-" + nodes[i].ID[:8]
	}
	evalID := benchUUID(r)
	allocs := make([]*nomadlike.Allocation, n)
	for i := range allocs {
		node := nodes[i%len(nodes)]
		a := fixture.Alloc(job, node, i)
		a.ID, a.EvalID, a.Job = benchUUID(r), evalID, nil
		a.ClientStatus = nomadlike.AllocClientStatusPending
		a.AllocatedResources.Shared.Ports = []nomadlike.AllocatedPort{{Label: "http", Value: 20000 + i%10000, HostIP: "127.0.0.1"}}
		a.AllocatedResources.Tasks[tg.Tasks[0].Name].Networks = []*nomadlike.NetworkResource{{
			Mode: "host", IP: "127.0.0.1", DynamicPorts: []nomadlike.Port{{Label: "http", Value: 20000 + i%10000}},
		}}
		a.Metrics = &nomadlike.AllocMetric{
			NodesEvaluated: 3 + i%5,
			NodesInPool:    len(nodes),
			NodesAvailable: map[string]int{"dc1": len(nodes)},
			AllocationTime: time.Duration(15000 + i),
			ScoreMetaData: []*nomadlike.NodeScoreMeta{{
				NodeID:    node.ID,
				Scores:    map[string]float64{"binpack": r.Float64(), "job-anti-affinity": -r.Float64() / 3},
				NormScore: r.Float64(),
			}},
		}
		a.CreateTime = 1_780_000_000_000_000_000 + int64(i)
		a.ModifyTime = a.CreateTime
		allocs[i] = a
	}
	return &ApplyPlanResultsRequest{Job: job, AllocsUpdated: allocs, EvalID: evalID}
}

// clientUpdateBatch is a batch of n client allocation updates, as the
// client agents send them: ID, status and TaskStates of 3 events.
func clientUpdateBatch(n int) *AllocClientUpdateRequest {
	r := rand.New(rand.NewSource(2))
	allocs := make([]*nomadlike.Allocation, n)
	for i := range allocs {
		t0 := int64(1_780_000_000_000_000_000 + i*1000)
		allocs[i] = &nomadlike.Allocation{
			ID:           benchUUID(r),
			ClientStatus: nomadlike.AllocClientStatusRunning,
			TaskStates: map[string]*nomadlike.TaskState{"app": {
				State:     nomadlike.TaskStateRunning,
				StartedAt: nomadlike.Time{Time: time.Unix(0, t0+300).UTC()},
				Events: []*nomadlike.TaskEvent{
					{Type: nomadlike.TaskEventReceived, Time: t0, DisplayMessage: "Task received by client"},
					{Type: nomadlike.TaskEventSetup, Time: t0 + 100, Message: "Building Task Directory", DisplayMessage: "Building Task Directory"},
					{Type: nomadlike.TaskEventStarted, Time: t0 + 300, DisplayMessage: "Task started by client", Details: map[string]string{"pid": fmt.Sprint(1000 + i)}},
				},
			}},
		}
	}
	return &AllocClientUpdateRequest{Allocs: allocs}
}

// benchCases are the requests the codec benchmarks encode and decode.
var benchCases = []struct {
	name string
	typ  MessageType
	req  func() any
	new  func() any
}{
	{"PlanResults1000", ApplyPlanResultsRequestType, func() any { return planResultsRequest(1000) }, func() any { return new(ApplyPlanResultsRequest) }},
	{"ClientUpdate1000", AllocClientUpdateRequestType, func() any { return clientUpdateBatch(1000) }, func() any { return new(AllocClientUpdateRequest) }},
}

// BenchmarkEncode compares Encode with the JSON entries it replaced.
func BenchmarkEncode(b *testing.B) {
	for _, bc := range benchCases {
		req := bc.req()
		b.Run(bc.name+"/json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := json.Marshal(req); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/codec", func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				buf, err := Encode(bc.typ, req)
				if err != nil {
					b.Fatal(err)
				}
				size = len(buf)
			}
			b.ReportMetric(float64(size), "bytes")
		})
	}
}

// BenchmarkDecode compares decoding an entry of the current format with
// decoding an old JSON entry.
func BenchmarkDecode(b *testing.B) {
	for _, bc := range benchCases {
		req := bc.req()
		js, err := json.Marshal(req)
		if err != nil {
			b.Fatal(err)
		}
		cur, err := Encode(bc.typ, req)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name+"/json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := json.Unmarshal(js, bc.new()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/codec", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := decodeBody(cur[1:], bc.new()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
