package server

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestNamespaceJobRefusal: register and plan refuse a job in a namespace
// that does not exist, naming Job.Namespace; nothing is written.
func TestNamespaceJobRefusal(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	job := fixture.Job()
	job.Namespace = "team-a"
	before, _ := s.State().LatestIndex()
	_, _, _, err := s.RegisterJob(job, false, 0)
	if !errors.Is(err, nomadlike.ErrValidation) || !strings.Contains(err.Error(), `Job.Namespace: namespace "team-a" does not exist`) {
		t.Fatalf("RegisterJob in unknown namespace = %v", err)
	}
	if _, err := s.PlanJob(job, false); !errors.Is(err, nomadlike.ErrValidation) || !strings.Contains(err.Error(), "Job.Namespace") {
		t.Fatalf("PlanJob in unknown namespace = %v", err)
	}
	if after, _ := s.State().LatestIndex(); after != before {
		t.Errorf("state index moved from %d to %d: a refused register wrote something", before, after)
	}
	if _, err := s.UpsertNamespaces([]*nomadlike.Namespace{{Name: "team-a"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
		t.Fatalf("RegisterJob after creating the namespace: %v", err)
	}
	if _, err := s.UpsertNamespaces([]*nomadlike.Namespace{{Name: "a b"}}); !errors.Is(err, nomadlike.ErrValidation) || !strings.Contains(err.Error(), "Namespaces[0].Name") {
		t.Errorf("UpsertNamespaces(bad name) = %v", err)
	}
}

// TestNamespaceDeleteRacesRegister: a namespace delete and a job register
// sent at the same time never leave a job in a namespace that does not
// exist: the FSM checks both in the transaction that writes.
func TestNamespaceDeleteRacesRegister(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	for i := range 20 {
		ns := fmt.Sprintf("race-%d", i)
		if _, err := s.UpsertNamespaces([]*nomadlike.Namespace{{Name: ns}}); err != nil {
			t.Fatal(err)
		}
		job := fixture.Job()
		job.Namespace = ns
		var wg sync.WaitGroup
		var regErr, delErr error
		wg.Add(2)
		go func() { defer wg.Done(); _, _, _, regErr = s.RegisterJob(job, false, 0) }()
		go func() { defer wg.Done(); _, delErr = s.DeleteNamespaces([]string{ns}) }()
		wg.Wait()
		st := s.State()
		got, _ := st.JobByID(nil, ns, job.ID)
		n, _ := st.NamespaceByName(nil, ns)
		if got != nil && n == nil {
			t.Fatalf("%s: job stored in a deleted namespace (register %v, delete %v)", ns, regErr, delErr)
		}
		if (regErr == nil) == (delErr == nil) {
			t.Fatalf("%s: register %v and delete %v: exactly one should win", ns, regErr, delErr)
		}
	}
}
