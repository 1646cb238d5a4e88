package state

import (
	"fmt"
	"math/rand"
	"runtime"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// BenchmarkAllocWrites times the FSM's two allocation writes of a big job,
// per allocation, on a store already holding 100,000 allocations of it
// over 5,000 nodes: plan = UpsertPlanResults of 1,000 scheduler-shaped
// placements (Job left off, metrics, JSON-decoded as the FSM does);
// client = UpdateAllocsFromClient of 1,000 of them going running with
// three task events. Decoding is outside the timer. Besides ns/alloc it
// reports alloc_B/alloc, the heap allocated per allocation written.
//
//	go test ./nomadlike/state -run '^$' -bench BenchmarkAllocWrites -benchtime 50x -cpuprofile cpu.out
func BenchmarkAllocWrites(b *testing.B) {
	const existing, batch = 100_000, 1_000
	s, err := NewStateStore()
	if err != nil {
		b.Fatal(err)
	}
	ids := seededIDs{rand.New(rand.NewSource(1))}
	rng := rand.New(rand.NewSource(2))
	index := uint64(1)
	nodes := make([]*nomadlike.Node, 5_000)
	for i := range nodes {
		n := fixture.Node()
		n.ID, n.SecretID, n.Name = ids.next(), ids.next(), fmt.Sprintf("sim-%05d", i)
		nodes[i] = n
		if err := s.UpsertNode(index, n); err != nil {
			b.Fatal(err)
		}
		index++
	}
	job := fixture.Job()
	job.TaskGroups[0].Count = existing + 100*batch
	job.TaskGroups[0].Networks = nil
	if err := s.UpsertJob(index, job); err != nil {
		b.Fatal(err)
	}
	index++
	if job, err = s.JobByID(nil, job.Namespace, job.ID); err != nil {
		b.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0).UnixNano()
	placed := 0
	plan := func() *ApplyPlanResultsRequest {
		eval := ids.next()
		req := &ApplyPlanResultsRequest{Job: job, EvalID: eval}
		for i := 0; i < batch; i++ {
			a := fixture.Alloc(job, nodes[rng.Intn(len(nodes))], placed)
			placed++
			a.ID, a.Job, a.EvalID, a.ClientStatus = ids.next(), nil, eval, nomadlike.AllocClientStatusPending
			a.CreateTime, a.ModifyTime = now, now
			a.Metrics = &nomadlike.AllocMetric{
				NodesEvaluated: 2, NodesInPool: len(nodes), NodesAvailable: map[string]int{"dc1": len(nodes)},
				ScoreMetaData: []*nomadlike.NodeScoreMeta{{
					NodeID: a.NodeID, NormScore: 0.42,
					Scores: map[string]float64{"binpack": 0.42, "job-anti-affinity": 0},
				}},
				AllocationTime: 12345,
			}
			req.AllocsUpdated = append(req.AllocsUpdated, a)
		}
		return roundTrip(b, req)
	}
	event := func(typ, msg string) *nomadlike.TaskEvent {
		return &nomadlike.TaskEvent{Type: typ, Time: now, Message: msg, DisplayMessage: msg}
	}
	running := func(placed []*nomadlike.Allocation) []*nomadlike.Allocation {
		u := &clientUpdate{}
		for _, a := range placed {
			u.Allocs = append(u.Allocs, &nomadlike.Allocation{
				ID: a.ID, Namespace: a.Namespace, NodeID: a.NodeID, JobID: a.JobID, TaskGroup: a.TaskGroup,
				ClientStatus: nomadlike.AllocClientStatusRunning, ClientDescription: "Tasks are running", ModifyTime: now,
				TaskStates: map[string]*nomadlike.TaskState{"web": {
					State: nomadlike.TaskStateRunning, StartedAt: nomadlike.Time{Time: time.Unix(0, now).UTC()}, Events: []*nomadlike.TaskEvent{
						event(nomadlike.TaskEventReceived, "Task received by client"),
						event(nomadlike.TaskEventSetup, "Building Task Directory"),
						event(nomadlike.TaskEventStarted, "Task started by client"),
					}}},
			})
		}
		return roundTrip(b, u).Allocs
	}
	for placed < existing {
		req := plan()
		if err := s.UpsertPlanResults(index, req); err != nil {
			b.Fatal(err)
		}
		index++
		if err := s.UpdateAllocsFromClient(index, running(req.AllocsUpdated)); err != nil {
			b.Fatal(err)
		}
		index++
	}
	for _, op := range []string{"plan", "client"} {
		b.Run("op="+op, func(b *testing.B) {
			var allocated uint64
			var ms runtime.MemStats
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				req := plan()
				var up []*nomadlike.Allocation
				if op == "client" {
					if err := s.UpsertPlanResults(index, req); err != nil {
						b.Fatal(err)
					}
					index++
					up = running(req.AllocsUpdated)
				}
				runtime.ReadMemStats(&ms)
				before := ms.TotalAlloc
				b.StartTimer()
				switch op {
				case "plan":
					err = s.UpsertPlanResults(index, req)
				case "client":
					err = s.UpdateAllocsFromClient(index, up)
				}
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				runtime.ReadMemStats(&ms)
				allocated += ms.TotalAlloc - before
				index++
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/alloc")
			b.ReportMetric(float64(allocated)/float64(b.N*batch), "alloc_B/alloc")
		})
	}
}
