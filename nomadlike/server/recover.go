package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/raft"

	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// PeersFile is the manual recovery file, as Nomad's: when
// <DataDir>/raft/peers.json exists at startup, the server replaces its raft
// configuration with the servers it lists and deletes it. The format is a
// JSON list of {"id", "address", "non_voter"}. Every surviving server gets
// the same file while all of them are stopped; see website/operations.md.
const PeersFile = "peers.json"

// recoverPeers applies <DataDir>/raft/peers.json when it exists.
func (s *Server) recoverPeers(rc *raft.Config, logs raft.LogStore, stable raft.StableStore) error {
	path := filepath.Join(s.cfg.DataDir, "raft", PeersFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("peers recovery: %w", err)
	}
	conf, err := raft.ReadConfigJSON(path)
	if err != nil {
		return fmt.Errorf("peers recovery: %s: %w (want a JSON list of {\"id\": ..., \"address\": \"host:port\", \"non_voter\": false})", path, err)
	}
	self := false
	for _, srv := range conf.Servers {
		self = self || string(srv.ID) == s.id
	}
	if !self {
		return fmt.Errorf("peers recovery: %s does not list this server's ID %q (from %s); list every surviving server, this one included",
			path, s.id, filepath.Join(s.cfg.DataDir, "server-id"))
	}
	// Recovery replays the log into an FSM of its own; the server's FSM
	// restores from the snapshot it leaves.
	store, err := state.NewStateStore()
	if err != nil {
		return err
	}
	if err := raft.RecoverCluster(rc, fsm.New(store, s.cfg.Logger), logs, stable, s.snapshots, s.trans, conf); err != nil {
		return fmt.Errorf("peers recovery from %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("peers recovery: applied, but remove %s: %w (remove it before the next start)", path, err)
	}
	s.logger.Warn("raft configuration recovered from peers.json and the file deleted", "path", path, "servers", fmt.Sprint(conf.Servers))
	return nil
}
