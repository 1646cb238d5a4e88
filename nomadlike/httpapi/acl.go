package httpapi

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// ACLBackend is the ACL store of a server: what the /v1/acl/ routes need
// beyond Backend. *server.Server implements it; a Backend without it
// answers these routes with 501. Writes are leader-only (an error wrapping
// nomadlike.ErrNotLeader makes the handler forward) and return after
// commit. The SecretID of a token is only in the answers of BootstrapACL
// and CreateACLToken: the servers keep its hash.
type ACLBackend interface {
	BootstrapACL(secret string) (*nomadlike.ACLToken, uint64, error)
	UpsertACLPolicies(policies []*nomadlike.ACLPolicy) (uint64, error)
	DeleteACLPolicies(names []string) (uint64, error)
	CreateACLToken(token *nomadlike.ACLToken) (*nomadlike.ACLToken, uint64, error)
	UpdateACLToken(token *nomadlike.ACLToken) (*nomadlike.ACLToken, uint64, error)
	DeleteACLTokens(accessorIDs []string) (uint64, error)
	// ACLTokenBySecret returns the unexpired token whose secret is given,
	// or an error wrapping nomadlike.ErrTokenNotFound.
	ACLTokenBySecret(secretID string) (*nomadlike.ACLToken, error)
}

// aclRoutes registers the ACL store's routes, Nomad's, with their ACL
// requirements: bootstrap is public (it works once); a token reads itself
// with any valid token; a policy is readable by a management token, by a
// token that has it, and (the "anonymous" policy) by everyone, so client
// agents can resolve tokens with the caller's own secret (aclPolicyInfo
// checks); everything else needs a management token.
func (h *Handler) aclRoutes() {
	h.write("/v1/acl/bootstrap", public(), h.aclOnly(h.aclBootstrap))
	h.get("/v1/acl/policies", management(), h.aclOnly(h.aclPolicyList))
	h.get("/v1/acl/policy/{name}", resolvedToken(), h.aclOnly(h.aclPolicyInfo))
	h.write("/v1/acl/policy/{name}", management(), h.aclOnly(h.aclPolicyUpsert))
	h.del("/v1/acl/policy/{name}", management(), h.aclOnly(h.aclPolicyDelete))
	h.get("/v1/acl/tokens", management(), h.aclOnly(h.aclTokenList))
	h.write("/v1/acl/token", management(), h.aclOnly(h.aclTokenCreate))
	h.get("/v1/acl/token/self", anyToken(), h.aclOnly(h.aclTokenSelf))
	h.get("/v1/acl/token/{id}", management(), h.aclOnly(h.aclTokenInfo))
	h.write("/v1/acl/token/{id}", management(), h.aclOnly(h.aclTokenUpdate))
	h.del("/v1/acl/token/{id}", management(), h.aclOnly(h.aclTokenDelete))
}

// mayReadPolicy reports whether the caller may read policy name: always
// with ACLs off or a management token; the "anonymous" policy always;
// otherwise only a policy of the caller's own token.
func mayReadPolicy(r *http.Request, b ACLBackend, name string) bool {
	a := aclFrom(r)
	if a == nil || a.IsManagement() || name == anonymousPolicy {
		return true
	}
	tok, err := b.ACLTokenBySecret(api.RequestToken(r))
	if err != nil || tok == nil {
		return false
	}
	return slices.Contains(tok.Policies, name)
}

// anonymousPolicy is the policy requests without a token get.
const anonymousPolicy = "anonymous"

// errACLUnsupported answers the ACL routes on a backend without an ACL store.
var errACLUnsupported = fmt.Errorf("this server has no ACL store")

// aclOnly is serverOnly for the ACL routes, answering 501 when the local
// server has no ACL store.
func (h *Handler) aclOnly(fn func(w http.ResponseWriter, r *http.Request, b ACLBackend)) http.HandlerFunc {
	return h.serverOnly(func(w http.ResponseWriter, r *http.Request) {
		b, ok := h.cfg.Server.(ACLBackend)
		if !ok {
			http.Error(w, errACLUnsupported.Error(), http.StatusNotImplemented)
			return
		}
		fn(w, r, b)
	})
}

// aclBootstrapRequest is Nomad's api.BootstrapRequest; the body is optional.
type aclBootstrapRequest struct {
	BootstrapSecret string `json:"BootstrapSecret"`
}

func (h *Handler) aclBootstrap(w http.ResponseWriter, r *http.Request, b ACLBackend) {
	body, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var req aclBootstrapRequest
	if t := bytes.TrimSpace(body); len(t) > 0 && !bytes.Equal(t, []byte("null")) {
		if err := decodeJSON(body, &req); err != nil {
			writeError(w, err)
			return
		}
	}
	h.writeOp(w, r, func() (any, uint64, error) {
		tok, index, err := b.BootstrapACL(req.BootstrapSecret)
		return tok, index, err
	})
}

func (h *Handler) aclPolicyList(w http.ResponseWriter, r *http.Request, _ ACLBackend) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		index, err := st.IndexWatch(ws, state.TableACLPolicies)
		if err != nil {
			return nil, 0, err
		}
		policies, err := st.ACLPolicies(ws, q.prefix)
		if err != nil {
			return nil, 0, err
		}
		out := make([]*nomadlike.ACLPolicyListStub, 0, len(policies))
		for _, p := range policies {
			out = append(out, p.Stub())
		}
		return out, index, nil
	})
}

func (h *Handler) aclPolicyInfo(w http.ResponseWriter, r *http.Request, b ACLBackend) {
	name := r.PathValue("name")
	if !mayReadPolicy(r, b, name) {
		writeError(w, fmt.Errorf("read ACL policy: %w", nomadlike.ErrPermission))
		return
	}
	h.query(w, r, func(ws state.WatchSet, st Store, _ queryOptions) (any, uint64, error) {
		p, err := st.ACLPolicyByName(ws, name)
		if err != nil {
			return nil, 0, err
		}
		if p == nil {
			index, err := st.IndexWatch(ws, state.TableACLPolicies)
			return nil, index, joinErr(notFound("ACL policy", name), err)
		}
		return p, p.ModifyIndex, nil
	})
}

func (h *Handler) aclPolicyUpsert(w http.ResponseWriter, r *http.Request, b ACLBackend) {
	name := r.PathValue("name")
	var p nomadlike.ACLPolicy
	if err := decodeBody(r, &p); err != nil {
		writeError(w, err)
		return
	}
	if p.Name == "" {
		p.Name = name
	}
	if p.Name != name {
		writeError(w, badRequest("Name: policy name %s does not match the request path's %s", reqlimit.Quote(p.Name), reqlimit.Quote(name)))
		return
	}
	h.writeOp(w, r, func() (any, uint64, error) {
		index, err := b.UpsertACLPolicies([]*nomadlike.ACLPolicy{&p})
		return nil, index, err
	})
}

func (h *Handler) aclPolicyDelete(w http.ResponseWriter, r *http.Request, b ACLBackend) {
	name := r.PathValue("name")
	h.writeOp(w, r, func() (any, uint64, error) {
		index, err := b.DeleteACLPolicies([]string{name})
		return nil, index, err
	})
}

func (h *Handler) aclTokenList(w http.ResponseWriter, r *http.Request, _ ACLBackend) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		index, err := st.IndexWatch(ws, state.TableACLTokens)
		if err != nil {
			return nil, 0, err
		}
		tokens, err := st.ACLTokens(ws, q.prefix)
		if err != nil {
			return nil, 0, err
		}
		out := make([]*nomadlike.ACLTokenListStub, 0, len(tokens))
		for _, t := range tokens {
			out = append(out, t.Stub())
		}
		return out, index, nil
	})
}

func (h *Handler) aclTokenInfo(w http.ResponseWriter, r *http.Request, _ ACLBackend) {
	id := r.PathValue("id")
	h.query(w, r, func(ws state.WatchSet, st Store, _ queryOptions) (any, uint64, error) {
		t, err := st.ACLTokenByAccessorID(ws, id)
		if err != nil {
			return nil, 0, err
		}
		if t == nil {
			index, err := st.IndexWatch(ws, state.TableACLTokens)
			return nil, index, joinErr(notFound("ACL token", id), err)
		}
		return t.Public(), t.ModifyIndex, nil
	})
}

func (h *Handler) aclTokenSelf(w http.ResponseWriter, r *http.Request, b ACLBackend) {
	secret := requestToken(r)
	h.query(w, r, func(ws state.WatchSet, st Store, _ queryOptions) (any, uint64, error) {
		index, err := st.IndexWatch(ws, state.TableACLTokens)
		if err != nil {
			return nil, 0, err
		}
		t, err := b.ACLTokenBySecret(secret)
		if err != nil {
			return nil, index, err
		}
		return t, index, nil
	})
}

func (h *Handler) aclTokenCreate(w http.ResponseWriter, r *http.Request, b ACLBackend) {
	var t nomadlike.ACLToken
	if err := decodeBody(r, &t); err != nil {
		writeError(w, err)
		return
	}
	h.writeOp(w, r, func() (any, uint64, error) {
		out, index, err := b.CreateACLToken(&t)
		return out, index, err
	})
}

func (h *Handler) aclTokenUpdate(w http.ResponseWriter, r *http.Request, b ACLBackend) {
	id := r.PathValue("id")
	var t nomadlike.ACLToken
	if err := decodeBody(r, &t); err != nil {
		writeError(w, err)
		return
	}
	if t.AccessorID == "" {
		t.AccessorID = id
	}
	if t.AccessorID != id {
		writeError(w, badRequest("AccessorID: %s does not match the request path's %s", reqlimit.Quote(t.AccessorID), reqlimit.Quote(id)))
		return
	}
	h.writeOp(w, r, func() (any, uint64, error) {
		out, index, err := b.UpdateACLToken(&t)
		return out, index, err
	})
}

func (h *Handler) aclTokenDelete(w http.ResponseWriter, r *http.Request, b ACLBackend) {
	id := r.PathValue("id")
	h.writeOp(w, r, func() (any, uint64, error) {
		index, err := b.DeleteACLTokens([]string{id})
		return nil, index, err
	})
}

// joinErr returns err when it is not nil, else notFoundErr.
func joinErr(notFoundErr, err error) error {
	if err != nil {
		return err
	}
	return notFoundErr
}
