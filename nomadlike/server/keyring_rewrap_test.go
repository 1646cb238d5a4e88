package server

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// restartWithKeys shuts s down and starts it again on its data directory
// with the cluster key and previous keys given, and waits until it leads.
func restartWithKeys(t *testing.T, s *Server, key []byte, prev ...[]byte) *Server {
	t.Helper()
	if err := s.Shutdown(); err != nil {
		t.Fatal(err)
	}
	cfg := restartConfig(s)
	cfg.EncryptKey, cfg.PreviousEncryptKeys = key, prev
	ns := startServer(t, cfg)
	waitLeader(t, ns)
	return ns
}

func readVar(s *Server, path string) (string, error) {
	ev, err := s.State().VariableByPath(nil, "default", path)
	if err != nil || ev == nil {
		return "", fmt.Errorf("variable %s in state: %v", path, err)
	}
	v, err := s.DecryptVariable(ev)
	if err != nil {
		return "", err
	}
	return v.Items["password"], nil
}

// TestKeyringClusterKeyChange: a server restarted with another
// server.encrypt refuses, with an error saying what to do, to read
// variables (and makes no new root key in place of the one it cannot
// open); with the old key in previous_encrypt it reads them and the
// leader rewraps the root key, so the new key alone then suffices; and
// removing server.encrypt with the old key in previous_encrypt moves the
// keyring to inline wrapping.
func TestKeyringClusterKeyChange(t *testing.T) {
	k1 := []byte("0123456789abcdef0123456789abcdef")
	k2 := []byte("fedcba9876543210fedcba9876543210")
	servers := inmemCluster(t, 1, func(_ int, c *Config) { c.EncryptKey = k1; c.NumSchedulers = 0 })
	s := putVar(t, servers, &nomadlike.Variable{Namespace: "default", Path: "app", Items: map[string]string{"password": "s3cret"}})

	s = restartWithKeys(t, s, k2)
	_, err := readVar(s, "app")
	if !errors.Is(err, ErrKeyringKey) || !strings.Contains(err.Error(), "server.previous_encrypt") {
		t.Fatalf("read after server.encrypt changed = %v, want ErrKeyringKey naming server.previous_encrypt", err)
	}
	if _, _, err := s.UpsertVariable(&nomadlike.Variable{Namespace: "default", Path: "new", Items: map[string]string{"a": "b"}}, nil); !errors.Is(err, ErrKeyringKey) {
		t.Fatalf("write after server.encrypt changed = %v, want ErrKeyringKey", err)
	}
	if keys, _ := s.State().RootKeys(nil); len(keys) != 1 {
		t.Fatalf("root keys = %d, want the one that does not open (no new key in its place)", len(keys))
	}

	s = restartWithKeys(t, s, k2, k1)
	if got, err := readVar(s, "app"); err != nil || got != "s3cret" {
		t.Fatalf("read with the old key in previous_encrypt = %q, %v", got, err)
	}
	poll.Until(t, 10*time.Second, "the leader rewraps the root key", func() (bool, string) {
		keys, _ := s.State().RootKeys(nil)
		for _, w := range keys {
			if !s.wrappedAsConfigured(w) {
				return false, w.Meta.KeyID + " still under the old key"
			}
		}
		return len(keys) == 1, fmt.Sprint(len(keys), " keys")
	})

	s = restartWithKeys(t, s, k2)
	if got, err := readVar(s, "app"); err != nil || got != "s3cret" {
		t.Fatalf("read with the new key alone after the rewrap = %q, %v", got, err)
	}

	s = restartWithKeys(t, s, nil, k2)
	poll.Until(t, 10*time.Second, "the leader rewraps the root key inline", func() (bool, string) {
		keys, _ := s.State().RootKeys(nil)
		return len(keys) == 1 && keys[0].Wrap == nomadlike.WrapInline, fmt.Sprint(keys)
	})
	s = restartWithKeys(t, s, nil)
	if got, err := readVar(s, "app"); err != nil || got != "s3cret" {
		t.Fatalf("read without server.encrypt after the inline rewrap = %q, %v", got, err)
	}
}
