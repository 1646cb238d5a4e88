package clienttest

import (
	"context"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// ClientAllocations implements client.AllocIndexWatcher as the servers do:
// the node's allocations as ID -> AllocModifyIndex, blocking until the
// largest of them passes q.WaitIndex or one of them is deleted.
func (s *FakeServer) ClientAllocations(ctx context.Context, nodeID string, q *api.QueryOptions) (map[string]uint64, *api.QueryMeta, error) {
	wait := 5 * time.Minute
	var minIndex uint64
	if q != nil {
		minIndex = q.WaitIndex
		if q.WaitTime > 0 {
			wait = q.WaitTime
		}
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var first map[string]uint64
	for {
		s.mu.Lock()
		out := map[string]uint64{}
		idx := uint64(1)
		for _, a := range s.allocs {
			if a.NodeID == nodeID {
				out[a.ID] = a.AllocModifyIndex
				idx = max(idx, a.AllocModifyIndex)
			}
		}
		if first == nil {
			first = out
		} else {
			for id := range first {
				if _, ok := out[id]; !ok {
					idx = max(idx, s.index)
				}
			}
		}
		ch := s.changedCh
		s.mu.Unlock()
		if idx > minIndex {
			return out, &api.QueryMeta{LastIndex: idx, KnownLeader: true}, nil
		}
		select {
		case <-ch:
		case <-timer.C:
			return out, &api.QueryMeta{LastIndex: idx, KnownLeader: true}, nil
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

// FetchAllocations implements client.AllocIndexWatcher; it counts the
// allocations it returned (Fetched).
func (s *FakeServer) FetchAllocations(_ context.Context, ids []string, _ uint64, _ bool) ([]*nomadlike.Allocation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*nomadlike.Allocation
	for _, id := range ids {
		if a := s.allocs[id]; a != nil {
			out = append(out, a.Copy())
			s.fetched++
		}
	}
	return out, nil
}

// Fetched returns how many allocations FetchAllocations returned.
func (s *FakeServer) Fetched() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetched
}
