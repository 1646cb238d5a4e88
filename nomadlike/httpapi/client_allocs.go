package httpapi

import (
	"net/http"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// clientAllocRoutes registers the cheap allocation watch of client agents:
// an index-only blocking query per node and a batch fetch of the
// allocations whose index moved.
func (h *Handler) clientAllocRoutes() {
	h.get("/v1/client/allocations/{id}", nodeSecret(), h.serverOnly(h.clientAllocations))
	h.write("/v1/client/allocations/fetch", nodeSecret(), h.serverOnly(h.clientAllocsFetch))
}

// clientAllocations answers GET /v1/client/allocations/:node_id with the
// node's allocation IDs and AllocModifyIndex. Its index is the largest
// AllocModifyIndex of the node's allocations (the node's CreateIndex when
// it has none), not the allocs table index: a blocking query therefore
// returns only when the servers change one of this node's allocations, not
// on every plan in the cluster nor on the client's own status updates
// (which move ModifyIndex only). An allocation garbage-collected from the
// node while the query waits also answers it, with the allocs table index;
// one deleted between two queries shows in the next answer.
func (h *Handler) clientAllocations(w http.ResponseWriter, r *http.Request) {
	nodeID := r.PathValue("id")
	var first map[string]uint64 // the first read of this request
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		allocs, err := st.AllocsByNode(ws, nodeID)
		if err != nil {
			return nil, 0, err
		}
		out := &api.ClientAllocationsResponse{Allocs: make(map[string]uint64, len(allocs))}
		for _, a := range allocs {
			out.Allocs[a.ID] = a.AllocModifyIndex
			out.Index = max(out.Index, a.AllocModifyIndex)
		}
		if out.Index == 0 {
			n, err := st.NodeByID(nil, nodeID)
			if err != nil {
				return nil, 0, err
			}
			if n != nil {
				out.Index = n.CreateIndex
			}
			out.Index = max(out.Index, 1)
		}
		if first == nil {
			first = out.Allocs
		} else if anyGone(first, out.Allocs) {
			idx, err := tableIndex(st, state.TableAllocs)
			if err != nil {
				return nil, 0, err
			}
			out.Index = max(out.Index, idx)
		}
		return out, out.Index, nil
	})
}

// anyGone reports whether a key of before is missing from after.
func anyGone(before, after map[string]uint64) bool {
	for id := range before {
		if _, ok := after[id]; !ok {
			return true
		}
	}
	return false
}

// jobVersionKey names one stored job version.
type jobVersionKey struct {
	ns, id         string
	version, index uint64
}

// clientAllocsFetch answers POST /v1/client/allocations/fetch: the named
// allocations, each job version once. ?index=N waits until the allocs
// table passes N, so a stale server does not answer from a state older
// than the watch answer that named the allocations.
func (h *Handler) clientAllocsFetch(w http.ResponseWriter, r *http.Request) {
	var req api.ClientAllocsFetchRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	node := nodeFrom(r) // "" with ACLs off: as before, any allocation
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		idx, err := st.IndexWatch(ws, state.TableAllocs)
		if err != nil {
			return nil, 0, err
		}
		if q.index > 0 && idx <= q.index {
			return nil, idx, nil // not there yet; the query waits
		}
		out := &api.ClientAllocsFetchResponse{
			Allocs: make([]*nomadlike.Allocation, 0, len(req.AllocIDs)),
			Jobs:   []*nomadlike.Job{},
			JobOf:  make([]int, 0, len(req.AllocIDs)),
			Index:  idx,
		}
		jobs := map[jobVersionKey]int{}
		for _, id := range req.AllocIDs {
			a, err := st.AllocByID(nil, id)
			if err != nil {
				return nil, 0, err
			}
			if a == nil || (node != "" && a.NodeID != node) {
				continue // a node fetches only its own allocations
			}
			cp := *a
			cp.Job = nil
			j := -1
			if a.Job != nil {
				k := jobVersionKey{a.Job.Namespace, a.Job.ID, a.Job.Version, a.Job.JobModifyIndex}
				var ok bool
				if j, ok = jobs[k]; !ok {
					j = len(out.Jobs)
					jobs[k] = j
					out.Jobs = append(out.Jobs, a.Job)
				}
			}
			if signer, ok := h.cfg.Server.(IdentitySigner); ok && node != "" {
				// workload identity (identity.go): signed, never stored
				if cp.SignedIdentities, err = signer.SignIdentities(a); err != nil {
					return nil, 0, err
				}
			}
			out.Allocs = append(out.Allocs, &cp)
			out.JobOf = append(out.JobOf, j)
		}
		return out, idx, nil
	})
}
