package aclcache_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/client/aclcache"
)

// workloadSource is a fakeSource that also knows workload identities.
type workloadSource struct {
	fakeSource
	workloads map[string]*acl.Workload
}

func (w *workloadSource) WorkloadSelf(_ context.Context, secret string) (*acl.Workload, error) {
	if wl, ok := w.workloads[secret]; ok {
		return wl, nil
	}
	return nil, nomadlike.ErrTokenNotFound
}

// TestWorkloadIdentityOnClient: a client-only agent resolves a workload
// identity through the servers to the workload's rights only; an identity
// the servers refuse is not found.
func TestWorkloadIdentityOnClient(t *testing.T) {
	const jwt = "eyJhbGciOiJFZERTQSJ9.eyJub21hZF9qb2JfaWQiOiJhcHAifQ.c2ln"
	src := &workloadSource{workloads: map[string]*acl.Workload{
		jwt: {Namespace: "default", JobID: "app", Group: "g", Task: "t", AllocID: "a1"},
	}}
	c := aclcache.New(aclcache.Config{Source: src})
	a, err := c.ResolveToken(jwt)
	if err != nil {
		t.Fatal(err)
	}
	if !a.AllowVariableOperation("default", "nomad/jobs/app/g", "read") || a.AllowVariableOperation("default", "nomad/jobs/other", "read") ||
		a.AllowNamespaceOperation("default", acl.NamespaceCapabilityReadJob) {
		t.Fatal("the resolved ACL is not the workload's")
	}
	if _, err := c.ResolveToken(jwt[:len(jwt)-1] + "x"); !errors.Is(err, nomadlike.ErrTokenNotFound) {
		t.Fatalf("a refused identity: ResolveToken = %v, want ErrTokenNotFound", err)
	}
}
