package server

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/feasible"
)

// Dynamic host volumes (issue #17). The servers choose the node and record
// the volume pending; the client of that node creates it (its built-in
// mkdir plugin) and reports it ready (NodeHostVolumeUpdate). A delete marks
// the volume deleted; the client removes the directory and reports it
// gone, which removes the volume from the state.

// CreateHostVolume validates v, chooses a node for it (v.NodeID, NodePool
// and Constraints; no host volume of the same name there yet; the node
// with the fewest dynamic volumes, then the lowest ID) and records it
// pending. It returns the stored volume and the raft index.
func (s *Server) CreateHostVolume(v *nomadlike.HostVolume) (*nomadlike.HostVolume, uint64, error) {
	if !s.IsLeader() {
		return nil, 0, notLeader("create host volume")
	}
	if err := nomadlike.ValidateHostVolumeCreate(v); err != nil {
		return nil, 0, err
	}
	v = v.Copy()
	if v.Namespace == "" {
		v.Namespace = nomadlike.DefaultNamespace
	}
	st := s.fsm.State()
	if ns, err := st.NamespaceByName(nil, v.Namespace); err != nil || ns == nil {
		if err == nil {
			err = nomadlike.NamespaceMissingError("Volume.Namespace", v.Namespace)
		}
		return nil, 0, err
	}
	if v.ID != "" {
		return nil, 0, fmt.Errorf("Volume.ID: %w: a volume is created without an ID (the servers choose it); "+
			"updating a volume is not supported", nomadlike.ErrValidation)
	}
	node, err := s.hostVolumeNode(v)
	if err != nil {
		return nil, 0, err
	}
	v.ID = nomadlike.GenerateUUID()
	v.NodeID, v.NodePool = node.ID, node.NodePool
	if v.NodePool == "" {
		v.NodePool = nomadlike.DefaultNodePool
	}
	v.State, v.HostPath, v.CapacityBytes, v.Allocations = nomadlike.HostVolumeStatePending, "", 0, nil
	index, err := s.raftApply(fsm.HostVolumeUpsertRequestType, &fsm.HostVolumeUpsertRequest{Volume: v})
	if err != nil {
		return nil, index, err
	}
	stored, err := st.HostVolumeByID(nil, v.ID)
	if err != nil || stored == nil {
		return nil, index, fmt.Errorf("read back host volume %s: %v", v.ID, err)
	}
	return stored, index, nil
}

// hostVolumeNode chooses the node of a new volume, or fails with an error
// wrapping nomadlike.ErrConflict that counts why the nodes were filtered.
func (s *Server) hostVolumeNode(v *nomadlike.HostVolume) (*nomadlike.Node, error) {
	st := s.fsm.State()
	nodes, err := st.Nodes(nil, "")
	if err != nil {
		return nil, err
	}
	checker := feasible.NewChecker()
	filtered := map[string]int{}
	var best *nomadlike.Node
	bestCount := 0
	for _, n := range nodes {
		ok, why := checker.HostVolumeNode(n, v)
		on, err := st.HostVolumesByNode(nil, n.ID)
		if err != nil {
			return nil, err
		}
		for _, o := range on {
			if ok && o.Name == v.Name {
				ok, why = false, feasible.ReasonVolumeNameUsed
			}
		}
		if !ok {
			filtered[why]++
			continue
		}
		if best == nil || len(on) < bestCount {
			best, bestCount = n, len(on)
		}
	}
	if best != nil {
		return best, nil
	}
	reasons := make([]string, 0, len(filtered))
	for why, n := range filtered {
		reasons = append(reasons, fmt.Sprintf("%s: %d", why, n))
	}
	sort.Strings(reasons)
	return nil, fmt.Errorf("create host volume %q: %w: no node can take it (%d nodes; filtered by %s)",
		v.Name, nomadlike.ErrConflict, len(nodes), orNone(strings.Join(reasons, ", ")))
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// DeleteHostVolume asks the volume's client to delete it: the volume is
// marked deleted (its node entry goes, so nothing new is placed on it) and
// leaves the state once the client removed the directory. It is refused,
// with an error wrapping nomadlike.ErrConflict naming them, while
// allocations claim the volume. A volume whose node is gone is removed at
// once.
func (s *Server) DeleteHostVolume(ns, id string) (uint64, error) {
	if !s.IsLeader() {
		return 0, notLeader("delete host volume")
	}
	st := s.fsm.State()
	v, err := st.HostVolumeByID(nil, id)
	if err != nil {
		return 0, err
	}
	if v == nil || v.Namespace != ns {
		return 0, fmt.Errorf("host volume %q: %w", id, nomadlike.ErrNotFound)
	}
	claims, err := st.HostVolumeClaims(nil, v)
	if err != nil {
		return 0, err
	}
	if len(claims) > 0 {
		ids := make([]string, len(claims))
		for i, a := range claims {
			ids[i] = a.ID
		}
		return 0, fmt.Errorf("delete host volume %s: %w: claimed by allocations %s (stop them first)",
			id, nomadlike.ErrConflict, strings.Join(ids, ", "))
	}
	node, err := st.NodeByID(nil, v.NodeID)
	if err != nil {
		return 0, err
	}
	if node == nil {
		return s.raftApply(fsm.HostVolumeDeleteRequestType, &fsm.HostVolumeDeleteRequest{ID: v.ID})
	}
	if v.State == nomadlike.HostVolumeStateDeleted {
		return v.ModifyIndex, nil
	}
	nv := v.Copy()
	nv.State = nomadlike.HostVolumeStateDeleted
	return s.raftApply(fsm.HostVolumeUpsertRequestType, &fsm.HostVolumeUpsertRequest{Volume: nv})
}

// NodeHostVolumeUpdate records what the client of the node whose SecretID
// is secretID did with one of its volumes: u.State ready (u.HostPath and
// u.CapacityBytes set) after creating a pending volume, deleted after
// removing a deleted one's directory. A volume of another node is a
// permission error; a stale report (the volume moved on) is ignored.
func (s *Server) NodeHostVolumeUpdate(secretID string, u *nomadlike.HostVolume) (uint64, error) {
	if !s.IsLeader() {
		return 0, notLeader("update host volume")
	}
	node, err := s.nodeBySecret("update host volume", secretID)
	if err != nil {
		return 0, err
	}
	if u == nil {
		return 0, fmt.Errorf("update host volume: %w: Volume is required", nomadlike.ErrValidation)
	}
	v, err := s.fsm.State().HostVolumeByID(nil, u.ID)
	if err != nil || v == nil {
		return 0, err
	}
	if v.NodeID != node.ID {
		return 0, fmt.Errorf("update host volume %s: %w: the volume is on another node", u.ID, nomadlike.ErrPermission)
	}
	switch {
	case u.State == nomadlike.HostVolumeStateReady && v.State == nomadlike.HostVolumeStatePending:
		if !strings.HasPrefix(u.HostPath, "/") {
			return 0, fmt.Errorf("update host volume %s: %w: HostPath %q is not absolute", u.ID, nomadlike.ErrValidation, u.HostPath)
		}
		nv := v.Copy()
		nv.State, nv.HostPath, nv.CapacityBytes, nv.StatusDescription = nomadlike.HostVolumeStateReady, u.HostPath, u.CapacityBytes, ""
		return s.raftApply(fsm.HostVolumeUpsertRequestType, &fsm.HostVolumeUpsertRequest{Volume: nv})
	case u.State == nomadlike.HostVolumeStatePending && v.State == nomadlike.HostVolumeStatePending &&
		u.StatusDescription != v.StatusDescription:
		nv := v.Copy() // the client could not create it (yet): say why
		nv.StatusDescription = truncateText(u.StatusDescription, 1024)
		return s.raftApply(fsm.HostVolumeUpsertRequestType, &fsm.HostVolumeUpsertRequest{Volume: nv})
	case u.State == nomadlike.HostVolumeStateDeleted && v.State == nomadlike.HostVolumeStateDeleted:
		return s.raftApply(fsm.HostVolumeDeleteRequestType, &fsm.HostVolumeDeleteRequest{ID: v.ID})
	}
	return v.ModifyIndex, nil
}

// truncateText keeps at most n bytes of s, cut at a rune boundary.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
