package state

import (
	"context"
	"errors"
	"testing"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func TestWatchSets(t *testing.T) {
	type world struct {
		job, other *nomadlike.Job
		node       *nomadlike.Node
		alloc      *nomadlike.Allocation
		eval       *nomadlike.Evaluation
	}
	cases := []struct {
		name  string
		read  func(s *StateStore, w *world, ws memdb.WatchSet) error
		write func(s *StateStore, w *world) error
		want  bool
	}{
		{"job fires on its update",
			func(s *StateStore, w *world, ws memdb.WatchSet) error {
				_, err := s.JobByID(ws, w.job.Namespace, w.job.ID)
				return err
			},
			func(s *StateStore, w *world) error { j := w.job.Copy(); j.Priority = 99; return s.UpsertJob(20, j) }, true},
		{"job quiet on another job",
			func(s *StateStore, w *world, ws memdb.WatchSet) error {
				_, err := s.JobByID(ws, w.job.Namespace, w.job.ID)
				return err
			},
			func(s *StateStore, w *world) error { j := w.other.Copy(); j.Priority = 99; return s.UpsertJob(20, j) }, false},
		{"jobs list fires on new job",
			func(s *StateStore, w *world, ws memdb.WatchSet) error {
				_, err := s.Jobs(ws, AllNamespaces, "")
				return err
			},
			func(s *StateStore, w *world) error { return s.UpsertJob(20, fixture.Job()) }, true},
		{"alloc fires on client update",
			func(s *StateStore, w *world, ws memdb.WatchSet) error {
				_, err := s.AllocByID(ws, w.alloc.ID)
				return err
			},
			func(s *StateStore, w *world) error {
				return s.UpdateAllocsFromClient(20, []*nomadlike.Allocation{{ID: w.alloc.ID, ClientStatus: nomadlike.AllocClientStatusFailed}})
			}, true},
		{"node allocs fire on placement",
			func(s *StateStore, w *world, ws memdb.WatchSet) error {
				_, err := s.AllocsByNode(ws, w.node.ID)
				return err
			},
			func(s *StateStore, w *world) error {
				return s.UpsertAllocs(20, []*nomadlike.Allocation{allocFor(w.job, w.node, 5, "")})
			}, true},
		{"node allocs quiet on other node",
			func(s *StateStore, w *world, ws memdb.WatchSet) error {
				_, err := s.AllocsByNode(ws, w.node.ID)
				return err
			},
			func(s *StateStore, w *world) error {
				// Watches are per radix node: a key sharing a leading
				// character with the watched one may wake it spuriously
				// (callers re-check), so the other node ID differs in the first.
				other := fixture.Node()
				other.ID = "f" + w.node.ID[1:]
				return s.UpsertAllocs(20, []*nomadlike.Allocation{allocFor(w.other, other, 5, "")})
			}, false},
		{"node allocs quiet on a neighbour sharing the watched prefix",
			func(s *StateStore, w *world, ws memdb.WatchSet) error {
				_, err := s.AllocsByNode(ws, w.node.ID)
				return err
			},
			func(s *StateStore, w *world) error {
				other := fixture.Node()
				other.ID = w.node.ID[:len(w.node.ID)-1] + "z"
				return s.UpsertAllocs(20, []*nomadlike.Allocation{allocFor(w.other, other, 5, "")})
			}, false},
		{"idle node's allocs quiet on placements elsewhere",
			func(s *StateStore, w *world, ws memdb.WatchSet) error {
				// A node without allocations has no radix node of its own
				// in the node index; its watch must not be a shared ancestor.
				_, err := s.AllocsByNode(ws, "0"+w.node.ID[1:len(w.node.ID)-1]+"y")
				return err
			},
			func(s *StateStore, w *world) error {
				var allocs []*nomadlike.Allocation
				for i := 0; i < 50; i++ {
					n := fixture.Node()
					n.ID = "0" + n.ID[1:]
					allocs = append(allocs, allocFor(w.other, n, 10+i, ""))
				}
				return s.UpsertAllocs(20, allocs)
			}, false},
		{"idle node's allocs fire on its first placement",
			func(s *StateStore, w *world, ws memdb.WatchSet) error {
				_, err := s.AllocsByNode(ws, "idle-node")
				return err
			},
			func(s *StateStore, w *world) error {
				n := fixture.Node()
				n.ID = "idle-node"
				return s.UpsertAllocs(20, []*nomadlike.Allocation{allocFor(w.other, n, 5, "")})
			}, true},
		{"node allocs fire on a client update of one of them",
			func(s *StateStore, w *world, ws memdb.WatchSet) error {
				_, err := s.AllocsByNode(ws, w.node.ID)
				return err
			},
			func(s *StateStore, w *world) error {
				return s.UpdateAllocsFromClient(20, []*nomadlike.Allocation{{ID: w.alloc.ID, ClientStatus: nomadlike.AllocClientStatusComplete}})
			}, true},
		{"node allocs fire on a plan's stop of one of them",
			func(s *StateStore, w *world, ws memdb.WatchSet) error {
				_, err := s.AllocsByNode(ws, w.node.ID)
				return err
			},
			func(s *StateStore, w *world) error {
				return s.UpsertPlanResults(20, &ApplyPlanResultsRequest{AllocsStopped: []*nomadlike.Allocation{{ID: w.alloc.ID, DesiredStatus: nomadlike.AllocDesiredStatusStop}}})
			}, true},
		{"node allocs fire on garbage collection of one of them",
			func(s *StateStore, w *world, ws memdb.WatchSet) error {
				_, err := s.AllocsByNode(ws, w.node.ID)
				return err
			},
			func(s *StateStore, w *world) error {
				return s.DeleteEvals(20, nil, []string{w.alloc.ID})
			}, true},
		{"node allocs fire when one of them moves away",
			func(s *StateStore, w *world, ws memdb.WatchSet) error {
				_, err := s.AllocsByNode(ws, w.node.ID)
				return err
			},
			func(s *StateStore, w *world) error {
				a := w.alloc.Copy()
				a.NodeID = "f" + w.node.ID[1:]
				return s.UpsertAllocs(20, []*nomadlike.Allocation{a})
			}, true},
		{"node allocs quiet on a failed write",
			func(s *StateStore, w *world, ws memdb.WatchSet) error {
				_, err := s.AllocsByNode(ws, w.node.ID)
				return err
			},
			func(s *StateStore, w *world) error {
				bad := allocFor(w.job, w.node, 6, "")
				bad.Job, bad.JobID = nil, "no-such-job"
				if err := s.UpsertAllocs(20, []*nomadlike.Allocation{allocFor(w.job, w.node, 5, ""), bad}); err == nil {
					return errors.New("UpsertAllocs of an alloc of no job succeeded")
				}
				return nil
			}, false},
		{"eval fires on update",
			func(s *StateStore, w *world, ws memdb.WatchSet) error {
				_, err := s.EvalByID(ws, w.eval.ID)
				return err
			},
			func(s *StateStore, w *world) error {
				e := w.eval.Copy()
				e.Status = nomadlike.EvalStatusComplete
				return s.UpsertEvals(20, []*nomadlike.Evaluation{e})
			}, true},
		{"summary fires on alloc status",
			func(s *StateStore, w *world, ws memdb.WatchSet) error {
				_, err := s.JobSummaryByID(ws, w.job.Namespace, w.job.ID)
				return err
			},
			func(s *StateStore, w *world) error {
				return s.UpdateAllocsFromClient(20, []*nomadlike.Allocation{{ID: w.alloc.ID, ClientStatus: nomadlike.AllocClientStatusComplete}})
			}, true},
		{"node fires on drain",
			func(s *StateStore, w *world, ws memdb.WatchSet) error {
				_, err := s.NodeByID(ws, w.node.ID)
				return err
			},
			func(s *StateStore, w *world) error {
				return s.UpdateNodeDrain(20, w.node.ID, &nomadlike.DrainStrategy{}, false)
			}, true},
		{"table index fires on any node",
			func(s *StateStore, w *world, ws memdb.WatchSet) error {
				_, err := s.IndexWatch(ws, TableNodes)
				return err
			},
			func(s *StateStore, w *world) error { return s.UpsertNode(20, fixture.Node()) }, true},
		{"abandon fires every watch",
			func(s *StateStore, w *world, ws memdb.WatchSet) error {
				_, err := s.EvalByID(ws, w.eval.ID)
				return err
			},
			func(s *StateStore, w *world) error { s.Abandon(); return nil }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			w := &world{node: fixture.Node()}
			w.node.ID = "0" + w.node.ID[1:]
			must(t, s.UpsertNode(9, w.node))
			w.job = storeJob(t, s, 10, fixture.Job())
			w.other = storeJob(t, s, 11, fixture.Job())
			w.alloc = allocFor(w.job, w.node, 0, nomadlike.AllocClientStatusRunning)
			must(t, s.UpsertAllocs(12, []*nomadlike.Allocation{w.alloc}))
			w.eval = evalFor(w.job, nomadlike.EvalStatusPending)
			must(t, s.UpsertEvals(13, []*nomadlike.Evaluation{w.eval}))

			ws := memdb.NewWatchSet()
			must(t, tc.read(s, w, ws))
			if fired(ws) {
				t.Fatal("watch set fired before the write")
			}
			must(t, tc.write(s, w))
			if got := fired(ws); got != tc.want {
				t.Errorf("watch fired = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSnapshotIsPointInTime(t *testing.T) {
	s := newStore(t)
	node := fixture.Node()
	must(t, s.UpsertNode(5, node))
	snap, err := s.Snapshot()
	must(t, err)
	must(t, s.UpdateNodeStatus(6, node.ID, nomadlike.NodeStatusDown, 1))
	must(t, s.UpsertNode(7, fixture.Node()))
	got, err := snap.NodeByID(node.ID)
	must(t, err)
	if got.Status != nomadlike.NodeStatusReady {
		t.Errorf("snapshot node status = %q, want ready", got.Status)
	}
	nodes, _ := snap.Nodes()
	if len(nodes) != 1 {
		t.Errorf("snapshot Nodes() = %d, want 1", len(nodes))
	}
	if idx, _ := snap.LatestIndex(); idx != 5 {
		t.Errorf("snapshot LatestIndex() = %d, want 5", idx)
	}
	if idx, _ := s.LatestIndex(); idx != 7 {
		t.Errorf("store LatestIndex() = %d, want 7", idx)
	}
	// The WatchSet forms stay reachable on a snapshot.
	if n, _ := snap.Reader.NodeByID(nil, node.ID); n == nil {
		t.Error("snap.Reader.NodeByID found nothing")
	}
}

func TestSnapshotMinIndex(t *testing.T) {
	t.Run("already there", func(t *testing.T) {
		s := newStore(t)
		must(t, s.UpsertNode(5, fixture.Node()))
		snap, err := s.SnapshotMinIndex(context.Background(), 5)
		must(t, err)
		if idx, _ := snap.LatestIndex(); idx != 5 {
			t.Errorf("LatestIndex() = %d, want 5", idx)
		}
	})
	t.Run("waits for the write", func(t *testing.T) {
		s := newStore(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		type result struct {
			snap *Snapshot
			err  error
		}
		done := make(chan result, 1)
		go func() {
			snap, err := s.SnapshotMinIndex(ctx, 8)
			done <- result{snap, err}
		}()
		must(t, s.UpsertNode(7, fixture.Node()))
		must(t, s.UpsertNode(8, fixture.Node()))
		r := <-done
		must(t, r.err)
		if idx, _ := r.snap.LatestIndex(); idx < 8 {
			t.Errorf("LatestIndex() = %d, want >= 8", idx)
		}
	})
	t.Run("context ends", func(t *testing.T) {
		s := newStore(t)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, err := s.SnapshotMinIndex(ctx, 1)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("SnapshotMinIndex = %v, want DeadlineExceeded", err)
		}
	})
	t.Run("abandoned", func(t *testing.T) {
		s := newStore(t)
		s.Abandon()
		s.Abandon() // idempotent
		_, err := s.SnapshotMinIndex(context.Background(), 1)
		if !errors.Is(err, ErrAbandoned) {
			t.Errorf("SnapshotMinIndex on abandoned store = %v, want ErrAbandoned", err)
		}
	})
}

// Views older than a change to a node's allocations give tokens that match
// neither each other nor the current one, even when their radix node's
// channel was first asked for after the change (the store's radix tree
// makes channels on demand and then returns one shared closed channel).
func TestNodeAllocsVersionStaleViews(t *testing.T) {
	s := newStore(t)
	node := fixture.Node()
	must(t, s.UpsertNode(1, node))
	job := storeJob(t, s, 2, fixture.Job())
	must(t, s.UpsertAllocs(3, []*nomadlike.Allocation{allocFor(job, node, 0, nomadlike.AllocClientStatusRunning)}))
	old, err := s.Snapshot()
	must(t, err)
	must(t, s.UpsertAllocs(4, []*nomadlike.Allocation{allocFor(job, node, 1, nomadlike.AllocClientStatusRunning)}))
	mid, err := s.Snapshot()
	must(t, err)
	must(t, s.UpsertAllocs(5, []*nomadlike.Allocation{allocFor(job, node, 2, nomadlike.AllocClientStatusRunning)}))

	vOld, err := old.NodeAllocsVersion(node.ID)
	must(t, err)
	vMid, err := mid.NodeAllocsVersion(node.ID)
	must(t, err)
	vNow, err := s.NodeAllocsVersion(node.ID)
	must(t, err)
	vNow2, err := s.NodeAllocsVersion(node.ID)
	must(t, err)
	cases := []struct {
		name  string
		equal bool
		want  bool
	}{
		{"old and mid views differ", vOld == vMid, false},
		{"old view and now differ", vOld == vNow, false},
		{"mid view and now differ", vMid == vNow, false},
		{"current view is stable", vNow == vNow2, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.equal != tc.want {
				t.Fatalf("tokens equal = %v, want %v", tc.equal, tc.want)
			}
		})
	}
}
