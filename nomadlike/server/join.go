package server

import (
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

// The join service on the RPC port. Servers find each other through it
// (retry_join), learn each other's HTTP addresses, and ask the leader to add
// them to raft. Two rules keep a caller from breaking the cluster:
//   - nothing becomes a voter unless the leader dialled its address and the
//     server there answered the join protocol with the claimed ID
//     (authenticated with the cluster key when one is set);
//   - a member's record (its HTTP address, which followers forward writes
//     to) is taken only from that member's own answer at its own address;
//     what third parties report only fills in members not yet known.

const (
	// joinTimeout bounds one join exchange, dial to answer.
	joinTimeout = 5 * time.Second
	// joinServeTimeout bounds serving one, which may include a probe.
	joinServeTimeout = 10 * time.Second
)

// handleJoin serves one join exchange: the handshake, the caller's request,
// and the answer. A wrong or missing proof of the cluster key closes the
// connection without an answer.
func (s *Server) handleJoin(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(joinServeTimeout))
	sess, err := serverHello(conn, s.cfg.EncryptKey)
	if err != nil {
		s.logger.Debug("join handshake failed", "remote", conn.RemoteAddr(), "error", err)
		return
	}
	var req joinRequest
	if err := sess.readSigned(json.NewDecoder(io.LimitReader(conn, maxJoinMessage)), labelJoinRequest, &req); err != nil {
		s.logger.Warn("join refused", "remote", conn.RemoteAddr(), "error", err)
		return
	}
	resp := s.answerJoin(&req)
	_ = sess.writeSigned(conn, labelJoinResponse, resp)
}

// answerJoin handles an authenticated join request.
func (s *Server) answerJoin(req *joinRequest) *joinResponse {
	resp := &joinResponse{Self: s.self()}
	if req.Probe {
		return resp
	}
	select {
	case <-s.raftReadyCh:
	case <-s.shutdownCh:
		resp.Error = "server is shutting down"
		return resp
	case <-time.After(5 * time.Second):
		resp.Error = "raft is not running yet"
		return resp
	}
	err := s.learnSelf(req.Self)
	s.mergeKnown(req.Known)
	if err != nil {
		s.logger.Warn("join refused", "id", req.Self.ID, "addr", req.Self.RPCAddr, "error", err)
		resp.Error = err.Error()
	} else if s.IsLeader() && !s.inRaftConfig(req.Self.ID, req.Self.RPCAddr) {
		if err := s.addVoter(req.Self.ID, req.Self.RPCAddr); err != nil {
			resp.Error = err.Error()
		} else {
			s.logger.Info("server joined", "id", req.Self.ID, "name", req.Self.Name, "addr", req.Self.RPCAddr)
		}
	}
	resp.Known = s.knownMembers()
	addr, _ := s.raft.LeaderWithID()
	resp.Leader = string(addr)
	resp.InCluster = s.inCluster()
	return resp
}

// learnSelf records a caller's own record once the server at its RPC
// address confirms it: the record kept is that server's answer to a probe,
// not the caller's claim. A record already confirmed and unchanged needs no
// probe.
func (s *Server) learnSelf(m member) error {
	if m.ID == "" || m.RPCAddr == "" {
		return fmt.Errorf("%w: the join request names no server ID or RPC address", nomadlike.ErrValidation)
	}
	if m.ID == s.id {
		return fmt.Errorf("%w: the join request claims this server's own ID %s", nomadlike.ErrValidation, m.ID)
	}
	s.membersMu.Lock()
	cur, ok := s.members[m.ID]
	confirmed := ok && s.confirmed[m.ID] && cur == m
	s.membersMu.Unlock()
	if confirmed {
		return nil
	}
	got, err := s.probe(m.RPCAddr, m.ID)
	if err != nil {
		return err
	}
	s.setMember(got)
	return nil
}

// probe asks the server at addr who it is and checks that it answers with
// wantID (any ID when wantID is ""). With a cluster key, only a server that
// proves the key answers.
func (s *Server) probe(addr, wantID string) (member, error) {
	if s.mux == nil {
		return member{}, fmt.Errorf("%w: this server runs no join service (in-memory transport) to verify %s", nomadlike.ErrValidation, addr)
	}
	resp, err := callJoin(addr, s.cfg.EncryptKey, s.cfg.RPCTLS, &joinRequest{Self: s.self(), Probe: true}, joinTimeout)
	if err != nil {
		return member{}, fmt.Errorf("%w: %s does not answer as a nomadlike server: %v", nomadlike.ErrValidation, addr, err)
	}
	got := resp.Self
	switch {
	case got.ID == "":
		return member{}, fmt.Errorf("%w: the server at %s did not say its ID", nomadlike.ErrValidation, addr)
	case wantID != "" && got.ID != wantID:
		return member{}, fmt.Errorf("%w: the server at %s says its ID is %q, not %q", nomadlike.ErrValidation, addr, got.ID, wantID)
	case got.ID == s.id:
		return member{}, fmt.Errorf("%w: %s is this server", nomadlike.ErrValidation, addr)
	}
	return got, nil
}

// setMember records a member's own, confirmed record.
func (s *Server) setMember(m member) {
	s.membersMu.Lock()
	defer s.membersMu.Unlock()
	s.members[m.ID] = m
	s.confirmed[m.ID] = true
}

// mergeKnown adds members that third parties report and that this server
// does not know yet; it never changes a known record.
func (s *Server) mergeKnown(ms []member) {
	s.membersMu.Lock()
	defer s.membersMu.Unlock()
	for _, m := range ms {
		if m.ID == "" || m.ID == s.id {
			continue
		}
		if _, ok := s.members[m.ID]; !ok {
			s.members[m.ID] = m
		}
	}
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

// inCluster reports whether this server has a raft configuration.
func (s *Server) inCluster() bool {
	f := s.raft.GetConfiguration()
	return f.Error() == nil && len(f.Configuration().Servers) > 0
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
// BootstrapExpect servers know each other and none is in a cluster yet.
func (s *Server) retryJoin() {
	for {
		for _, addr := range s.cfg.RetryJoin {
			if addr == s.RPCAddr() {
				continue
			}
			resp, err := callJoin(addr, s.cfg.EncryptKey, s.cfg.RPCTLS, &joinRequest{Self: s.self(), Known: s.knownMembers()}, joinTimeout)
			if resp != nil {
				// The server at an address we dialled describes itself.
				if resp.Self.ID != "" && resp.Self.ID != s.id {
					s.setMember(resp.Self)
				}
				s.mergeKnown(resp.Known)
				if resp.InCluster || resp.Leader != "" {
					s.clusterSeen.Store(true)
				}
			}
			if err != nil {
				if errors.Is(err, ErrClusterKey) {
					s.logger.Warn("join attempt refused", "addr", addr, "error", err)
				} else {
					s.logger.Debug("join attempt failed", "addr", addr, "error", err)
				}
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
// bootstrap. A server that has heard from a peer already in a cluster does
// not bootstrap: it waits for the leader to add it.
func (s *Server) maybeBootstrap() {
	if s.cfg.BootstrapExpect <= 1 || s.clusterSeen.Load() {
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
