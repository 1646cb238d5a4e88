package state

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// c1mShape is the cluster-scale benchmark's workload 1 (C1M) scaled down:
// jobs of perJob allocations (one group, one task: cpu 20, memory 10,
// disk 10) on nodes holding perNode allocations each.
type c1mShape struct {
	allocs, perJob, perNode int
	// noMetrics leaves the placements' AllocMetric out, to weigh it.
	noMetrics bool
}

// seededIDs makes UUID-shaped IDs from a seeded source, so runs store the
// same bytes.
type seededIDs struct{ r *rand.Rand }

func (g seededIDs) next() string {
	var b [16]byte
	g.r.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// roundTrip encodes v and decodes it into a new *T, as the FSM decodes a
// raft entry: every string and map of the result is freshly allocated.
func roundTrip[T any](tb testing.TB, v *T) *T {
	tb.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	out := new(T)
	if err := json.Unmarshal(body, out); err != nil {
		tb.Fatal(err)
	}
	return out
}

// clientUpdate is the body of a client's allocation update as the FSM
// decodes it (fsm.AllocClientUpdateRequest without evals).
type clientUpdate struct {
	Allocs []*nomadlike.Allocation `json:"Allocs"`
}

// fillC1M stores sh.allocs allocations in s the way the server does in the
// C1M benchmark: per job an UpsertJob and its eval, one committed plan with
// the job's placements (scheduler-shaped, Job left off, JSON-decoded), then
// per node two client updates (pending with one task event, running with
// three), also JSON-decoded. It returns the next free raft index.
func fillC1M(tb testing.TB, s *StateStore, sh c1mShape, seed int64) uint64 {
	tb.Helper()
	ids := seededIDs{rand.New(rand.NewSource(seed))}
	index := uint64(1)
	nodes := make([]*nomadlike.Node, (sh.allocs+sh.perNode-1)/sh.perNode)
	for i := range nodes {
		n := fixture.Node()
		n.ID, n.SecretID, n.Name = ids.next(), ids.next(), fmt.Sprintf("sim-%05d", i)
		nodes[i] = roundTrip(tb, n)
		if err := s.UpsertNode(index, nodes[i]); err != nil {
			tb.Fatal(err)
		}
		index++
	}
	now := time.Unix(1_700_000_000, 0)
	byNode := make(map[string][]*nomadlike.Allocation, len(nodes))
	next := 0
	for j := 0; next < sh.allocs; j++ {
		job := fixture.Job()
		job.ID, job.Name = fmt.Sprintf("c1m-%d", j), fmt.Sprintf("c1m-%d", j)
		tg := job.TaskGroups[0]
		tg.Name, tg.Count, tg.Networks = "g", sh.perJob, nil
		tg.EphemeralDisk = &nomadlike.EphemeralDisk{SizeMB: 10}
		tg.Tasks = tg.Tasks[:1]
		tg.Tasks[0].Name = "t"
		tg.Tasks[0].Resources = &nomadlike.Resources{CPU: 20, MemoryMB: 10}
		job.Canonicalize()
		if err := s.UpsertJob(index, roundTrip(tb, job)); err != nil {
			tb.Fatal(err)
		}
		index++
		stored, err := s.JobByID(nil, job.Namespace, job.ID)
		if err != nil || stored == nil {
			tb.Fatalf("JobByID(%q) = %v, %v", job.ID, stored, err)
		}
		eval := fixture.Eval(stored)
		eval.ID = ids.next()
		if err := s.UpsertEvals(index, []*nomadlike.Evaluation{roundTrip(tb, eval)}); err != nil {
			tb.Fatal(err)
		}
		index++
		req := &ApplyPlanResultsRequest{Job: stored, EvalID: eval.ID}
		for i := 0; i < sh.perJob && next < sh.allocs; i, next = i+1, next+1 {
			node := nodes[next%len(nodes)]
			// The bin-pack score grows with the node's usage, as the
			// scheduler's does on alike nodes.
			onNode := next / len(nodes)
			binpack := 0.05 + 0.9*float64(onNode)/float64(sh.perNode)
			req.AllocsUpdated = append(req.AllocsUpdated, &nomadlike.Allocation{
				ID: ids.next(), Namespace: stored.Namespace, EvalID: eval.ID,
				Name:   nomadlike.AllocName(stored.ID, tg.Name, i),
				NodeID: node.ID, NodeName: node.Name, JobID: stored.ID, TaskGroup: tg.Name,
				AllocatedResources: &nomadlike.AllocatedResources{
					Tasks: map[string]*nomadlike.AllocatedTaskResources{"t": {
						Cpu: nomadlike.AllocatedCpuResources{CpuShares: 20}, Memory: nomadlike.AllocatedMemoryResources{MemoryMB: 10},
					}},
					Shared: nomadlike.AllocatedSharedResources{DiskMB: 10},
				},
				Metrics: &nomadlike.AllocMetric{
					NodesEvaluated: 2, NodesInPool: len(nodes), NodesAvailable: map[string]int{"dc1": len(nodes)},
					ScoreMetaData: []*nomadlike.NodeScoreMeta{{
						NodeID: node.ID, NormScore: binpack,
						Scores: map[string]float64{"binpack": binpack, "job-anti-affinity": 0},
					}},
					AllocationTime: 12345,
				},
				DesiredStatus: nomadlike.AllocDesiredStatusRun, ClientStatus: nomadlike.AllocClientStatusPending,
				CreateTime: now.UnixNano(), ModifyTime: now.UnixNano(),
			})
		}
		if sh.noMetrics {
			for _, a := range req.AllocsUpdated {
				a.Metrics = nil
			}
		}
		if err := s.UpsertPlanResults(index, roundTrip(tb, req)); err != nil {
			tb.Fatal(err)
		}
		index++
		for _, a := range req.AllocsUpdated {
			byNode[a.NodeID] = append(byNode[a.NodeID], a)
		}
	}
	event := func(typ, msg string) *nomadlike.TaskEvent {
		return &nomadlike.TaskEvent{Type: typ, Time: now.UnixNano(), Message: msg, DisplayMessage: msg}
	}
	for _, n := range nodes {
		pending, running := &clientUpdate{}, &clientUpdate{}
		for _, a := range byNode[n.ID] {
			received := event(nomadlike.TaskEventReceived, "Task received by client")
			up := func(status, desc string, ts *nomadlike.TaskState) *nomadlike.Allocation {
				return &nomadlike.Allocation{ID: a.ID, Namespace: a.Namespace, NodeID: n.ID, JobID: a.JobID, TaskGroup: a.TaskGroup,
					ClientStatus: status, ClientDescription: desc, TaskStates: map[string]*nomadlike.TaskState{"t": ts}}
			}
			pending.Allocs = append(pending.Allocs, up(nomadlike.AllocClientStatusPending, "No tasks have started",
				&nomadlike.TaskState{State: nomadlike.TaskStatePending, Events: []*nomadlike.TaskEvent{received}}))
			running.Allocs = append(running.Allocs, up(nomadlike.AllocClientStatusRunning, "Tasks are running",
				&nomadlike.TaskState{State: nomadlike.TaskStateRunning, StartedAt: nomadlike.Time{Time: now.UTC()}, Events: []*nomadlike.TaskEvent{
					received, event(nomadlike.TaskEventSetup, "Building Task Directory"), event(nomadlike.TaskEventStarted, "Task started by client"),
				}}))
		}
		for _, u := range []*clientUpdate{pending, running} {
			if err := s.UpdateAllocsFromClient(index, roundTrip(tb, u).Allocs); err != nil {
				tb.Fatal(err)
			}
			index++
		}
	}
	return index
}

// heapAfterGC returns the MemStats after two collections.
func heapAfterGC() runtime.MemStats {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}

// BenchmarkStoreMemoryC1M reports the heap per stored allocation after GC
// with the store filled, minus before: B/alloc is HeapInuse (what RSS
// follows: live objects and the free slots of their spans), live_B/alloc
// HeapAlloc (live objects); and alloc_B/alloc, the heap allocated while
// filling it (garbage the collector must chase). Run it once per
// size: go test ./nomadlike/state -run '^$' -bench StoreMemory -benchtime 1x.
// NOMADLIKE_STATE_HEAPPROFILE=path writes a heap profile of the filled
// store of each size run, the last overwriting (go tool pprof
// -sample_index=inuse_space).
func BenchmarkStoreMemoryC1M(b *testing.B) {
	if os.Getenv("NOMADLIKE_STATE_HEAPPROFILE") != "" {
		defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
		runtime.MemProfileRate = 4096
	}
	for _, sh := range []c1mShape{
		{allocs: 10_000, perJob: 1000, perNode: 200},
		{allocs: 100_000, perJob: 1000, perNode: 200},
		{allocs: 10_000, perJob: 1000, perNode: 200, noMetrics: true},
	} {
		name := fmt.Sprintf("allocs=%d", sh.allocs)
		if sh.noMetrics {
			name += "/no-metrics"
		}
		b.Run(name, func(b *testing.B) {
			var inuse, live, allocated float64
			for i := 0; i < b.N; i++ {
				before := heapAfterGC()
				s, err := NewStateStore()
				if err != nil {
					b.Fatal(err)
				}
				fillC1M(b, s, sh, 1)
				after := heapAfterGC()
				inuse += float64(after.HeapInuse) - float64(before.HeapInuse)
				live += float64(after.HeapAlloc) - float64(before.HeapAlloc)
				allocated += float64(after.TotalAlloc - before.TotalAlloc)
				if path := os.Getenv("NOMADLIKE_STATE_HEAPPROFILE"); path != "" && i == b.N-1 {
					writeHeapProfile(b, path)
				}
				runtime.KeepAlive(s)
			}
			b.ReportMetric(inuse/float64(b.N)/float64(sh.allocs), "B/alloc")
			b.ReportMetric(live/float64(b.N)/float64(sh.allocs), "live_B/alloc")
			b.ReportMetric(allocated/float64(b.N)/float64(sh.allocs), "alloc_B/alloc")
		})
	}
}

func writeHeapProfile(b *testing.B, path string) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
}
