package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
)

// ACLBootstrapResetFile is the file, in the server's data directory
// (<data_dir>/server), whose content, the reset index a refused bootstrap
// reported, allows one more bootstrap, as Nomad's.
const ACLBootstrapResetFile = "acl-bootstrap-reset"

// BootstrapACL creates the first management token; leader only. It works
// once: a later call fails with a *nomadlike.ACLBootstrapDoneError ("ACL
// bootstrap already done (reset index: N)"), unless the file
// acl-bootstrap-reset in the server's data directory holds N, which allows
// one more bootstrap (the file is then stale: the new bootstrap has a new
// reset index). secret, when not empty, is the token's SecretID (Nomad's
// BootstrapSecret; it must be a UUID), else one is made. The answer is the
// only place the SecretID appears.
func (s *Server) BootstrapACL(secret string) (*nomadlike.ACLToken, uint64, error) {
	if !s.IsLeader() {
		return nil, 0, notLeader("bootstrap ACLs")
	}
	if secret != "" && !isUUID(secret) {
		return nil, 0, fmt.Errorf("bootstrap ACLs: %w: BootstrapSecret: must be a UUID", nomadlike.ErrValidation)
	}
	done, err := s.fsm.State().ACLBootstrapIndex()
	if err != nil {
		return nil, 0, err
	}
	reset := s.aclBootstrapResetIndex()
	if done != 0 && reset != done {
		return nil, 0, &nomadlike.ACLBootstrapDoneError{ResetIndex: done}
	}
	if secret == "" {
		secret = nomadlike.GenerateUUID()
	}
	now := s.cfg.Clock.Now().UTC()
	t := &nomadlike.ACLToken{
		AccessorID: nomadlike.GenerateUUID(), SecretHash: nomadlike.HashACLSecret(secret),
		Name: "Bootstrap Token", Type: nomadlike.ACLTokenTypeManagement, Global: true, CreateTime: now,
	}
	index, err := s.raftApply(fsm.ACLBootstrapRequestType, &fsm.ACLBootstrapRequest{Token: t, ResetIndex: reset})
	var doneErr *nomadlike.ACLBootstrapDoneError
	if errors.As(err, &doneErr) {
		return nil, 0, doneErr // another bootstrap won the race
	}
	if err != nil {
		return nil, 0, fmt.Errorf("bootstrap ACLs: %w", err)
	}
	s.logger.Info("ACL bootstrap done", "index", index, "accessor_id", t.AccessorID, "reset", done != 0)
	return s.createdToken(t.AccessorID, secret, index)
}

// aclBootstrapResetIndex returns the index in the reset file, 0 when there
// is no file (or no data directory) or it does not hold a number, which is
// logged: a stray file must not break bootstrapping.
func (s *Server) aclBootstrapResetIndex() uint64 {
	if s.cfg.DataDir == "" {
		return 0
	}
	path := filepath.Join(s.cfg.DataDir, ACLBootstrapResetFile)
	b, err := os.ReadFile(path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.logger.Error("read the ACL bootstrap reset file", "path", path, "error", err)
		}
		return 0
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		s.logger.Error("the ACL bootstrap reset file must hold the reset index, a number", "path", path)
		return 0
	}
	return n
}

// isUUID reports whether s looks like a UUID: 36 characters, hex digits
// and dashes at 8, 13, 18 and 23.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}
