package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/keyring"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// VariableBackend is the optional capability of a Backend that serves
// Variables and the keyring (*server.Server has it).
type VariableBackend interface {
	DecryptVariable(v *nomadlike.VariableEncrypted) (*nomadlike.Variable, error)
	UpsertVariable(v *nomadlike.Variable, cas *uint64) (*nomadlike.Variable, uint64, error)
	DeleteVariable(ns, path string, cas *uint64) (uint64, error)
	RootKeys() ([]nomadlike.RootKeyMeta, uint64, error)
	RotateRootKey(full bool) (*nomadlike.RootKeyMeta, uint64, error)
	Keyring() (*keyring.Ring, error)
}

var errNoVariables = errors.New("this server does not serve variables")

// varRoutes registers Nomad's Variables, keyring and JWKS endpoints. The
// variable routes take any token, anonymous included, and check the
// variables capabilities of the path themselves (list filters each item).
func (h *Handler) varRoutes() {
	h.get("/v1/vars", resolvedToken(), h.serverOnly(h.varList))
	h.get("/v1/var/{path...}", resolvedToken(), h.serverOnly(h.varGet))
	h.write("/v1/var/{path...}", resolvedToken(), h.serverOnly(h.varPut))
	h.del("/v1/var/{path...}", resolvedToken(), h.serverOnly(h.varDelete))
	h.get("/v1/operator/keyring/keys", management(), h.serverOnly(h.keyringList))
	h.write("/v1/operator/keyring/rotate", management(), h.serverOnly(h.keyringRotate))
	h.get("/.well-known/jwks.json", public(), h.serverOnly(h.jwks))
	h.get("/v1/acl/identity/self", resolvedToken(), h.serverOnly(h.identitySelf))
}

// identitySelf answers GET /v1/acl/identity/self (nomadlike's; client-only
// agents use it to resolve a workload identity): whose identity the
// request's token is (acl.Workload); 404 for a token that is not an
// identity (an invalid one, or one of a stopped allocation, is a 403 of
// the enforcement).
func (h *Handler) identitySelf(w http.ResponseWriter, r *http.Request) {
	a := aclFrom(r)
	if a == nil || a.Workload() == nil {
		writeError(w, fmt.Errorf("identity self: %w: the token is not a workload identity", nomadlike.ErrNotFound))
		return
	}
	writeJSON(w, r, a.Workload())
}

func (h *Handler) varBackend() (VariableBackend, error) {
	vb, ok := h.cfg.Server.(VariableBackend)
	if !ok {
		return nil, errNoVariables
	}
	return vb, nil
}

func allowVar(r *http.Request, ns, path, op string) bool {
	a := aclFrom(r)
	return a == nil || a.AllowVariableOperation(ns, path, op)
}

// varList answers GET /v1/vars (?prefix, ?namespace, * for all, and the
// list parameters): the metadata of the variables the token may list.
func (h *Handler) varList(w http.ResponseWriter, r *http.Request) {
	opts, err := parseListOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		vars, err := st.Variables(ws, q.namespace, q.prefix)
		if err != nil {
			return nil, 0, err
		}
		metas := make([]nomadlike.VariableMetadata, 0, len(vars))
		for _, v := range vars {
			if allowVar(r, v.Namespace, v.Path, acl.VariablesCapabilityList) {
				metas = append(metas, v.Metadata())
			}
		}
		l := listing[nomadlike.VariableMetadata]{order: byNamespaceID,
			key: func(m nomadlike.VariableMetadata) listKey { return listKey{ns: m.Namespace, id: m.Path} }}
		out, err := l.page(metas, opts)
		if err != nil {
			return nil, 0, err
		}
		idx, err := tableIndex(st, state.TableVariables)
		return out, idx, err
	})
}

// varGet answers GET /v1/var/:path: the decrypted variable, 404 when
// absent; a blocking query waits for a change of this variable.
func (h *Handler) varGet(w http.ResponseWriter, r *http.Request) {
	path := r.PathValue("path")
	ns := namespaceOf(r)
	if !allowVar(r, ns, path, acl.VariablesCapabilityRead) {
		writeError(w, fmt.Errorf("read variable: %w", nomadlike.ErrPermission))
		return
	}
	vb, err := h.varBackend()
	if err != nil {
		writeError(w, err)
		return
	}
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		v, err := st.VariableByPath(ws, ns, path)
		if err != nil {
			return nil, 0, err
		}
		if v == nil {
			idx, err := tableIndex(st, state.TableVariables)
			if err == nil {
				err = fmt.Errorf("variable %q: %w", path, nomadlike.ErrNotFound)
			}
			return nil, idx, err
		}
		out, err := vb.DecryptVariable(v)
		return out, v.ModifyIndex, err
	})
}

func namespaceOf(r *http.Request) string {
	if ns := r.URL.Query().Get("namespace"); ns != "" {
		return ns
	}
	return nomadlike.DefaultNamespace
}

// casParam parses ?cas=INDEX (nil when absent).
func casParam(r *http.Request) (*uint64, error) {
	s := r.URL.Query().Get("cas")
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return nil, badRequest("cas: %q is not an index (a number >= 0)", s)
	}
	return &n, nil
}

// varPut answers PUT/POST /v1/var/:path with a Variable body (Items
// required); ?cas=INDEX is a check-and-set. It answers the stored
// variable, or 409 with the conflicting one (its Items only if the token
// may read it).
func (h *Handler) varPut(w http.ResponseWriter, r *http.Request) {
	path := r.PathValue("path")
	ns := namespaceOf(r)
	if !allowVar(r, ns, path, acl.VariablesCapabilityWrite) {
		writeError(w, fmt.Errorf("write variable: %w", nomadlike.ErrPermission))
		return
	}
	var v nomadlike.Variable
	if err := decodeBody(r, &v); err != nil {
		writeError(w, err)
		return
	}
	if v.Path != "" && v.Path != path {
		writeError(w, badRequest("Path: %q does not match the path %q of the URL", v.Path, path))
		return
	}
	if v.Namespace != "" && v.Namespace != ns {
		writeError(w, badRequest("Namespace: %q does not match ?namespace=%s", v.Namespace, ns))
		return
	}
	v.Path, v.Namespace = path, ns
	cas, err := casParam(r)
	if err != nil {
		writeError(w, err)
		return
	}
	h.varWrite(w, r, func(vb VariableBackend) (any, uint64, error) {
		return vb.UpsertVariable(&v, cas)
	})
}

// varDelete answers DELETE /v1/var/:path (?cas=INDEX).
func (h *Handler) varDelete(w http.ResponseWriter, r *http.Request) {
	path := r.PathValue("path")
	ns := namespaceOf(r)
	if !allowVar(r, ns, path, acl.VariablesCapabilityDestroy) {
		writeError(w, fmt.Errorf("delete variable: %w", nomadlike.ErrPermission))
		return
	}
	cas, err := casParam(r)
	if err != nil {
		writeError(w, err)
		return
	}
	h.varWrite(w, r, func(vb VariableBackend) (any, uint64, error) {
		idx, err := vb.DeleteVariable(ns, path, cas)
		return nil, idx, err
	})
}

// varWrite runs a variable write on the leader (forwarding there); a
// check-and-set conflict answers 409 with the current variable as Nomad
// does (metadata only when the token may not read it; null when none).
func (h *Handler) varWrite(w http.ResponseWriter, r *http.Request, op func(VariableBackend) (any, uint64, error)) {
	if !h.cfg.Server.IsLeader() {
		h.forwardToLeader(w, r)
		return
	}
	vb, err := h.varBackend()
	if err != nil {
		writeError(w, err)
		return
	}
	out, idx, err := op(vb)
	var ce *nomadlike.VariableConflictError
	switch {
	case errors.Is(err, nomadlike.ErrNotLeader):
		h.forwardToLeader(w, r)
	case errors.As(err, &ce):
		var cur any
		if ce.Current != nil {
			cur = ce.Current.Metadata()
			if allowVar(r, ce.Current.Namespace, ce.Current.Path, acl.VariablesCapabilityRead) {
				cur = ce.Current
			}
		}
		setIndex(w, idx)
		writeJSONStatus(w, r, http.StatusConflict, cur)
	case err != nil:
		writeError(w, err)
	default:
		setIndex(w, idx)
		writeJSON(w, r, out)
	}
}

// keyringList answers GET /v1/operator/keyring/keys: []api.RootKeyMeta.
func (h *Handler) keyringList(w http.ResponseWriter, r *http.Request) {
	vb, err := h.varBackend()
	if err != nil {
		writeError(w, err)
		return
	}
	keys, idx, err := vb.RootKeys()
	if err != nil {
		writeError(w, err)
		return
	}
	setIndex(w, idx)
	writeJSON(w, r, keys)
}

// keyringRotate answers PUT /v1/operator/keyring/rotate (?full=true):
// Nomad's KeyringRotateRootKeyResponse {Key, Index}.
func (h *Handler) keyringRotate(w http.ResponseWriter, r *http.Request) {
	full := false
	if s := r.URL.Query().Get("full"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			writeError(w, badRequest("full: %q is not true or false", s))
			return
		}
		full = b
	}
	h.writeOp(w, r, func() (any, uint64, error) {
		vb, err := h.varBackend()
		if err != nil {
			return nil, 0, err
		}
		meta, idx, err := vb.RotateRootKey(full)
		if err != nil {
			return nil, idx, err
		}
		return map[string]any{"Key": meta, "Index": idx}, idx, nil
	})
}

// jwks answers GET /.well-known/jwks.json: the public keys that verify
// workload identities.
func (h *Handler) jwks(w http.ResponseWriter, r *http.Request) {
	vb, err := h.varBackend()
	if err != nil {
		writeError(w, err)
		return
	}
	ring, err := vb.Keyring()
	if err != nil {
		writeError(w, err)
		return
	}
	var set jose.JSONWebKeySet = keyring.JWKS(ring)
	w.Header().Set("Cache-Control", "max-age=60")
	writeJSON(w, r, set)
}

// writeJSONStatus writes v as JSON with status code.
func writeJSONStatus(w http.ResponseWriter, r *http.Request, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}
