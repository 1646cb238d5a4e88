package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

func (h *Handler) nodeList(w http.ResponseWriter, r *http.Request) {
	opts, err := parseListOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		nodes, err := st.Nodes(ws, q.prefix)
		if err != nil {
			return nil, 0, err
		}
		// The filter sees the stubs, which carry no secret.
		l := listing[*nomadlike.Node]{
			order: byID,
			key:   func(n *nomadlike.Node) listKey { return listKey{id: n.ID} },
			wire:  func(n *nomadlike.Node) any { return n.Stub() },
		}
		out, err := l.page(nodes, opts)
		if err != nil {
			return nil, 0, err
		}
		idx, err := tableIndex(st, state.TableNodes)
		return out, idx, err
	})
}

func nodeByPath(ws state.WatchSet, st Store, id string) (*nomadlike.Node, error) {
	return byIDOrPrefix("node", id,
		func() (*nomadlike.Node, error) { return st.NodeByID(ws, id) },
		func() ([]*nomadlike.Node, error) { return st.Nodes(ws, id) },
		func(n *nomadlike.Node) string { return n.ID })
}

func (h *Handler) nodeInfo(w http.ResponseWriter, r *http.Request) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		idx, err := tableIndex(st, state.TableNodes)
		if err != nil {
			return nil, 0, err
		}
		n, err := nodeByPath(ws, st, r.PathValue("id"))
		if err != nil {
			return nil, idx, err
		}
		// The secret authenticates the node's own client; never show it.
		cp := *n
		cp.SecretID = ""
		return &cp, idx, nil
	})
}

func (h *Handler) nodeAllocations(w http.ResponseWriter, r *http.Request) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		allocs, err := st.AllocsByNode(ws, r.PathValue("id"))
		if err != nil {
			return nil, 0, err
		}
		allocs = filterNS(r, allocs, acl.NamespaceCapabilityReadJob, allocNS)
		idx, err := tableIndex(st, state.TableAllocs)
		// Whole allocations, job included, streamed one at a time.
		return &listAnswer[*nomadlike.Allocation]{items: allocs}, idx, err
	})
}

func (h *Handler) nodeDrain(w http.ResponseWriter, r *http.Request) {
	var req api.NodeUpdateDrainRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	id := r.PathValue("id")
	var drain *nomadlike.DrainStrategy
	if s := req.DrainSpec; s != nil {
		now := time.Now().UTC()
		drain = &nomadlike.DrainStrategy{Deadline: s.Deadline, IgnoreSystemJobs: s.IgnoreSystemJobs, StartedAt: now}
		switch {
		case s.Deadline < 0:
			drain.ForceDeadline = now
		case s.Deadline > 0:
			drain.ForceDeadline = now.Add(s.Deadline)
		}
	}
	h.writeOp(w, r, func() (any, uint64, error) {
		if err := nodeExists(h.cfg.Server.State(), id); err != nil {
			return nil, 0, err
		}
		index, err := h.cfg.Server.UpdateNodeDrain(id, drain, req.MarkEligible)
		if err != nil {
			return nil, 0, err
		}
		return &api.NodeUpdateResponse{NodeModifyIndex: index, Index: index}, index, nil
	})
}

func nodeExists(st Store, id string) error {
	n, err := st.NodeByID(nil, id)
	if err != nil {
		return err
	}
	if n == nil {
		return notFound("node", id)
	}
	return nil
}

func (h *Handler) nodeEligibility(w http.ResponseWriter, r *http.Request) {
	var req api.NodeUpdateEligibilityRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	switch req.Eligibility {
	case nomadlike.NodeSchedulingEligible, nomadlike.NodeSchedulingIneligible:
	default:
		writeError(w, badRequest("Eligibility: %s is not %q or %q", reqlimit.Quote(req.Eligibility),
			nomadlike.NodeSchedulingEligible, nomadlike.NodeSchedulingIneligible))
		return
	}
	id := r.PathValue("id")
	h.writeOp(w, r, func() (any, uint64, error) {
		if err := nodeExists(h.cfg.Server.State(), id); err != nil {
			return nil, 0, err
		}
		index, err := h.cfg.Server.UpdateNodeEligibility(id, req.Eligibility)
		if err != nil {
			return nil, 0, err
		}
		return &api.NodeUpdateResponse{NodeModifyIndex: index, Index: index}, index, nil
	})
}

// Client-agent endpoints.

func (h *Handler) clientRegister(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Node *nomadlike.Node `json:"Node"`
	}
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if req.Node == nil || req.Node.ID == "" {
		writeError(w, badRequest("Node.ID: missing"))
		return
	}
	if req.Node.SecretID == "" {
		writeError(w, badRequest("Node.SecretID: missing"))
		return
	}
	// The body's SecretID authenticates a known node; a token, when sent,
	// must be the same secret.
	if tok := requestToken(r); tok != "" && tok != req.Node.SecretID {
		writeError(w, fmt.Errorf("register node %s: %w: the %s header is not the node's SecretID", req.Node.ID, nomadlike.ErrPermission, tokenHeader))
		return
	}
	from := h.sourceIP(r)
	h.writeOp(w, r, func() (any, uint64, error) {
		ttl, index, err := h.cfg.Server.RegisterNode(req.Node, from)
		if err != nil {
			return nil, 0, err
		}
		return &api.RegisterNodeResponse{NodeID: req.Node.ID, HeartbeatTTL: ttl, Index: index}, index, nil
	})
}

func (h *Handler) clientHeartbeat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Status string `json:"Status"`
	}
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	id, secret, from := r.PathValue("id"), requestToken(r), h.sourceIP(r)
	h.writeOp(w, r, func() (any, uint64, error) {
		ttl, index, err := h.cfg.Server.NodeHeartbeat(id, secret, req.Status, from)
		if err != nil {
			return nil, 0, err
		}
		return &api.HeartbeatResponse{HeartbeatTTL: ttl, Index: index}, index, nil
	})
}

func (h *Handler) clientAllocsUpdate(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Allocs []*nomadlike.Allocation `json:"Allocs"`
	}
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	for i, a := range req.Allocs {
		if a == nil || a.ID == "" {
			writeError(w, badRequest("Allocs[%d].ID: missing", i))
			return
		}
	}
	secret := requestToken(r)
	h.writeOp(w, r, func() (any, uint64, error) {
		index, err := h.cfg.Server.UpdateAllocsFromClient(secret, req.Allocs)
		if err != nil {
			return nil, 0, err
		}
		return &api.AllocUpdateResponse{Index: index}, index, nil
	})
}

// clientRoute serves the client's own endpoints (/v1/client/fs/...,
// /v1/client/allocation/:id/..., /v1/client/stats): from the local client
// when the allocation (or ?node_id) is on this node, else forwarded to the
// node's HTTP address, only when nodeForwardAddr allows it; a client-only
// agent asks its servers, which route it.
func (h *Handler) clientRoute(w http.ResponseWriter, r *http.Request) {
	local := h.cfg.Client
	if local != nil && r.Header.Get(forwardedHeader) != "" {
		local.ServeHTTP(w, r)
		return
	}
	nodeID, err := h.clientTarget(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if local != nil && (nodeID == "" || nodeID == h.cfg.NodeID()) {
		local.ServeHTTP(w, r)
		return
	}
	if h.cfg.Server == nil {
		h.forwardToServers(w, r)
		return
	}
	if nodeID == "" {
		writeError(w, badRequest("this agent runs no client; name the node with ?node_id="))
		return
	}
	n, err := h.cfg.Server.State().NodeByID(nil, nodeID)
	if err != nil {
		writeError(w, err)
		return
	}
	if n == nil {
		writeError(w, notFound("node", nodeID))
		return
	}
	if n.HTTPAddr == "" {
		writeError(w, fmt.Errorf("node %s has no HTTP address", reqlimit.Quote(nodeID)))
		return
	}
	addr, err := nodeForwardAddr(n)
	if err != nil {
		writeError(w, err)
		return
	}
	h.proxy.forwardNode(w, r, addr)
}

// clientTarget returns the node a client request is for: the node of the
// allocation in the path, or ?node_id; "" when neither names one.
func (h *Handler) clientTarget(r *http.Request) (string, error) {
	if n := r.URL.Query().Get("node_id"); n != "" {
		return n, nil
	}
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/v1/client/"), "/"), "/")
	allocID := ""
	switch {
	case len(parts) >= 3 && parts[0] == "fs":
		allocID = parts[2]
	case len(parts) >= 2 && parts[0] == "allocation":
		allocID = parts[1]
	}
	if allocID == "" || h.cfg.Server == nil {
		return "", nil
	}
	a, err := allocByPath(nil, h.cfg.Server.State(), allocID)
	if err != nil {
		return "", err
	}
	return a.NodeID, nil
}
