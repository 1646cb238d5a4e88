package server

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/keyring"
)

// putVar writes a variable on whichever server leads, retrying until the
// leader has its first root key.
func putVar(t *testing.T, servers []*Server, v *nomadlike.Variable) *Server {
	t.Helper()
	var leader *Server
	poll.Until(t, 10*time.Second, "a variable write", func() (bool, string) {
		leader = waitLeader(t, servers...)
		_, _, err := leader.UpsertVariable(v, nil)
		return err == nil, fmt.Sprint(err)
	})
	return leader
}

// TestVariablesSurviveFailover: with a cluster key, a new leader decrypts
// the variables the old one wrote (the root key is replicated, wrapped),
// and writes new ones.
func TestVariablesSurviveFailover(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	servers := inmemCluster(t, 3, func(_ int, c *Config) { c.EncryptKey = key })
	v := &nomadlike.Variable{Namespace: "default", Path: "nomad/jobs/app", Items: map[string]string{"password": "s3cret"}}
	leader := putVar(t, servers, v)
	wrapped, err := leader.State().RootKeys(nil)
	if err != nil || len(wrapped) != 1 || wrapped[0].Wrap != nomadlike.WrapClusterKey || len(wrapped[0].KEK) != 0 {
		t.Fatalf("root keys in state = %+v, %v; want one wrapped with the cluster key, no KEK", wrapped, err)
	}
	_ = leader.Shutdown()
	var rest []*Server
	for _, s := range servers {
		if s != leader {
			rest = append(rest, s)
		}
	}
	newLeader := waitLeader(t, rest...)
	poll.Until(t, 10*time.Second, "the new leader decrypts", func() (bool, string) {
		ev, err := newLeader.State().VariableByPath(nil, "default", "nomad/jobs/app")
		if err != nil || ev == nil {
			return false, fmt.Sprint("not replicated: ", err)
		}
		got, err := newLeader.DecryptVariable(ev)
		if err != nil {
			return false, err.Error()
		}
		return got.Items["password"] == "s3cret", fmt.Sprint(got.Items)
	})
	putVar(t, rest, &nomadlike.Variable{Namespace: "default", Path: "after", Items: map[string]string{"k": "v"}})
}

// TestRotateKeepsOldVariables: after a rotation new writes use the new
// key and old variables still open; a full rotation re-encrypts them.
func TestRotateKeepsOldVariables(t *testing.T) {
	s := startServer(t, testConfig(t))
	servers := []*Server{s}
	putVar(t, servers, &nomadlike.Variable{Namespace: "default", Path: "old", Items: map[string]string{"a": "1"}})
	old, _ := s.State().VariableByPath(nil, "default", "old")
	meta, _, err := s.RotateRootKey(false)
	if err != nil {
		t.Fatal(err)
	}
	putVar(t, servers, &nomadlike.Variable{Namespace: "default", Path: "new", Items: map[string]string{"b": "2"}})
	nv, _ := s.State().VariableByPath(nil, "default", "new")
	if nv.KeyID != meta.KeyID || old.KeyID == meta.KeyID {
		t.Fatalf("new variable under %s, old under %s; want the new key %s for the new one only", nv.KeyID, old.KeyID, meta.KeyID)
	}
	if got, err := s.DecryptVariable(old); err != nil || got.Items["a"] != "1" {
		t.Fatalf("old variable after rotate = %+v, %v", got, err)
	}
	full, _, err := s.RotateRootKey(true)
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "a full rotation re-encrypts", func() (bool, string) {
		all, _ := s.State().Variables(nil, "*", "")
		for _, v := range all {
			if v.KeyID != full.KeyID {
				return false, v.Path + " still under " + v.KeyID
			}
		}
		keys, _, _ := s.RootKeys()
		for _, k := range keys {
			if k.KeyID == full.KeyID && k.State != nomadlike.RootKeyStateActive {
				return false, "new key is " + k.State
			}
		}
		return true, ""
	})
	o, _ := s.State().VariableByPath(nil, "default", "old")
	if got, err := s.DecryptVariable(o); err != nil || got.Items["a"] != "1" || o.ModifyIndex != old.ModifyIndex {
		t.Fatalf("old variable after rotate -full = %+v, %v (ModifyIndex %d, was %d)", got, err, o.ModifyIndex, old.ModifyIndex)
	}
}

// TestWorkloadIdentityResolve: a token signed for a running allocation's
// task resolves to the workload ACL; a forged, tampered or stopped
// allocation's token does not.
func TestWorkloadIdentityResolve(t *testing.T) {
	s := startServer(t, testConfig(t))
	putVar(t, []*Server{s}, &nomadlike.Variable{Namespace: "default", Path: "x", Items: map[string]string{"a": "1"}})
	job := fixture.Job()
	node := fixture.Node()
	a := fixture.Alloc(job, node, 0)
	a.ClientStatus = nomadlike.AllocClientStatusRunning
	if _, err := s.raftApply(fsm.AllocUpdateRequestType, &fsm.AllocUpdateRequest{Allocs: []*nomadlike.Allocation{a}, Job: job}); err != nil {
		t.Fatal(err)
	}
	ids, err := s.SignIdentities(a)
	task := job.TaskGroups[0].Tasks[0].Name
	if err != nil || ids[task] == "" {
		t.Fatalf("SignIdentities = %v, %v", ids, err)
	}
	got, err := s.ResolveToken(ids[task])
	if err != nil {
		t.Fatal(err)
	}
	own := "nomad/jobs/" + job.ID
	if !got.AllowVariableOperation(job.Namespace, own, acl.VariablesCapabilityRead) ||
		got.AllowVariableOperation(job.Namespace, "nomad/jobs/other", acl.VariablesCapabilityRead) ||
		got.AllowVariableOperation(job.Namespace, own, acl.VariablesCapabilityWrite) {
		t.Fatal("the workload ACL is not the job's read-only variables")
	}
	forgedKey, _ := keyring.NewKey(mustActiveKeyID(t, s), time.Now())
	forged, _ := keyring.Sign(forgedKey, identityClaims("global", a, job.TaskGroups[0].Tasks[0], time.Now()))
	tok := ids[task]
	for name, bad := range map[string]string{
		"forged":   forged,
		"tampered": tok[:strings.LastIndex(tok, ".")] + ".AAAA",
	} {
		if _, err := s.ResolveToken(bad); !errors.Is(err, nomadlike.ErrTokenNotFound) {
			t.Errorf("%s token: ResolveToken = %v, want ErrTokenNotFound", name, err)
		}
	}
	stopped := a.Copy()
	stopped.DesiredStatus = nomadlike.AllocDesiredStatusStop
	if _, err := s.raftApply(fsm.AllocUpdateRequestType, &fsm.AllocUpdateRequest{Allocs: []*nomadlike.Allocation{stopped}, Job: job}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ResolveToken(tok); !errors.Is(err, nomadlike.ErrTokenNotFound) {
		t.Fatalf("a stopped allocation's token: ResolveToken = %v, want ErrTokenNotFound", err)
	}
	if ids, _ := s.SignIdentities(stopped); ids != nil {
		t.Fatalf("SignIdentities(stopped) = %v, want none", ids)
	}
}

func mustActiveKeyID(t *testing.T, s *Server) string {
	t.Helper()
	r, err := s.ring()
	if err != nil {
		t.Fatal(err)
	}
	k, err := r.Active()
	if err != nil {
		t.Fatal(err)
	}
	return k.Meta.KeyID
}
