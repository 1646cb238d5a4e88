package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/hashicorp/raft"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// snapshotMagic starts a saved snapshot: one JSON line of raft metadata, then
// the FSM snapshot as raft stores it.
const snapshotMagic = "nomadlike-snapshot-v1\n"

// SnapshotSave writes a raft snapshot of the FSM to w: a fresh one when there
// is anything new since the last, else the latest stored one.
func (s *Server) SnapshotSave(w io.Writer) error {
	var meta *raft.SnapshotMeta
	var rc io.ReadCloser
	f := s.raft.Snapshot()
	if err := f.Error(); err == nil {
		if meta, rc, err = f.Open(); err != nil {
			return fmt.Errorf("open snapshot: %w", err)
		}
	} else if errors.Is(err, raft.ErrNothingNewToSnapshot) {
		list, lerr := s.snapshots.List()
		if lerr != nil || len(list) == 0 {
			return fmt.Errorf("snapshot: nothing to snapshot and no stored snapshot: %v", lerr)
		}
		if meta, rc, err = s.snapshots.Open(list[0].ID); err != nil {
			return fmt.Errorf("open snapshot %s: %w", list[0].ID, err)
		}
	} else {
		return fmt.Errorf("take snapshot: %w", raftErr(err))
	}
	defer rc.Close()
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(snapshotMagic); err != nil {
		return err
	}
	if err := json.NewEncoder(bw).Encode(meta); err != nil {
		return err
	}
	if _, err := io.Copy(bw, rc); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	return bw.Flush()
}

// SnapshotRestore replaces the cluster state with a snapshot written by
// SnapshotSave; leader only. The leader's queues are rebuilt from it.
func (s *Server) SnapshotRestore(r io.Reader) error {
	if !s.IsLeader() {
		return notLeader("restore snapshot")
	}
	br := bufio.NewReader(r)
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapshotMagic {
		return fmt.Errorf("restore snapshot: %w: not a nomadlike snapshot", nomadlike.ErrValidation)
	}
	line, err := br.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("restore snapshot: %w: read metadata: %v", nomadlike.ErrValidation, err)
	}
	var meta raft.SnapshotMeta
	if err := json.Unmarshal(line, &meta); err != nil {
		return fmt.Errorf("restore snapshot: %w: metadata: %v", nomadlike.ErrValidation, err)
	}
	if err := s.raft.Restore(&meta, br, s.cfg.RaftApplyTimeout); err != nil {
		return fmt.Errorf("restore snapshot: %w", raftErr(err))
	}
	// The queues describe the old state: rebuild them from the new one.
	s.applier.SetEnabled(false)
	s.blocked.SetEnabled(false)
	s.broker.SetEnabled(false)
	if s.IsLeader() {
		s.broker.SetEnabled(true)
		s.blocked.SetEnabled(true)
		s.applier.SetEnabled(true)
		if err := s.restoreEvals(); err != nil {
			return fmt.Errorf("restore snapshot: rebuild eval queues: %w", err)
		}
	}
	return nil
}

// RemovePeer removes a server from the raft configuration by ID or, when
// id is "", by raft address; leader only. Removing the leader itself is
// allowed, as in Nomad: it steps down and the others elect a new one. A
// server that is not in the configuration is an error wrapping
// nomadlike.ErrNotFound.
func (s *Server) RemovePeer(id, addr string) error {
	if (id == "") == (addr == "") {
		return fmt.Errorf("remove peer: %w: give exactly one of id and address", nomadlike.ErrValidation)
	}
	if !s.IsLeader() {
		return notLeader("remove peer")
	}
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return fmt.Errorf("remove peer: %w", raftErr(err))
	}
	var found raft.ServerID
	for _, srv := range f.Configuration().Servers {
		if (id != "" && string(srv.ID) == id) || (addr != "" && string(srv.Address) == addr) {
			found = srv.ID
			break
		}
	}
	if found == "" {
		what := "id " + id
		if id == "" {
			what = "address " + addr
		}
		return fmt.Errorf("remove peer: %s: %w in the raft configuration", what, nomadlike.ErrNotFound)
	}
	if err := s.raft.RemoveServer(found, f.Index(), s.cfg.RaftApplyTimeout).Error(); err != nil {
		return fmt.Errorf("remove peer %s: %w", found, raftErr(err))
	}
	s.membersMu.Lock()
	delete(s.members, string(found))
	delete(s.confirmed, string(found))
	s.membersMu.Unlock()
	s.logger.Warn("removed raft peer", "id", found)
	return nil
}
