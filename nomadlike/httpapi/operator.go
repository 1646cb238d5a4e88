package httpapi

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

func (h *Handler) statusLeader(w http.ResponseWriter, r *http.Request) {
	rpc, _ := h.cfg.Server.Leader()
	h.setReadHeaders(w, latest(h.cfg.Server.State()))
	writeJSON(w, r, rpc)
}

func (h *Handler) statusPeers(w http.ResponseWriter, r *http.Request) {
	peers := h.cfg.Server.Peers()
	out := make([]string, 0, len(peers))
	for _, p := range peers {
		out = append(out, p.Address)
	}
	sort.Strings(out)
	h.setReadHeaders(w, latest(h.cfg.Server.State()))
	writeJSON(w, r, out)
}

func latest(st Store) uint64 {
	i, _ := st.LatestIndex()
	return i
}

func (h *Handler) agentSelf(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Agent == nil {
		writeError(w, notFound("agent endpoint", r.URL.Path))
		return
	}
	writeJSON(w, r, h.cfg.Agent.Self())
}

func (h *Handler) agentMembers(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Server == nil && len(h.cfg.Servers) > 0 {
		// A client-only agent asks a server, with the caller's token.
		h.forwardToServers(w, r)
		return
	}
	if h.cfg.Agent == nil {
		writeError(w, notFound("agent endpoint", r.URL.Path))
		return
	}
	m, err := h.cfg.Agent.Members()
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, r, m)
}

func (h *Handler) agentHealth(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Agent == nil {
		writeError(w, notFound("agent endpoint", r.URL.Path))
		return
	}
	resp, ok := h.cfg.Agent.Health()
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_ = json.NewEncoder(w).Encode(resp)
		return
	}
	writeJSON(w, r, resp)
}

func (h *Handler) raftConfiguration(w http.ResponseWriter, r *http.Request) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		peers := h.cfg.Server.Peers()
		out := &api.RaftConfiguration{Servers: make([]*api.RaftServer, 0, len(peers))}
		for _, p := range peers {
			node := p.Name
			if node == "" {
				node = p.ID
			}
			out.Servers = append(out.Servers, &api.RaftServer{
				ID: p.ID, Node: node, Address: p.Address, Leader: p.Leader, Voter: p.Voter, RaftProtocol: "3",
			})
		}
		sort.Slice(out.Servers, func(i, j int) bool { return out.Servers[i].ID < out.Servers[j].ID })
		out.Index = latest(st)
		return out, out.Index, nil
	})
}

// RaftJoinRequest is the body of PUT /v1/operator/raft/join (a nomadlike
// extension): the leader dials Address, and adds the server there as a
// voter once it answered the join protocol (with the cluster key when one
// is set) as ID. ID may be empty: the server's own answer names it.
type RaftJoinRequest struct {
	ID      string `json:"ID"`
	Address string `json:"Address"`
}

func (h *Handler) raftJoin(w http.ResponseWriter, r *http.Request) {
	var req RaftJoinRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if req.Address == "" {
		writeError(w, badRequest("Address: required (the server's RPC host:port)"))
		return
	}
	if _, _, err := net.SplitHostPort(req.Address); err != nil {
		writeError(w, badRequest("Address: %q is not host:port: %v", req.Address, err))
		return
	}
	h.writeOp(w, r, func() (any, uint64, error) {
		if err := h.cfg.Server.AddPeer(req.ID, req.Address); err != nil {
			return nil, 0, fmt.Errorf("add raft peer %q at %s: %w", req.ID, req.Address, err)
		}
		return map[string]any{}, latest(h.cfg.Server.State()), nil
	})
}

// raftRemovePeer serves DELETE /v1/operator/raft/peer?id=ID (or
// ?address=host:port), as Nomad.
func (h *Handler) raftRemovePeer(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, addr := q.Get("id"), q.Get("address")
	if (id == "") == (addr == "") {
		writeError(w, badRequest("give exactly one of the query parameters id and address"))
		return
	}
	h.writeOp(w, r, func() (any, uint64, error) {
		if err := h.cfg.Server.RemovePeer(id, addr); err != nil {
			return nil, 0, err
		}
		return map[string]any{}, latest(h.cfg.Server.State()), nil
	})
}

// operatorAuth guards the operator endpoints that change the raft peer set
// or read or replace the whole state (raft join, peer removal, snapshot
// save and restore) while ACLs are off: when the servers have a cluster
// key, the request must carry it as its token, in X-Nomad-Token or
// "Authorization: Bearer", else 403. With ACLs on, the key is not a token:
// the routes' ACL requirements (operator:write, management) apply instead.
func (h *Handler) operatorAuth(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.cfg.ACL == nil && len(h.cfg.ClusterKey) > 0 && !tokenIsKey(r, h.cfg.ClusterKey) {
			h.logger.Warn("operator request refused: no or wrong token", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
			writeError(w, fmt.Errorf("%s %s: %w: this operation needs the cluster key (server.encrypt) as the token (X-Nomad-Token header, or -token / NOMAD_TOKEN with the CLI)",
				r.Method, r.URL.Path, nomadlike.ErrPermission))
			return
		}
		fn(w, r)
	}
}

// tokenIsKey reports whether the request's token is key, base64-encoded.
func tokenIsKey(r *http.Request, key []byte) bool {
	got, err := base64.StdEncoding.DecodeString(requestToken(r))
	if err != nil || len(got) != len(key) {
		return false
	}
	return subtle.ConstantTimeCompare(got, key) == 1
}

func (h *Handler) snapshotSave(w http.ResponseWriter, r *http.Request) {
	q, err := h.parseQuery(r)
	if err != nil {
		writeError(w, err)
		return
	}
	srv := h.cfg.Server
	if !q.stale && !srv.IsLeader() {
		h.forwardToLeader(w, r)
		return
	}
	index := latest(srv.State())
	var buf bytes.Buffer
	if err := srv.SnapshotSave(&buf); err != nil {
		writeError(w, fmt.Errorf("save snapshot: %w", err))
		return
	}
	h.setReadHeaders(w, index)
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = buf.WriteTo(w)
}

func (h *Handler) snapshotRestore(w http.ResponseWriter, r *http.Request) {
	srv := h.cfg.Server
	if !srv.IsLeader() {
		h.forwardToLeader(w, r)
		return
	}
	// ServeHTTP capped the body (BodyLimits.Snapshot).
	if err := srv.SnapshotRestore(r.Body); err != nil {
		writeError(w, fmt.Errorf("restore snapshot: %w", err))
		return
	}
	setIndex(w, latest(srv.State()))
	writeJSON(w, r, map[string]any{})
}

// searchLimit is how many IDs each search context returns at most.
const searchLimit = 20

func (h *Handler) search(w http.ResponseWriter, r *http.Request) {
	var req api.SearchRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	contexts := []string{api.SearchJobs, api.SearchEvals, api.SearchAllocs, api.SearchNodes}
	switch req.Context {
	case "", api.SearchAll:
	case api.SearchJobs, api.SearchEvals, api.SearchAllocs, api.SearchNodes:
		contexts = []string{req.Context}
	default:
		writeError(w, badRequest("Context: %s is not one of all, jobs, evals, allocs, nodes", reqlimit.Quote(req.Context)))
		return
	}
	ns := req.Namespace
	if ns == "" {
		ns = namespaceParam(r)
	}
	allow := searchFilter{
		ns:    func(n string) bool { return allowNS(r, n, acl.NamespaceCapabilityReadJob) },
		nodes: aclFrom(r) == nil || aclFrom(r).AllowNodeRead(),
	}
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		out := &api.SearchResponse{Matches: map[string][]string{}, Truncations: map[string]bool{}}
		for _, c := range contexts {
			ids, err := searchContext(ws, st, c, ns, req.Prefix, allow)
			if err != nil {
				return nil, 0, err
			}
			if len(ids) > searchLimit {
				ids = ids[:searchLimit]
				out.Truncations[c] = true
			} else {
				out.Truncations[c] = false
			}
			out.Matches[c] = ids
		}
		idx, err := tableIndex(st, state.TableJobs, state.TableEvals, state.TableAllocs, state.TableNodes)
		out.Index = idx
		return out, idx, err
	})
}

// searchFilter is what a search may return with ACLs on: objects of the
// namespaces ns allows, nodes when nodes.
type searchFilter struct {
	ns    func(string) bool
	nodes bool
}

func searchContext(ws state.WatchSet, st Store, context, ns, prefix string, allow searchFilter) ([]string, error) {
	ids := []string{}
	switch context {
	case api.SearchJobs:
		jobs, err := st.Jobs(ws, ns, prefix)
		if err != nil {
			return nil, err
		}
		for _, j := range jobs {
			if allow.ns(j.Namespace) {
				ids = append(ids, j.ID)
			}
		}
	case api.SearchEvals:
		evals, err := st.Evals(ws, prefix)
		if err != nil {
			return nil, err
		}
		for _, e := range evals {
			if allow.ns(e.Namespace) {
				ids = append(ids, e.ID)
			}
		}
	case api.SearchAllocs:
		allocs, err := st.Allocs(ws, prefix)
		if err != nil {
			return nil, err
		}
		for _, a := range allocs {
			if allow.ns(a.Namespace) {
				ids = append(ids, a.ID)
			}
		}
	case api.SearchNodes:
		if !allow.nodes {
			break
		}
		nodes, err := st.Nodes(ws, prefix)
		if err != nil {
			return nil, err
		}
		for _, n := range nodes {
			ids = append(ids, n.ID)
		}
	}
	return ids, nil
}
