package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"time"

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

// handleJoin serves one join exchange on the RPC port: it merges what the
// caller knows, adds the caller to raft when this server leads, and answers
// with what it knows.
func (s *Server) handleJoin(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	var req joinRequest
	if err := json.NewDecoder(conn).Decode(&req); err != nil {
		return
	}
	s.mergeMembers(append(req.Known, req.Self))
	resp := joinResponse{Known: s.knownMembers()}
	select {
	case <-s.raftReady:
	case <-s.shutdownCh:
		return
	case <-time.After(5 * time.Second):
		resp.Error = "raft is not running yet"
		_ = json.NewEncoder(conn).Encode(&resp)
		return
	}
	if s.IsLeader() && req.Self.ID != "" && req.Self.RPCAddr != "" && !s.inRaftConfig(req.Self.ID, req.Self.RPCAddr) {
		if err := s.AddPeer(req.Self.ID, req.Self.RPCAddr); err != nil {
			resp.Error = err.Error()
		} else {
			s.logger.Info("server joined", "id", req.Self.ID, "name", req.Self.Name, "addr", req.Self.RPCAddr)
		}
	}
	addr, _ := s.raft.LeaderWithID()
	resp.Leader = string(addr)
	_ = json.NewEncoder(conn).Encode(&resp)
}

func (s *Server) inRaftConfig(id, addr string) bool {
	f := s.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	for _, srv := range f.Configuration().Servers {
		if string(srv.ID) == id {
			return string(srv.Address) == addr
		}
	}
	return false
}

func (s *Server) mergeMembers(ms []member) {
	s.membersMu.Lock()
	defer s.membersMu.Unlock()
	for _, m := range ms {
		if m.ID == "" || m.ID == s.id {
			continue
		}
		s.members[m.ID] = m
	}
}

func (s *Server) knownMembers() []member {
	s.membersMu.Lock()
	defer s.membersMu.Unlock()
	out := make([]member, 0, len(s.members))
	for _, m := range s.members {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// retryJoin contacts the RetryJoin servers every RetryInterval, for as long
// as the server runs: it learns the other servers (and their HTTP
// addresses), asks the leader to add it, and bootstraps the cluster once
// BootstrapExpect servers know each other and none has raft state.
func (s *Server) retryJoin() {
	for {
		for _, addr := range s.cfg.RetryJoin {
			if addr == s.RPCAddr() {
				continue
			}
			resp, err := callJoin(addr, &joinRequest{Self: s.self(), Known: s.knownMembers()}, 5*time.Second)
			if resp != nil {
				s.mergeMembers(resp.Known)
			}
			if err != nil {
				s.logger.Debug("join attempt failed", "addr", addr, "error", err)
			}
		}
		s.maybeBootstrap()
		select {
		case <-s.shutdownCh:
			return
		case <-time.After(s.cfg.RetryInterval):
		}
	}
}

// maybeBootstrap bootstraps raft with every known server once there are
// BootstrapExpect of them. Every server computes the same configuration
// from the same member set, which is what raft requires of a multi-server
// bootstrap.
func (s *Server) maybeBootstrap() {
	if s.cfg.BootstrapExpect <= 1 {
		return
	}
	f := s.raft.GetConfiguration()
	if f.Error() != nil || len(f.Configuration().Servers) > 0 {
		return // already part of a cluster
	}
	known := s.knownMembers()
	var servers []raft.Server
	for _, m := range known {
		if m.BootstrapExpect != 0 && m.BootstrapExpect != s.cfg.BootstrapExpect {
			s.logger.Error("servers disagree on bootstrap_expect; not bootstrapping", "peer", m.Name, "theirs", m.BootstrapExpect, "ours", s.cfg.BootstrapExpect)
			return
		}
		servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(m.ID), Address: raft.ServerAddress(m.RPCAddr)})
	}
	if len(servers) < s.cfg.BootstrapExpect {
		return
	}
	s.logger.Info("bootstrapping raft", "servers", len(servers))
	if err := s.raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		s.logger.Error("bootstrap raft", "error", err)
	}
}
