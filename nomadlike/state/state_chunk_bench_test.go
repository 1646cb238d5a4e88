package state

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// BenchmarkAllocTxnSize writes one transaction of `batch` allocations on a
// store already holding `existing` ones, as client status updates (what
// UpdateAllocsFromClient does per allocation) and as new placements of a
// plan (upsertAllocTxn, as UpsertPlanResults). go-immutable-radix tracks at
// most 8,192 modified nodes per index tree and transaction; past that,
// commit falls back to slowNotify, which walks the whole index tree, so the
// cost per allocation grows with the store instead of with the change.
// Besides the time it reports, deterministically, the most channels any one
// index tree tracked (maxchans) and whether one overflowed (overflow = 1).
// The server's MaxAllocsPerEntry default is chosen below the knee.
//
//	go test ./nomadlike/state -run '^$' -bench BenchmarkAllocTxnSize -benchtime 10x
func BenchmarkAllocTxnSize(b *testing.B) {
	for _, existing := range []int{10_000, 200_000} {
		s, job, nodes := benchStore(b, existing)
		allocs, err := s.AllocsByJob(nil, job.Namespace, job.ID)
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewSource(1))
		index := uint64(1_000_000)
		for _, op := range []string{"client", "plan"} {
			for _, batch := range []int{100, 250, 500, 1000, 2000, 4000} {
				b.Run(fmt.Sprintf("existing=%d/op=%s/batch=%d", existing, op, batch), func(b *testing.B) {
					maxChans, overflow := 0, false
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						b.StopTimer()
						index++
						evalID := nomadlike.GenerateUUID()
						var req []*nomadlike.Allocation
						for j := 0; j < batch; j++ {
							if op == "client" {
								req = append(req, allocs[rng.Intn(len(allocs))])
								continue
							}
							a := fixture.Alloc(job, nodes[rng.Intn(len(nodes))], j)
							a.Job, a.EvalID = nil, evalID
							req = append(req, a)
						}
						b.StartTimer()
						txn := s.db.Txn(true)
						js := jobSet{}
						sums := newSummaryBatch(txn, index)
						for _, a := range req {
							switch op {
							case "client":
								c := a.Copy()
								c.ClientStatus = nomadlike.AllocClientStatusRunning
								if index%2 == 0 {
									c.ClientStatus = nomadlike.AllocClientStatusPending
								}
								c.ModifyIndex = index
								err = txn.Insert(TableAllocs, c)
								if err == nil {
									err = sums.alloc(a, c)
								}
							case "plan":
								err = upsertAllocTxn(txn, index, a, job, js)
							}
							if err != nil {
								b.Fatal(err)
							}
						}
						if err := sums.flush(); err != nil {
							b.Fatal(err)
						}
						if err := bumpIndex(txn, TableAllocs, index); err != nil {
							b.Fatal(err)
						}
						n, o := trackedChannels(txn)
						maxChans, overflow = max(maxChans, n), overflow || o
						txn.Commit()
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/alloc")
					b.ReportMetric(float64(maxChans), "maxchans")
					if overflow {
						b.ReportMetric(1, "overflow")
					} else {
						b.ReportMetric(0, "overflow")
					}
				})
				// The client op changed allocs in place: read them again.
				if allocs, err = s.AllocsByJob(nil, job.Namespace, job.ID); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

// trackedChannels returns the most watch channels one index tree of txn
// tracks, and whether any tree overflowed the tracking (its commit will
// walk the whole tree). It reads go-memdb's and go-immutable-radix's
// unexported fields (go-memdb v1.3.5, go-immutable-radix v1.3.1).
func trackedChannels(txn *memdb.Txn) (int, bool) {
	most, overflow := 0, false
	modified := reflect.ValueOf(txn).Elem().FieldByName("modified")
	for it := modified.MapRange(); it.Next(); {
		t := it.Value().Elem()
		if t.FieldByName("trackOverflow").Bool() {
			overflow = true
		}
		most = max(most, t.FieldByName("trackChannels").Len())
	}
	return most, overflow
}

// benchStore returns a store with n allocations of one job spread over
// 5,000 nodes, written in transactions small enough not to overflow.
func benchStore(b *testing.B, n int) (*StateStore, *nomadlike.Job, []*nomadlike.Node) {
	b.Helper()
	s, err := NewStateStore()
	if err != nil {
		b.Fatal(err)
	}
	job := fixture.Job()
	job.TaskGroups[0].Count = n
	if err := s.UpsertJob(1, job); err != nil {
		b.Fatal(err)
	}
	job, err = s.JobByID(nil, job.Namespace, job.ID)
	if err != nil {
		b.Fatal(err)
	}
	nodes := make([]*nomadlike.Node, 5_000)
	for i := range nodes {
		nodes[i] = fixture.Node()
	}
	const chunk = 250
	index := uint64(2)
	for start := 0; start < n; start += chunk {
		evalID := nomadlike.GenerateUUID()
		var allocs []*nomadlike.Allocation
		for i := start; i < start+chunk && i < n; i++ {
			a := fixture.Alloc(job, nodes[i%len(nodes)], i)
			a.Job, a.EvalID = nil, evalID
			allocs = append(allocs, a)
		}
		if err := s.UpsertPlanResults(index, &ApplyPlanResultsRequest{Job: job, AllocsUpdated: allocs, EvalID: evalID}); err != nil {
			b.Fatal(err)
		}
		index++
	}
	return s, job, nodes
}
