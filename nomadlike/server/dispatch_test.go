package server

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func TestDispatchJob(t *testing.T) {
	clock := newFakeClock(t0)
	s := clockServer(t, clock)
	registerNodes(t, s, 1, nil)
	parent := fixture.BatchJob(1)
	parent.ParameterizedJob = &nomadlike.ParameterizedJobConfig{Payload: nomadlike.DispatchPayloadRequired, MetaRequired: []string{"input"}, MetaOptional: []string{"profile"}}
	parent.TaskGroups[0].Tasks[0].DispatchPayload = &nomadlike.DispatchPayloadConfig{File: "input.json"}
	evalID, _, warnings, err := s.RegisterJob(parent, false, 0)
	if err != nil || evalID != "" || !strings.Contains(warnings, "dispatch") {
		t.Fatalf("RegisterJob(parameterized) = %q, %q, %v; want no eval and a dispatch hint", evalID, warnings, err)
	}
	plain := fixture.BatchJob(1)
	plainEval, _, _, err := s.RegisterJob(plain, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The plain job's scheduling writes in the background; let it finish
	// so that the index check below sees only what the dispatches write.
	poll.Until(t, 10*time.Second, "the plain job's evaluation complete", func() (bool, string) {
		e, _ := s.State().EvalByID(nil, plainEval)
		return e != nil && e.Status == nomadlike.EvalStatusComplete, fmt.Sprintf("eval %+v", e)
	})

	errCases := []struct {
		name string
		id   string
		req  nomadlike.DispatchRequest
		want error
		msg  string
	}{
		{"missing job", "nope", nomadlike.DispatchRequest{}, nomadlike.ErrJobNotFound, ""},
		{"not parameterized", plain.ID, nomadlike.DispatchRequest{}, nomadlike.ErrValidation, "not a parameterized job"},
		{"missing meta", parent.ID, nomadlike.DispatchRequest{Payload: []byte("{}")}, nomadlike.ErrValidation, `Meta: missing required key "input"`},
		{"unknown meta", parent.ID, nomadlike.DispatchRequest{Payload: []byte("{}"), Meta: map[string]string{"input": "a", "x": "1"}}, nomadlike.ErrValidation, `Meta: unknown key "x"`},
		{"missing payload", parent.ID, nomadlike.DispatchRequest{Meta: map[string]string{"input": "a"}}, nomadlike.ErrValidation, "Payload: required"},
	}
	before, _ := s.State().LatestIndex()
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := s.DispatchJob(nomadlike.DefaultNamespace, tc.id, tc.req)
			if !errors.Is(err, tc.want) || !strings.Contains(fmt.Sprint(err), tc.msg) {
				t.Errorf("DispatchJob = %v, want %v containing %q", err, tc.want, tc.msg)
			}
		})
	}
	if after, _ := s.State().LatestIndex(); after != before {
		t.Fatalf("refused dispatches wrote to the state: index %d -> %d", before, after)
	}

	childID, evalID, index, err := s.DispatchJob(parent.Namespace, parent.ID, nomadlike.DispatchRequest{
		Payload: []byte(`{"n": 1}`), Meta: map[string]string{"input": "s3://x"}, IDPrefixTemplate: "t1"})
	if err != nil || evalID == "" || index == 0 {
		t.Fatalf("DispatchJob = %q %q %d %v", childID, evalID, index, err)
	}
	if want := fmt.Sprintf("%s/dispatch-t1-%d-", parent.ID, t0.Unix()); !strings.HasPrefix(childID, want) {
		t.Errorf("child ID = %q, want prefix %q", childID, want)
	}
	child, _ := s.State().JobByID(nil, parent.Namespace, childID)
	if child == nil || !child.Dispatched || child.ParentID != parent.ID || string(child.Payload) != `{"n": 1}` ||
		child.Meta["input"] != "s3://x" || child.CreateIndex != index {
		t.Fatalf("dispatched child = %+v", child)
	}
	poll.Until(t, 10*time.Second, "the child placed and counted", func() (bool, string) {
		live := liveAllocs(t, s, child)
		sum, _ := s.State().JobSummaryByID(nil, parent.Namespace, parent.ID)
		c := sum.Children
		return len(live) == 1 && c != nil && c.Pending+c.Running == 1, fmt.Sprintf("%d live allocs, children %+v", len(live), c)
	})

	// A stopped parent cannot be dispatched.
	if _, _, err := s.DeregisterJob(parent.Namespace, parent.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.DispatchJob(parent.Namespace, parent.ID, nomadlike.DispatchRequest{Payload: []byte("x"), Meta: map[string]string{"input": "a"}}); !errors.Is(err, nomadlike.ErrConflict) {
		t.Errorf("DispatchJob(stopped) = %v, want ErrConflict", err)
	}
}
