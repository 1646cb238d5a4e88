package fsm

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// compactWorld is three nodes and a job of three groups, the inputs of
// randomPlans.
type compactWorld struct {
	nodes []*nomadlike.Node
	job   *nomadlike.Job
}

func newCompactWorld() *compactWorld {
	w := &compactWorld{job: fixture.Job()}
	base := w.job.TaskGroups[0]
	for _, name := range []string{"api", "cache"} {
		tg := *base
		tg.Name = name
		w.job.TaskGroups = append(w.job.TaskGroups, &tg)
	}
	for range 3 {
		w.nodes = append(w.nodes, fixture.Node())
	}
	return w
}

// randomPlans returns n plan results built from r the way the scheduler
// builds them: per plan one eval, CreateTime and resources per group, and
// a random mix of groups, ports, previous allocations, reschedule
// trackers and metrics.
func (w *compactWorld) randomPlans(r *rand.Rand, n int) []*ApplyPlanResultsRequest {
	var out []*ApplyPlanResultsRequest
	for p := range n {
		evalID := benchUUID(r)
		now := int64(1_780_000_000_000_000_000 + p*1000)
		req := &ApplyPlanResultsRequest{Job: w.job, EvalID: evalID}
		resources := map[string]*nomadlike.AllocatedResources{}
		for i := range 1 + r.Intn(40) {
			tg := w.job.TaskGroups[r.Intn(len(w.job.TaskGroups))]
			node := w.nodes[r.Intn(len(w.nodes))]
			a := fixture.Alloc(w.job, node, i)
			a.ID, a.EvalID, a.Job, a.TaskGroup = benchUUID(r), evalID, nil, tg.Name
			a.Name = fmt.Sprintf("%s.%s[%d]", w.job.ID, tg.Name, r.Intn(100))
			a.ClientStatus = nomadlike.AllocClientStatusPending
			a.CreateTime, a.ModifyTime = now, now
			if shared, ok := resources[tg.Name]; ok {
				a.AllocatedResources = shared
			} else {
				resources[tg.Name] = a.AllocatedResources
			}
			switch r.Intn(4) {
			case 0: // ports: resources of its own
				port := 20000 + r.Intn(10000)
				a.AllocatedResources = &nomadlike.AllocatedResources{
					Tasks: map[string]*nomadlike.AllocatedTaskResources{"app": {
						Cpu:      nomadlike.AllocatedCpuResources{CpuShares: 500},
						Memory:   nomadlike.AllocatedMemoryResources{MemoryMB: 256},
						Networks: []*nomadlike.NetworkResource{{Mode: "host", IP: "127.0.0.1", DynamicPorts: []nomadlike.Port{{Label: "http", Value: port}}}},
					}},
					Shared: nomadlike.AllocatedSharedResources{DiskMB: 300, Ports: []nomadlike.AllocatedPort{{Label: "http", Value: port, HostIP: "127.0.0.1"}}},
				}
			case 1: // equal resources in a new object
				b, _ := json.Marshal(a.AllocatedResources)
				a.AllocatedResources = new(nomadlike.AllocatedResources)
				if err := json.Unmarshal(b, a.AllocatedResources); err != nil {
					panic(err)
				}
			}
			if r.Intn(3) == 0 {
				a.PreviousAllocation = benchUUID(r)
				if r.Intn(2) == 0 {
					a.RescheduleTracker = &nomadlike.RescheduleTracker{Events: []*nomadlike.RescheduleEvent{{
						RescheduleTime: now - int64(r.Intn(1000)), PrevAllocID: a.PreviousAllocation, PrevNodeID: node.ID, Delay: int64(time.Second),
					}}}
				}
			}
			if r.Intn(10) > 0 {
				a.Metrics = &nomadlike.AllocMetric{
					NodesEvaluated: r.Intn(10), NodesInPool: len(w.nodes), AllocationTime: time.Duration(r.Intn(100000)),
					ScoreMetaData: []*nomadlike.NodeScoreMeta{{NodeID: node.ID, Scores: map[string]float64{"binpack": r.Float64()}, NormScore: r.Float64()}},
				}
			}
			if r.Intn(20) == 0 { // a rare odd one: a template of its own
				a.DesiredDescription = "odd"
			}
			req.AllocsUpdated = append(req.AllocsUpdated, a)
		}
		out = append(out, req)
	}
	return out
}

// allocsJSON is the JSON of every allocation in f's store, in ID order.
func allocsJSON(t *testing.T, f *FSM) string {
	t.Helper()
	snap, err := f.State().Snapshot()
	must(t, err)
	allocs, err := snap.Allocs(nil, "")
	must(t, err)
	b, err := json.MarshalIndent(allocs, "", " ")
	must(t, err)
	return string(b)
}

func TestCompactPlanResultsApplyAsPlain(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			w := newCompactWorld()
			plain, compact := newFSM(t), newFSM(t)
			for _, f := range []*FSM{plain, compact} {
				for i, n := range w.nodes {
					apply(t, f, uint64(1+i), NodeRegisterRequestType, &NodeRegisterRequest{Node: n})
				}
				apply(t, f, 4, JobRegisterRequestType, &JobRegisterRequest{Job: w.job})
			}
			index := uint64(5)
			var compacted, plainBytes, compactBytes int
			for _, req := range w.randomPlans(rand.New(rand.NewSource(seed)), 30) {
				entry := NewPlanResultsEntry(req)
				if len(entry.AllocRecords) > 0 {
					compacted++
				}
				pb, cb := logEntry(t, index, ApplyPlanResultsRequestType, req), logEntry(t, index, ApplyPlanResultsRequestType, entry)
				plainBytes += len(pb.Data)
				compactBytes += len(cb.Data)
				if resp := plain.Apply(pb); resp != nil {
					t.Fatalf("Apply(plain at %d) = %v", index, resp)
				}
				if resp := compact.Apply(cb); resp != nil {
					t.Fatalf("Apply(compact at %d) = %v", index, resp)
				}
				index++
			}
			if compacted < 20 {
				t.Errorf("%d of 30 plans compacted, want at least 20", compacted)
			}
			if compactBytes >= plainBytes {
				t.Errorf("compact entries = %d bytes, plain %d: want fewer", compactBytes, plainBytes)
			}
			if got, want := allocsJSON(t, compact), allocsJSON(t, plain); got != want {
				t.Errorf("allocations after compact entries differ from after plain entries:\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// fillNonZero sets v (settable) to a non-zero value of its type.
func fillNonZero(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x-" + v.Type().Name())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(0.5)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if depth > 0 {
			fillNonZero(p.Elem(), depth-1)
		}
		v.Set(p)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillNonZero(v.Field(i), depth-1)
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fillNonZero(s.Index(0), depth-1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fillNonZero(k, depth-1)
		fillNonZero(e, depth-1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Interface:
		v.Set(reflect.ValueOf("x"))
	}
}

// TestCompactPlanResultsKeepEveryField changes one field of Allocation at
// a time on one of four otherwise equal placements and checks that the
// entry decodes to the same allocations: a field the compact form drops
// (a new field of Allocation included) fails it.
func TestCompactPlanResultsKeepEveryField(t *testing.T) {
	job, node := fixture.Job(), fixture.Node()
	base := fixture.Alloc(job, node, 0)
	base.Job = nil
	base.Metrics = &nomadlike.AllocMetric{NodesEvaluated: 1}
	typ := reflect.TypeFor[nomadlike.Allocation]()
	for i := range typ.NumField() {
		field := typ.Field(i)
		t.Run(field.Name, func(t *testing.T) {
			req := &ApplyPlanResultsRequest{Job: job, EvalID: base.EvalID}
			for k := range 4 {
				a := *base
				a.ID = fmt.Sprintf("alloc-%d", k)
				if k == 2 {
					fillNonZero(reflect.ValueOf(&a).Elem().Field(i), 3)
				}
				req.AllocsUpdated = append(req.AllocsUpdated, &a)
			}
			entry := NewPlanResultsEntry(req)
			if len(entry.AllocRecords) == 0 {
				t.Fatalf("NewPlanResultsEntry(4 allocs, 1 with %s changed) is plain, want compact", field.Name)
			}
			data, err := Encode(ApplyPlanResultsRequestType, entry)
			must(t, err)
			decoded := new(PlanResultsEntry)
			must(t, decodeBody(data[1:], decoded))
			got := decoded.request(1)
			want := new(ApplyPlanResultsRequest)
			plain, err := Encode(ApplyPlanResultsRequestType, req)
			must(t, err)
			must(t, decodeBody(plain[1:], want))
			gotJSON, _ := json.Marshal(got.AllocsUpdated)
			wantJSON, _ := json.Marshal(want.AllocsUpdated)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("compact entry with %s changed decodes to\n%s\nwant\n%s", field.Name, gotJSON, wantJSON)
			}
		})
	}
}

func TestPlanResultsEntryForm(t *testing.T) {
	w := newCompactWorld()
	plans := w.randomPlans(rand.New(rand.NewSource(7)), 1)
	same := plans[0].AllocsUpdated[0]
	cases := []struct {
		name        string
		allocs      []*nomadlike.Allocation
		wantCompact bool
	}{
		{"one allocation", []*nomadlike.Allocation{same}, false},
		{"equal allocations", []*nomadlike.Allocation{same, same, same}, true},
		{"a nil allocation", []*nomadlike.Allocation{same, nil, same}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := NewPlanResultsEntry(&ApplyPlanResultsRequest{Job: w.job, AllocsUpdated: tc.allocs})
			if got := len(e.AllocRecords) > 0; got != tc.wantCompact || (got && e.AllocsUpdated != nil) {
				t.Errorf("NewPlanResultsEntry(%s): compact = %v (%d plain), want %v", tc.name, got, len(e.AllocsUpdated), tc.wantCompact)
			}
		})
	}
}

func TestCompactPlanResultsBadTemplatePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("request() of a record naming a missing template did not panic")
		}
	}()
	e := &PlanResultsEntry{AllocRecords: []AllocRecord{{T: 1, ID: "a"}}, AllocTemplates: []*nomadlike.Allocation{{}}}
	e.request(9)
}

// BenchmarkPlanResultsEntry encodes a chunk of 1,000 placements in the
// plain and the compact form and decodes it as the FSM does; it reports
// entry bytes per allocation. Placements share CreateTime as the
// scheduler's do; "ports" gives each its own resources.
func BenchmarkPlanResultsEntry(b *testing.B) {
	for _, ports := range []bool{false, true} {
		req := planResultsRequest(1000)
		for _, a := range req.AllocsUpdated {
			a.CreateTime, a.ModifyTime = 1_780_000_000_000_000_000, 1_780_000_000_000_000_000
			if !ports {
				a.AllocatedResources = req.AllocsUpdated[0].AllocatedResources
			}
		}
		for _, form := range []string{"plain", "compact"} {
			b.Run(fmt.Sprintf("ports=%v/%s", ports, form), func(b *testing.B) {
				var size int
				for b.Loop() {
					var v any = req
					if form == "compact" {
						v = NewPlanResultsEntry(req)
					}
					data, err := Encode(ApplyPlanResultsRequestType, v)
					if err != nil {
						b.Fatal(err)
					}
					size = len(data)
					e := new(PlanResultsEntry)
					if err := decodeBody(data[1:], e); err != nil {
						b.Fatal(err)
					}
					if got := len(e.request(1).AllocsUpdated); got != 1000 {
						b.Fatalf("decoded %d allocations, want 1000", got)
					}
				}
				b.ReportMetric(float64(size)/1000, "bytes/alloc")
			})
		}
	}
}
