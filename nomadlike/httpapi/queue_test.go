package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
	"github.com/nomadlike/nomadlike/nomadlike/queue"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// queueFake is a fake server holding one node and two jobs too big for it
// ("low" at priority 10, "high" at 90), each with a blocked evaluation.
func queueFake(t *testing.T) (*httpapitest.Server, *nomadlike.Node) {
	t.Helper()
	fake := httpapitest.NewServer()
	node := fixture.Node()
	big := func(id string, prio int) *nomadlike.Job {
		j := fixture.BatchJob(1)
		j.ID, j.Name, j.Priority = id, id, prio
		j.TaskGroups[0].Tasks[0].Resources.MemoryMB = int(node.Comparable().MemoryMB) + 1
		return j
	}
	_, err := fake.Apply(func(st *state.StateStore, index uint64) error {
		if err := st.UpsertNode(index, node); err != nil {
			return err
		}
		var evals []*nomadlike.Evaluation
		for _, j := range []*nomadlike.Job{big("low", 10), big("high", 90)} {
			if err := st.UpsertJob(index, j); err != nil {
				return err
			}
			evals = append(evals, &nomadlike.Evaluation{ID: nomadlike.GenerateUUID(), Namespace: j.Namespace, JobID: j.ID,
				Priority: j.Priority, Type: j.Type, Status: nomadlike.EvalStatusBlocked, JobModifyIndex: index,
				FailedTGAllocs: map[string]*nomadlike.AllocMetric{j.TaskGroups[0].Name: {NodesEvaluated: 1, NodesExhausted: 1}}})
		}
		return st.UpsertEvals(index, evals)
	})
	if err != nil {
		t.Fatal(err)
	}
	return fake, node
}

// TestQueueEndpointACL: with ACLs on, list-jobs in the namespace reads the
// queue; the reasons name the node only for a token that may read nodes.
func TestQueueEndpointACL(t *testing.T) {
	fake, node := queueFake(t)
	ta := newTestAPI(t, fake, func(c *httpapi.Config) { c.ACL = newFakeResolver(t) })
	cases := []struct {
		tok   string
		code  int
		named bool
	}{
		{"mgmt", http.StatusOK, true},
		{"cap:list-jobs", http.StatusOK, false},
		{"cap:read-logs", http.StatusForbidden, false},
	}
	for _, tc := range cases {
		t.Run(tc.tok, func(t *testing.T) {
			code, out := ta.send(t, http.MethodGet, "/v1/queue", nil, "X-Nomad-Token", tc.tok)
			if code != tc.code {
				t.Fatalf("GET /v1/queue with %s = %d %s, want %d", tc.tok, code, out, tc.code)
			}
			if code == http.StatusOK && strings.Contains(out, "on "+node.Name) != tc.named {
				t.Errorf("GET /v1/queue with %s names the node = %v, want %v: %s", tc.tok, !tc.named, tc.named, out)
			}
		})
	}
}

// TestQueueEndpoint: GET /v1/queue lists the jobs with a blocked
// evaluation in placement order with their reason; the jobs carrying
// nomadlike's depends_on and max_concurrent still decode as Nomad's api.Job.
func TestQueueEndpoint(t *testing.T) {
	fake, _ := queueFake(t)
	ta := newTestAPI(t, fake)
	ctx := testCtx(t)
	l, _, err := ta.client.Queue(ctx, &api.QueryOptions{Namespace: "*"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Total != 2 || len(l.Entries) != 2 || l.Entries[0].JobID != "high" || l.Entries[1].JobID != "low" {
		t.Fatalf("queue = %+v, want high then low", l)
	}
	if got := l.Entries[1].Status; !strings.HasPrefix(got, "queued: 2nd of 2 at priority 10; no node has ") {
		t.Errorf("low's status = %q", got)
	}
	code, _, body := ta.do(t, http.MethodGet, "/v1/queue?namespace=other", "")
	var other queue.Listing
	if code != http.StatusOK || json.Unmarshal([]byte(body), &other) != nil || len(other.Entries) != 0 || other.Total != 2 {
		t.Errorf("GET /v1/queue?namespace=other = %d %s", code, body)
	}

	// Nomad's api.Job reads a job with nomadlike's additions.
	dep := fixture.BatchJob(1)
	dep.ID, dep.Name = "deploy", "deploy"
	dep.DependsOn = []*nomadlike.JobDependency{{Job: "low", Condition: nomadlike.DependsSuccess}}
	dep.ParameterizedJob = &nomadlike.ParameterizedJobConfig{Payload: nomadlike.DispatchPayloadOptional, MaxConcurrent: 2}
	if _, _, err := ta.client.Jobs().Register(ctx, dep, nil); err != nil {
		t.Fatal(err)
	}
	code, _, body = ta.do(t, http.MethodGet, "/v1/job/deploy", "")
	var nj nomadapi.Job
	if code != http.StatusOK || json.Unmarshal([]byte(body), &nj) != nil || nj.ParameterizedJob == nil || *nj.ID != "deploy" {
		t.Fatalf("GET /v1/job/deploy as Nomad's api.Job: %d %s", code, body)
	}
	if !strings.Contains(body, `"MaxConcurrent":2`) || !strings.Contains(body, `"DependsOn":[{"Job":"low","Condition":"success"}]`) {
		t.Errorf("job JSON lacks nomadlike's fields: %s", body)
	}
}
