package httpapi

import (
	"context"
	"errors"
	"net/http"
)

// Server garbage collection: PUT /v1/system/gc runs the servers' garbage
// collector now, ignoring the thresholds (Nomad's force GC), and PUT
// /v1/system/reconcile/summaries rebuilds the job summaries' counts, on
// the leader (followers forward them). ACL: management, as Nomad's.

// GCBackend is the part of a server Backend that collects garbage; a
// Backend without it answers 501.
type GCBackend interface {
	// ForceGC deletes every collectable job, evaluation, allocation and
	// node now and returns the counts.
	ForceGC(ctx context.Context) (GCResult, error)
}

// GCResult counts what a forced collection deleted.
type GCResult struct {
	Jobs, Evals, Allocs, Nodes int
}

// SummaryReconciler is the part of a server Backend that rebuilds job
// summaries (PUT /v1/system/reconcile/summaries); a Backend without it
// answers 500.
type SummaryReconciler interface {
	ReconcileSummaries() (index uint64, err error)
}

// systemRoutes registers /v1/system/*.
func (h *Handler) systemRoutes() {
	h.write("/v1/system/gc", management(), h.serverOnly(h.systemGC))
	h.write("/v1/system/reconcile/summaries", management(), h.serverOnly(h.systemReconcileSummaries))
}

func (h *Handler) systemReconcileSummaries(w http.ResponseWriter, r *http.Request) {
	if _, err := readBody(r); err != nil {
		writeError(w, err)
		return
	}
	b, ok := h.cfg.Server.(SummaryReconciler)
	if !ok {
		writeError(w, errors.New("this server cannot reconcile job summaries"))
		return
	}
	h.writeOp(w, r, func() (any, uint64, error) {
		index, err := b.ReconcileSummaries()
		return nil, index, err
	})
}

func (h *Handler) systemGC(w http.ResponseWriter, r *http.Request) {
	if _, err := readBody(r); err != nil { // none expected; read so it can be forwarded
		writeError(w, err)
		return
	}
	b, ok := h.cfg.Server.(GCBackend)
	if !ok {
		writeError(w, errors.New("this server has no garbage collector"))
		return
	}
	h.writeOp(w, r, func() (any, uint64, error) {
		res, err := b.ForceGC(r.Context())
		if err != nil {
			return nil, 0, err
		}
		h.logger.Debug("forced garbage collection", "jobs", res.Jobs, "evals", res.Evals, "allocs", res.Allocs, "nodes", res.Nodes)
		return nil, 0, nil
	})
}
