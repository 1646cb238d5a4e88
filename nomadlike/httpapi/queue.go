package httpapi

import (
	"net/http"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/queue"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// queueList is GET /v1/queue (nomadlike's extension, no Nomad
// equivalent): the jobs waiting for capacity, in the order they will be
// placed (priority, then submission), as queue.Listing. ?namespace= filters
// the entries (* for all); Positions and Total count every waiting job.
// The reasons name nodes only when the token may read nodes (node:read).
// It reads the state store, so any server answers it.
func (h *Handler) queueList(w http.ResponseWriter, r *http.Request) {
	// Reasons name nodes only for tokens that may read nodes.
	nodeNames := true
	if a := aclFrom(r); a != nil && !a.AllowNodeRead() {
		nodeNames = false
	}
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		l, err := buildQueue(ws, st, nodeNames)
		if err != nil {
			return nil, 0, err
		}
		var entries []queue.Entry
		for _, e := range l.Entries {
			if q.namespace == "*" || e.Namespace == q.namespace {
				entries = append(entries, e)
			}
		}
		entries = filterNS(r, entries, acl.NamespaceCapabilityListJobs, func(e queue.Entry) string { return e.Namespace })
		l.Entries = entries
		if l.Entries == nil {
			l.Entries = []queue.Entry{}
		}
		idx, err := tableIndex(st, state.TableEvals, state.TableAllocs)
		return l, idx, err
	})
}

// buildQueue lists the waiting jobs from the state store: its blocked
// evaluations and the free resources of the ready nodes.
func buildQueue(ws state.WatchSet, st Store, nodeNames bool) (queue.Listing, error) {
	evals, err := st.Evals(ws, "")
	if err != nil {
		return queue.Listing{}, err
	}
	nodes, err := st.Nodes(ws, "")
	if err != nil {
		return queue.Listing{}, err
	}
	byNode := map[string][]*nomadlike.Allocation{}
	for _, n := range nodes {
		if byNode[n.ID], err = st.AllocsByNode(nil, n.ID); err != nil {
			return queue.Listing{}, err
		}
	}
	free := queue.FreeByNode(nodes, byNode)
	if !nodeNames {
		free = queue.Anonymous(free)
	}
	return queue.Build(evals, free, func(ns, id string) *nomadlike.Job {
		j, _ := st.JobByID(nil, ns, id)
		return j
	}), nil
}
