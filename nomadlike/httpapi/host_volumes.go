package httpapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// HostVolumeBackend is the optional capability of a Backend that manages
// dynamic host volumes (*server.Server has it; server/host_volumes.go).
type HostVolumeBackend interface {
	CreateHostVolume(v *nomadlike.HostVolume) (*nomadlike.HostVolume, uint64, error)
	DeleteHostVolume(ns, id string) (uint64, error)
	NodeHostVolumeUpdate(secretID string, u *nomadlike.HostVolume) (uint64, error)
}

var errNoHostVolumes = errors.New("this server does not manage dynamic host volumes")

// hostVolumeRoutes registers Nomad's dynamic host volume endpoints (issue
// #17) with Nomad's ACL requirements (host-volume-create, -read, -delete
// in the namespace), and the node calls of the clients that create and
// delete the volumes.
func (h *Handler) hostVolumeRoutes() {
	h.write("/v1/volume/host/create", ns(acl.NamespaceCapabilityHostVolumeCreate), h.serverOnly(h.hostVolumeCreate))
	h.get("/v1/volumes", nsList(acl.NamespaceCapabilityHostVolumeRead), h.serverOnly(h.hostVolumeList))
	h.get("/v1/volume/host/{id}", ns(acl.NamespaceCapabilityHostVolumeRead), h.serverOnly(h.hostVolumeGet))
	h.del("/v1/volume/host/{id}", ns(acl.NamespaceCapabilityHostVolumeDelete), h.serverOnly(h.hostVolumeDelete))
	h.del("/v1/volume/host/{id}/delete", ns(acl.NamespaceCapabilityHostVolumeDelete), h.serverOnly(h.hostVolumeDelete))
	// Client agents: the volumes of their node (a blocking query), and
	// what they did with one.
	h.get("/v1/client/host-volumes/{id}", nodeSecret(), h.serverOnly(h.clientHostVolumes))
	h.write("/v1/client/host-volume/update", nodeCall(), h.serverOnly(h.clientHostVolumeUpdate))
}

func (h *Handler) hostVolumeBackend() (HostVolumeBackend, error) {
	b, ok := h.cfg.Server.(HostVolumeBackend)
	if !ok {
		return nil, errNoHostVolumes
	}
	return b, nil
}

// hostVolumeCreate answers PUT /v1/volume/host/create: body {"Volume":
// {...}} as Nomad's api.HostVolumeCreateRequest; the volume's Namespace
// defaults to ?namespace= and, when it names another, needs
// host-volume-create there too.
func (h *Handler) hostVolumeCreate(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Volume         *nomadlike.HostVolume `json:"Volume"`
		PolicyOverride bool                  `json:"PolicyOverride"`
	}
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	b, err := h.hostVolumeBackend()
	if err != nil {
		writeError(w, err)
		return
	}
	if req.Volume == nil {
		writeError(w, badRequest("Volume: is required"))
		return
	}
	if req.Volume.Namespace == "" {
		req.Volume.Namespace = namespaceParam(r)
	}
	if !allowNS(r, req.Volume.Namespace, acl.NamespaceCapabilityHostVolumeCreate) {
		writeError(w, fmt.Errorf("create host volume in namespace %s: %w", req.Volume.Namespace, nomadlike.ErrPermission))
		return
	}
	h.writeOp(w, r, func() (any, uint64, error) {
		v, index, err := b.CreateHostVolume(req.Volume)
		if err != nil {
			return nil, index, err
		}
		return map[string]any{"Volume": v, "Warnings": ""}, index, nil
	})
}

// hostVolumeList answers GET /v1/volumes?type=host (also node_id,
// node_pool, prefix, namespace=*): the stubs of the volumes the token may
// read. Other types (CSI) are not supported.
func (h *Handler) hostVolumeList(w http.ResponseWriter, r *http.Request) {
	qv := r.URL.Query()
	if t := qv.Get("type"); t != nomadlike.VolumeTypeHost {
		writeError(w, badRequest("type %q is not supported: nomadlike has host volumes only (type=host), no CSI volumes", t))
		return
	}
	nodeID, pool := qv.Get("node_id"), qv.Get("node_pool")
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		vols, err := st.HostVolumes(ws, state.AllNamespaces, q.prefix)
		if err != nil {
			return nil, 0, err
		}
		out := make([]*nomadlike.HostVolumeStub, 0, len(vols))
		for _, v := range vols {
			if (q.namespace != nomadlike.AllNamespaces && v.Namespace != q.namespace) ||
				(nodeID != "" && v.NodeID != nodeID) || (pool != "" && v.NodePool != pool) ||
				!allowNS(r, v.Namespace, acl.NamespaceCapabilityHostVolumeRead) {
				continue
			}
			out = append(out, v.Stub())
		}
		idx, err := tableIndex(st, state.TableHostVolumes)
		return out, idx, err
	})
}

// hostVolumeByPath returns the volume {id} (or unique ID prefix) of the
// request's namespace.
func hostVolumeByPath(ws state.WatchSet, st Store, r *http.Request) (*nomadlike.HostVolume, error) {
	id := r.PathValue("id")
	v, err := byIDOrPrefix("host volume", id,
		func() (*nomadlike.HostVolume, error) { return st.HostVolumeByID(ws, id) },
		func() ([]*nomadlike.HostVolume, error) { return st.HostVolumes(ws, state.AllNamespaces, id) },
		func(v *nomadlike.HostVolume) string { return v.ID })
	if err != nil {
		return nil, err
	}
	if v.Namespace != namespaceParam(r) {
		return nil, notFound("host volume", id)
	}
	return v, nil
}

// hostVolumeGet answers GET /v1/volume/host/:id with the volume and the
// allocations that claim it.
func (h *Handler) hostVolumeGet(w http.ResponseWriter, r *http.Request) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		idx, err := tableIndex(st, state.TableHostVolumes)
		if err != nil {
			return nil, 0, err
		}
		v, err := hostVolumeByPath(ws, st, r)
		if err != nil {
			return nil, idx, err
		}
		out := v.Copy()
		if out.Allocations, err = st.HostVolumeClaims(nil, v); err != nil {
			return nil, idx, err
		}
		return out, idx, nil
	})
}

// hostVolumeDelete answers DELETE /v1/volume/host/:id (and Nomad 1.10's
// .../delete): a 409 naming the allocations while any claims it.
func (h *Handler) hostVolumeDelete(w http.ResponseWriter, r *http.Request) {
	b, err := h.hostVolumeBackend()
	if err != nil {
		writeError(w, err)
		return
	}
	v, err := hostVolumeByPath(nil, h.cfg.Server.State(), r)
	if err != nil {
		writeError(w, err)
		return
	}
	h.writeOp(w, r, func() (any, uint64, error) {
		index, err := b.DeleteHostVolume(v.Namespace, v.ID)
		return map[string]any{}, index, err
	})
}

// clientHostVolumes answers GET /v1/client/host-volumes/:node_id (the
// node's SecretID): the node's dynamic volumes, a blocking query on them.
func (h *Handler) clientHostVolumes(w http.ResponseWriter, r *http.Request) {
	nodeID := r.PathValue("id")
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		vols, err := st.HostVolumesByNode(ws, nodeID)
		if err != nil {
			return nil, 0, err
		}
		idx, err := tableIndex(st, state.TableHostVolumes)
		if vols == nil {
			vols = []*nomadlike.HostVolume{}
		}
		return vols, max(idx, 1), err
	})
}

// clientHostVolumeUpdate answers PUT /v1/client/host-volume/update (the
// node's SecretID): {"Volume": {ID, State, HostPath, CapacityBytes}}.
func (h *Handler) clientHostVolumeUpdate(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Volume *nomadlike.HostVolume `json:"Volume"`
	}
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	b, err := h.hostVolumeBackend()
	if err != nil {
		writeError(w, err)
		return
	}
	secret := requestToken(r)
	h.writeOp(w, r, func() (any, uint64, error) {
		index, err := b.NodeHostVolumeUpdate(secret, req.Volume)
		return map[string]any{}, index, err
	})
}
