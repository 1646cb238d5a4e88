package httpapi

import (
	"net/http"
	"sort"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// byIDOrPrefix returns the one object whose ID is id or, failing that, the
// only one whose ID starts with id. Several matches are a 400 listing them.
func byIDOrPrefix[T any](what, id string, exact func() (*T, error), prefix func() ([]*T, error), idOf func(*T) string) (*T, error) {
	obj, err := exact()
	if err != nil || obj != nil {
		return obj, err
	}
	if id == "" {
		return nil, notFound(what, id)
	}
	matches, err := prefix()
	if err != nil {
		return nil, err
	}
	switch len(matches) {
	case 0:
		return nil, notFound(what, id)
	case 1:
		return matches[0], nil
	}
	ids := make([]string, 0, len(matches))
	for _, m := range matches {
		ids = append(ids, idOf(m))
	}
	sort.Strings(ids)
	return nil, badRequest("%s ID prefix %s is ambiguous; it matches %s", what, reqlimit.Quote(id), strings.Join(ids, ", "))
}

func (h *Handler) allocList(w http.ResponseWriter, r *http.Request) {
	opts, err := parseListOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		allocs, err := st.Allocs(ws, q.prefix)
		if err != nil {
			return nil, 0, err
		}
		allocs = inNamespace(allocs, q.namespace, func(a *nomadlike.Allocation) string { return a.Namespace })
		allocs = filterNS(r, allocs, acl.NamespaceCapabilityReadJob, allocNS)
		l := listing[*nomadlike.Allocation]{
			order: byID,
			key:   func(a *nomadlike.Allocation) listKey { return listKey{id: a.ID} },
			wire:  allocStub,
		}
		out, err := l.page(allocs, opts)
		if err != nil {
			return nil, 0, err
		}
		idx, err := tableIndex(st, state.TableAllocs)
		return out, idx, err
	})
}

func allocByPath(ws state.WatchSet, st Store, id string) (*nomadlike.Allocation, error) {
	return byIDOrPrefix("allocation", id,
		func() (*nomadlike.Allocation, error) { return st.AllocByID(ws, id) },
		func() ([]*nomadlike.Allocation, error) { return st.Allocs(ws, id) },
		func(a *nomadlike.Allocation) string { return a.ID })
}

func (h *Handler) allocInfo(w http.ResponseWriter, r *http.Request) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		idx, err := tableIndex(st, state.TableAllocs)
		if err != nil {
			return nil, 0, err
		}
		a, err := allocByPath(ws, st, r.PathValue("id"))
		return a, idx, err
	})
}

func (h *Handler) allocStop(w http.ResponseWriter, r *http.Request) {
	if _, err := readBody(r); err != nil {
		writeError(w, err)
		return
	}
	h.writeOp(w, r, func() (any, uint64, error) {
		st := h.cfg.Server.State()
		a, err := allocByPath(nil, st, r.PathValue("id"))
		if err != nil {
			return nil, 0, err
		}
		evalID, index, err := h.cfg.Server.StopAlloc(a.ID)
		if err != nil {
			return nil, 0, err
		}
		return &api.AllocStopResponse{EvalID: evalID, Index: index}, index, nil
	})
}

func (h *Handler) evalList(w http.ResponseWriter, r *http.Request) {
	jobFilter := r.URL.Query().Get("job")
	statusFilter := r.URL.Query().Get("status")
	opts, err := parseListOptions(r)
	if err == nil && opts.filter != nil && (jobFilter != "" || statusFilter != "") {
		err = badRequest("filter: cannot be combined with ?job or ?status; put them in the expression (JobID == \"web\" and Status == \"pending\")")
	}
	if err != nil {
		writeError(w, err)
		return
	}
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		evals, err := st.Evals(ws, q.prefix)
		if err != nil {
			return nil, 0, err
		}
		out := make([]*nomadlike.Evaluation, 0, len(evals))
		for _, e := range evals {
			if !allowNS(r, e.Namespace, acl.NamespaceCapabilityReadJob) {
				continue
			}
			if (jobFilter != "" && e.JobID != jobFilter) || (statusFilter != "" && e.Status != statusFilter) ||
				(q.namespace != nomadlike.AllNamespaces && e.Namespace != q.namespace) {
				continue
			}
			out = append(out, e)
		}
		sortNewestFirst(out, evalKey)
		l := listing[*nomadlike.Evaluation]{order: byIndexDesc, key: evalKey}
		page, err := l.page(out, opts)
		if err != nil {
			return nil, 0, err
		}
		idx, err := tableIndex(st, state.TableEvals)
		return page, idx, err
	})
}

func evalByPath(ws state.WatchSet, st Store, id string) (*nomadlike.Evaluation, error) {
	return byIDOrPrefix("evaluation", id,
		func() (*nomadlike.Evaluation, error) { return st.EvalByID(ws, id) },
		func() ([]*nomadlike.Evaluation, error) { return st.Evals(ws, id) },
		func(e *nomadlike.Evaluation) string { return e.ID })
}

func (h *Handler) evalInfo(w http.ResponseWriter, r *http.Request) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		idx, err := tableIndex(st, state.TableEvals)
		if err != nil {
			return nil, 0, err
		}
		e, err := evalByPath(ws, st, r.PathValue("id"))
		return e, idx, err
	})
}

func (h *Handler) evalAllocations(w http.ResponseWriter, r *http.Request) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		allocs, err := st.AllocsByEval(ws, r.PathValue("id"))
		if err != nil {
			return nil, 0, err
		}
		out := append([]*nomadlike.Allocation{}, allocs...)
		sortNewestFirst(out, allocKey)
		idx, err := tableIndex(st, state.TableAllocs)
		return &listAnswer[*nomadlike.Allocation]{items: out, wire: allocStub}, idx, err
	})
}
