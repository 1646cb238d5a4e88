package state

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/keyring"
)

func namespaceNames(t *testing.T, s *StateStore, prefix string) []string {
	t.Helper()
	nss, err := s.Namespaces(nil, prefix)
	must(t, err)
	var out []string
	for _, n := range nss {
		out = append(out, n.Name)
	}
	return out
}

// TestNamespaceDefaultBuiltIn: an empty store has the default namespace,
// which can be described but never deleted.
func TestNamespaceDefaultBuiltIn(t *testing.T) {
	s := newStore(t)
	if got := namespaceNames(t, s, ""); !reflect.DeepEqual(got, []string{"default"}) {
		t.Fatalf("Namespaces of an empty store = %v, want [default]", got)
	}
	ns, err := s.NamespaceByName(nil, "default")
	must(t, err)
	if ns == nil || ns.Description != nomadlike.DefaultNamespaceDescription {
		t.Fatalf("NamespaceByName(default) = %+v", ns)
	}
	err = s.DeleteNamespaces(5, []string{"default"})
	if !errors.Is(err, nomadlike.ErrValidation) || !strings.Contains(err.Error(), "cannot be deleted") {
		t.Fatalf("delete default = %v, want a validation error", err)
	}
	must(t, s.UpsertNamespaces(6, []*nomadlike.Namespace{{Name: "default", Description: "shared"}}))
	ns, _ = s.NamespaceByName(nil, "default")
	if ns.Description != "shared" || ns.ModifyIndex != 6 {
		t.Errorf("updated default = %+v", ns)
	}
	if got := namespaceNames(t, s, ""); !reflect.DeepEqual(got, []string{"default"}) {
		t.Errorf("Namespaces after writing default = %v, want it once", got)
	}
}

func TestNamespaceCRUD(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertNamespaces(10, []*nomadlike.Namespace{
		{Name: "team-b", Description: "B", Meta: map[string]string{"owner": "b"}},
		{Name: "team-a"},
		{Name: "prod"},
	}))
	if got := namespaceNames(t, s, ""); !reflect.DeepEqual(got, []string{"default", "prod", "team-a", "team-b"}) {
		t.Errorf("Namespaces = %v", got)
	}
	if got := namespaceNames(t, s, "team"); !reflect.DeepEqual(got, []string{"team-a", "team-b"}) {
		t.Errorf("Namespaces(team) = %v", got)
	}
	if got := namespaceNames(t, s, "de"); !reflect.DeepEqual(got, []string{"default"}) {
		t.Errorf("Namespaces(de) = %v", got)
	}
	must(t, s.UpsertNamespaces(12, []*nomadlike.Namespace{{Name: "team-b", Description: "B2"}}))
	b, err := s.NamespaceByName(nil, "team-b")
	must(t, err)
	if b.CreateIndex != 10 || b.ModifyIndex != 12 || b.Description != "B2" {
		t.Errorf("updated team-b = %+v, want create 10, modify 12", b)
	}
	must(t, s.DeleteNamespaces(13, []string{"team-a", "team-b"}))
	if got := namespaceNames(t, s, ""); !reflect.DeepEqual(got, []string{"default", "prod"}) {
		t.Errorf("Namespaces after delete = %v", got)
	}
	if err := s.DeleteNamespaces(14, []string{"team-a"}); !errors.Is(err, nomadlike.ErrNamespaceNotFound) {
		t.Errorf("delete a deleted namespace = %v, want ErrNamespaceNotFound", err)
	}
	if idx, _ := s.Index(TableNamespaces); idx != 13 {
		t.Errorf("namespaces index = %d, want 13", idx)
	}
}

// TestNamespaceUpsertInvalid: bad names and fields are refused by field
// path, and nothing of the batch is written.
func TestNamespaceUpsertInvalid(t *testing.T) {
	long := strings.Repeat("a", 129)
	cases := []struct {
		name string
		ns   *nomadlike.Namespace
		want string
	}{
		{"empty name", &nomadlike.Namespace{}, "Namespaces[1].Name: \"\" is not a valid namespace name"},
		{"space", &nomadlike.Namespace{Name: "team a"}, "Namespaces[1].Name: \"team a\""},
		{"star", &nomadlike.Namespace{Name: "*"}, "Namespaces[1].Name"},
		{"slash", &nomadlike.Namespace{Name: "a/b"}, "Namespaces[1].Name"},
		{"too long", &nomadlike.Namespace{Name: long}, "Namespaces[1].Name"},
		{"long description", &nomadlike.Namespace{Name: "x", Description: strings.Repeat("d", 300)}, "Namespaces[1].Description: is 300 bytes long"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			err := s.UpsertNamespaces(5, []*nomadlike.Namespace{{Name: "ok"}, tc.ns})
			if !errors.Is(err, nomadlike.ErrValidation) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("UpsertNamespaces = %v, want a validation error containing %q", err, tc.want)
			}
			if got := namespaceNames(t, s, ""); !reflect.DeepEqual(got, []string{"default"}) {
				t.Errorf("namespaces after a refused batch = %v, want only default", got)
			}
		})
	}
	if !nomadlike.ValidNamespaceName(strings.Repeat("a", 128)) {
		t.Error("a 128-character name is refused")
	}
}

// TestJobInUnknownNamespaceRefused: a job cannot be stored in a namespace
// that does not exist; a stop can (jobs stored before namespaces existed).
func TestJobInUnknownNamespaceRefused(t *testing.T) {
	s := newStore(t)
	j := fixture.Job()
	j.Namespace = "team-a"
	err := s.UpsertJob(5, j)
	if !errors.Is(err, nomadlike.ErrValidation) || !strings.Contains(err.Error(), `Job.Namespace: namespace "team-a" does not exist`) {
		t.Fatalf("UpsertJob in unknown namespace = %v", err)
	}
	if got, _ := s.JobByID(nil, "team-a", j.ID); got != nil {
		t.Fatal("the refused job was stored")
	}
	stopped := j.Copy()
	stopped.Stop = true
	must(t, s.UpsertJob(6, stopped))
}

// TestSameJobIDInTwoNamespaces: jobs are keyed by (namespace, ID).
func TestSameJobIDInTwoNamespaces(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertNamespaces(4, []*nomadlike.Namespace{{Name: "team-a"}}))
	a, d := fixture.Job(), fixture.Job()
	a.Namespace, a.ID = "team-a", "web"
	d.ID = "web"
	d.Priority = 70
	storeJob(t, s, 5, a)
	storeJob(t, s, 6, d)
	ga, _ := s.JobByID(nil, "team-a", "web")
	gd, _ := s.JobByID(nil, "default", "web")
	if ga == nil || gd == nil || ga.Priority == gd.Priority {
		t.Fatalf("jobs = %+v, %+v; want two distinct jobs", ga, gd)
	}
	must(t, s.DeleteJob(7, "team-a", "web"))
	if gd, _ := s.JobByID(nil, "default", "web"); gd == nil {
		t.Error("purging team-a/web removed default/web")
	}
}

// TestDeleteNamespaceWithJobsRefused: a namespace with a non-terminal job
// or allocation is not deleted, and nothing changes; once the job is
// stopped and its allocations are terminal it is.
func TestDeleteNamespaceWithJobsRefused(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertNamespaces(4, []*nomadlike.Namespace{{Name: "team-a"}, {Name: "empty"}}))
	j := fixture.Job()
	j.Namespace = "team-a"
	job := storeJob(t, s, 5, j)
	node := fixture.Node()
	must(t, s.UpsertNode(6, node))
	a := fixture.Alloc(job, node, 0)
	a.ClientStatus = nomadlike.AllocClientStatusRunning
	must(t, s.UpsertPlanResults(7, &ApplyPlanResultsRequest{Job: job, AllocsUpdated: []*nomadlike.Allocation{a}}))

	err := s.DeleteNamespaces(8, []string{"empty", "team-a"})
	if !errors.Is(err, nomadlike.ErrConflict) || !strings.Contains(err.Error(), "non-terminal job") {
		t.Fatalf("delete team-a with a running job = %v, want a conflict", err)
	}
	if got := namespaceNames(t, s, ""); !reflect.DeepEqual(got, []string{"default", "empty", "team-a"}) {
		t.Fatalf("namespaces after a refused delete = %v (the batch must be all or none)", got)
	}

	stopped := job.Copy()
	stopped.Stop = true
	must(t, s.UpsertJob(9, stopped))
	err = s.DeleteNamespaces(10, []string{"team-a"})
	if !errors.Is(err, nomadlike.ErrConflict) || !strings.Contains(err.Error(), "non-terminal allocation") {
		t.Fatalf("delete team-a with a running allocation = %v, want a conflict", err)
	}
	stop := a.Copy()
	stop.DesiredStatus = nomadlike.AllocDesiredStatusStop
	must(t, s.UpsertPlanResults(11, &ApplyPlanResultsRequest{AllocsStopped: []*nomadlike.Allocation{stop}}))
	must(t, s.DeleteNamespaces(12, []string{"team-a"}))

	// The dead job stays until purged but cannot run again.
	rerun := job.Copy()
	rerun.Stop = false
	if err := s.UpsertJob(13, rerun); !errors.Is(err, nomadlike.ErrValidation) {
		t.Errorf("re-running a job of a deleted namespace = %v, want refused", err)
	}
}

// TestNamespacesSnapshotRoundTrip: namespaces survive a snapshot and
// restore (the FSM's snapshot is this dump).
func TestNamespacesSnapshotRoundTrip(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertNamespaces(4, []*nomadlike.Namespace{
		{Name: "team-a", Description: "A", Quota: "q", Meta: map[string]string{"k": "v"}},
		{Name: "default", Description: "changed"},
	}))
	var buf bytes.Buffer
	_, err := s.WriteTo(&buf)
	must(t, err)
	r, err := RestoreFrom(&buf)
	must(t, err)
	want, _ := s.Namespaces(nil, "")
	got, _ := r.Namespaces(nil, "")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("restored namespaces = %+v, want %+v", got, want)
	}
	if idx, _ := r.Index(TableNamespaces); idx != 4 {
		t.Errorf("restored namespaces index = %d, want 4", idx)
	}
}

// TestDeleteNamespaceWithVariablesRefused: a namespace that still holds
// variables is not deleted (the error names their count), a namespace
// whose name is a prefix of it is, and once its variables are deleted it
// can be deleted too.
func TestDeleteNamespaceWithVariablesRefused(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertNamespaces(4, []*nomadlike.Namespace{{Name: "team"}, {Name: "team-a"}}))
	k, _ := keyring.NewKey("k1", testTime)
	for i, p := range []string{"app/db", "app/web"} {
		must(t, s.VariableApply(uint64(5+i), VarOpSet, sealedVar(t, k, "team-a", p, "s3cret"), nil, 1))
	}
	err := s.DeleteNamespaces(8, []string{"team-a"})
	if !errors.Is(err, nomadlike.ErrConflict) || !strings.Contains(err.Error(), "holds 2 variable(s)") || !strings.Contains(err.Error(), "var purge") {
		t.Fatalf("delete team-a holding variables = %v, want a conflict naming 2 variables", err)
	}
	if got := namespaceNames(t, s, ""); !reflect.DeepEqual(got, []string{"default", "team", "team-a"}) {
		t.Fatalf("namespaces after a refused delete = %v", got)
	}
	must(t, s.DeleteNamespaces(9, []string{"team"})) // its name is a prefix: not blocked
	for i, p := range []string{"app/db", "app/web"} {
		must(t, s.VariableApply(uint64(10+i), VarOpDelete, &nomadlike.VariableEncrypted{Namespace: "team-a", Path: p}, nil, 2))
	}
	must(t, s.DeleteNamespaces(12, []string{"team-a"}))
}
