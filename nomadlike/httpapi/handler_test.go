package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

type testAPI struct {
	fake   *httpapitest.Server
	srv    *httptest.Server
	client *api.Client
}

func newTestAPI(t *testing.T, fake *httpapitest.Server, mutate ...func(*httpapi.Config)) *testAPI {
	t.Helper()
	cfg := httpapi.Config{Server: fake, Agent: &httpapitest.Agent{Healthy: true}}
	for _, m := range mutate {
		m(&cfg)
	}
	srv := httptest.NewServer(httpapi.New(cfg))
	t.Cleanup(srv.Close)
	c, err := api.NewClient(api.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return &testAPI{fake: fake, srv: srv, client: c}
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// do sends a raw request and returns status, headers and body.
func (ta *testAPI) do(t *testing.T, method, path, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, ta.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestJobLifecycle(t *testing.T) {
	ta := newTestAPI(t, httpapitest.NewServer())
	ctx := testCtx(t)
	job := fixture.Job()

	reg, wm, err := ta.client.Jobs().Register(ctx, job, nil)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	if reg.EvalID == "" || reg.Index == 0 || wm.LastIndex != reg.Index || reg.JobModifyIndex != reg.Index {
		t.Fatalf("Register = %+v, meta %+v; want an eval ID and equal indexes", reg, wm)
	}

	got, qm, err := ta.client.Jobs().Info(ctx, job.ID, nil)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if got.ID != job.ID || got.Version != 0 || qm.LastIndex != reg.Index || !qm.KnownLeader {
		t.Errorf("Info = %s v%d, meta %+v", got.ID, got.Version, qm)
	}

	list, _, err := ta.client.Jobs().List(ctx, &api.QueryOptions{Prefix: job.ID[:6]})
	if err != nil || len(list) != 1 || list[0].ID != job.ID || list[0].JobSummary == nil {
		t.Fatalf("List(prefix) = %+v, %v; want the job with its summary", list, err)
	}
	evals, _, err := ta.client.Jobs().Evaluations(ctx, job.ID, nil)
	if err != nil || len(evals) != 1 || evals[0].ID != reg.EvalID {
		t.Fatalf("Evaluations = %v, %v; want [%s]", evals, err, reg.EvalID)
	}
	sum, _, err := ta.client.Jobs().Summary(ctx, job.ID, nil)
	if err != nil || sum.JobID != job.ID {
		t.Fatalf("Summary = %+v, %v", sum, err)
	}

	// A second version, then versions with diffs.
	job2 := job.Copy()
	job2.TaskGroups[0].Count = 5
	if _, _, err := ta.client.Jobs().Register(ctx, job2, nil); err != nil {
		t.Fatalf("Register v1: %v", err)
	}
	versions, diffs, _, err := ta.client.Jobs().Versions(ctx, job.ID, true, nil)
	if err != nil || len(versions) != 2 || len(diffs) != 1 {
		t.Fatalf("Versions = %d versions, %d diffs, %v; want 2, 1", len(versions), len(diffs), err)
	}
	if versions[0].Version != 1 || diffs[0].Type != api.DiffTypeEdited || len(diffs[0].TaskGroups) != 1 ||
		len(diffs[0].TaskGroups[0].Fields) != 1 || diffs[0].TaskGroups[0].Fields[0].Name != "Count" {
		t.Errorf("Versions diff = %+v", diffs[0])
	}

	// Check-index: a stale index is a 409.
	_, _, err = ta.client.Jobs().EnforceRegister(ctx, job2, true, reg.JobModifyIndex, nil)
	var se *api.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusConflict {
		t.Fatalf("EnforceRegister(stale) = %v, want 409", err)
	}

	if _, _, err := ta.client.Jobs().Deregister(ctx, job.ID, false, nil); err != nil {
		t.Fatalf("Deregister: %v", err)
	}
	got, _, _ = ta.client.Jobs().Info(ctx, job.ID, nil)
	if got == nil || !got.Stop {
		t.Fatalf("after Deregister, job Stop = false, want true")
	}
	if _, _, err := ta.client.Jobs().Deregister(ctx, job.ID, true, nil); err != nil {
		t.Fatalf("Deregister(purge): %v", err)
	}
	if _, _, err := ta.client.Jobs().Info(ctx, job.ID, nil); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("Info after purge = %v, want not found", err)
	}
}

func TestBadRequests(t *testing.T) {
	ta := newTestAPI(t, httpapitest.NewServer())
	job := fixture.Job()
	good, _ := json.Marshal(map[string]any{"Job": job})
	cases := []struct {
		name, method, path, body string
		code                     int
		want                     string
	}{
		{"type error names field path", "PUT", "/v1/jobs",
			`{"Job": {"ID": "x", "TaskGroups": [{"Name": "a", "Count": "three"}]}}`, 400, "Job.TaskGroups[0].Count: cannot unmarshal string into int"},
		{"syntax error", "PUT", "/v1/jobs", `{"Job": `, 400, "malformed JSON"},
		{"empty body", "PUT", "/v1/jobs", ``, 400, "empty"},
		{"no job", "PUT", "/v1/jobs", `{}`, 400, "Job: missing"},
		{"validation", "PUT", "/v1/jobs", `{"Job": {"ID": "x"}}`, 400, "TaskGroups"},
		{"path mismatch", "PUT", "/v1/job/other", string(good), 400, "does not match"},
		{"unknown job", "GET", "/v1/job/nope", ``, 404, "not found"},
		{"unknown eval", "GET", "/v1/evaluation/nope", ``, 404, "not found"},
		{"unknown node", "GET", "/v1/node/nope", ``, 404, "not found"},
		{"wrong method", "DELETE", "/v1/jobs", ``, 405, ""},
		{"wrong method on item", "PATCH", "/v1/job/x", ``, 405, ""},
		{"bad index", "GET", "/v1/jobs?index=abc", ``, 400, "index"},
		{"bad wait", "GET", "/v1/jobs?index=1&wait=forever", ``, 400, "wait"},
		{"bad eligibility", "POST", "/v1/node/x/eligibility", `{"Eligibility": "maybe"}`, 400, "Eligibility"},
		{"bad search context", "POST", "/v1/search", `{"Prefix": "a", "Context": "planets"}`, 400, "Context"},
		{"unknown node drain", "POST", "/v1/node/nope/drain", `{"DrainSpec": {"Deadline": 0}}`, 404, "not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := ta.fake.State().LatestIndex()
			code, _, body := ta.do(t, tc.method, tc.path, tc.body)
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Errorf("%s %s = %d %q, want %d containing %q", tc.method, tc.path, code, body, tc.code, tc.want)
			}
			if after, _ := ta.fake.State().LatestIndex(); after != before {
				t.Errorf("%s %s changed the state (index %d -> %d)", tc.method, tc.path, before, after)
			}
		})
	}
}

func TestBlockingQuery(t *testing.T) {
	ta := newTestAPI(t, httpapitest.NewServer())
	ctx := testCtx(t)
	_, qm, err := ta.client.Jobs().List(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}

	// Nothing changes: the query waits for ?wait, then answers the same index.
	start := time.Now()
	_, qm2, err := ta.client.Jobs().List(ctx, &api.QueryOptions{WaitIndex: qm.LastIndex, WaitTime: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("blocking query returned after %s, want >= 100ms", d)
	}
	if qm2.LastIndex != qm.LastIndex {
		t.Errorf("index = %d after timeout, want %d", qm2.LastIndex, qm.LastIndex)
	}

	// A write wakes the query up with a newer index.
	type result struct {
		jobs []*nomadlike.JobListStub
		qm   *api.QueryMeta
		err  error
	}
	done := make(chan result, 1)
	go func() {
		jobs, qm, err := ta.client.Jobs().List(ctx, &api.QueryOptions{WaitIndex: qm.LastIndex, WaitTime: 10 * time.Second})
		done <- result{jobs, qm, err}
	}()
	job := fixture.Job()
	reg, _, err := ta.client.Jobs().Register(ctx, job, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil || len(r.jobs) != 1 || r.qm.LastIndex < reg.Index {
			t.Fatalf("woken query = %v jobs, meta %+v, %v; want the job at index >= %d", len(r.jobs), r.qm, r.err, reg.Index)
		}
	case <-ctx.Done():
		t.Fatal("blocking query did not wake up on the write")
	}

	// An eval blocking query wakes on a change of that eval.
	ev, qm3, err := ta.client.Evaluations().Info(ctx, reg.EvalID, nil)
	if err != nil {
		t.Fatal(err)
	}
	evDone := make(chan *nomadlike.Evaluation, 1)
	go func() {
		e, _, err := ta.client.Evaluations().Info(ctx, reg.EvalID, &api.QueryOptions{WaitIndex: qm3.LastIndex, WaitTime: 10 * time.Second})
		if err != nil {
			e = nil
		}
		evDone <- e
	}()
	upd := ev.Copy()
	upd.Status = nomadlike.EvalStatusComplete
	if _, err := ta.fake.Apply(func(st *state.StateStore, index uint64) error {
		return st.UpsertEvals(index, []*nomadlike.Evaluation{upd})
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-evDone:
		if e == nil || e.Status != nomadlike.EvalStatusComplete {
			t.Fatalf("woken eval = %+v, want complete", e)
		}
	case <-ctx.Done():
		t.Fatal("eval blocking query did not wake up")
	}
}

func TestForwarding(t *testing.T) {
	leader := newTestAPI(t, httpapitest.NewServer())
	followerFake := httpapitest.NewServer()
	followerFake.SetLeader(false, leader.srv.URL)
	follower := newTestAPI(t, followerFake, func(c *httpapi.Config) { c.LeaderHoldTimeout = 50 * time.Millisecond })
	ctx := testCtx(t)

	job := fixture.Job()
	reg, wm, err := follower.client.Jobs().Register(ctx, job, nil)
	if err != nil {
		t.Fatalf("Register through follower: %v", err)
	}
	if leader.fake.Registered() != 1 || followerFake.Registered() != 0 || wm.LastIndex != reg.Index {
		t.Fatalf("register landed on leader %d times, follower %d; index %d/%d", leader.fake.Registered(), followerFake.Registered(), wm.LastIndex, reg.Index)
	}
	// A consistent read through the follower is served by the leader.
	if _, _, err := follower.client.Jobs().Info(ctx, job.ID, nil); err != nil {
		t.Fatalf("consistent Info through follower: %v", err)
	}
	// A stale read is served from the follower's own (empty) state.
	_, qm, err := follower.client.Jobs().Info(ctx, job.ID, &api.QueryOptions{AllowStale: true})
	if !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("stale Info on follower = %v, want 404 from local state", err)
	}
	_ = qm
	code, hdr, _ := follower.do(t, "GET", "/v1/jobs?stale", "")
	if code != 200 || hdr.Get("X-Nomad-KnownLeader") != "true" || hdr.Get("X-Nomad-LastContact") != "20" {
		t.Errorf("stale list headers = %d %v", code, hdr)
	}

	// No known leader: a clear 500.
	followerFake.SetLeader(false, "")
	code, _, body := follower.do(t, "GET", "/v1/jobs", "")
	if code != 500 || !strings.Contains(body, "no cluster leader") {
		t.Errorf("read with no leader = %d %q, want 500 no cluster leader", code, body)
	}
}

func TestAllocsNodesEvals(t *testing.T) {
	ta := newTestAPI(t, httpapitest.NewServer())
	ctx := testCtx(t)
	node := fixture.Node()
	reg, err := ta.client.RegisterNode(ctx, node)
	if err != nil || reg.NodeID != node.ID || reg.HeartbeatTTL != 10*time.Second {
		t.Fatalf("RegisterNode = %+v, %v", reg, err)
	}
	if _, err := ta.client.Heartbeat(ctx, node.ID, node.SecretID, nomadlike.NodeStatusReady); err != nil {
		t.Fatalf("Heartbeat: %v", err)
	}
	job := fixture.Job()
	jr, _, err := ta.client.Jobs().Register(ctx, job, nil)
	if err != nil {
		t.Fatal(err)
	}
	stored, _, _ := ta.client.Jobs().Info(ctx, job.ID, nil)
	a := fixture.Alloc(stored, node, 0)
	a.EvalID = jr.EvalID
	a.ClientStatus = nomadlike.AllocClientStatusPending
	ta.fake.PutAlloc(a)

	// Node info hides the secret.
	n, _, err := ta.client.Nodes().Info(ctx, node.ID[:8], nil)
	if err != nil || n.ID != node.ID || n.SecretID != "" {
		t.Fatalf("Nodes().Info(prefix) = %+v, %v; want the node without its secret", n, err)
	}
	nodeAllocs, _, err := ta.client.Nodes().Allocations(ctx, node.ID, nil)
	if err != nil || len(nodeAllocs) != 1 || nodeAllocs[0].Job == nil {
		t.Fatalf("Nodes().Allocations = %v, %v; want one alloc with its job", nodeAllocs, err)
	}
	evAllocs, _, err := ta.client.Evaluations().Allocations(ctx, jr.EvalID, nil)
	if err != nil || len(evAllocs) != 1 || evAllocs[0].ID != a.ID {
		t.Fatalf("Evaluations().Allocations = %v, %v", evAllocs, err)
	}
	jobAllocs, _, err := ta.client.Jobs().Allocations(ctx, job.ID, false, nil)
	if err != nil || len(jobAllocs) != 1 {
		t.Fatalf("Jobs().Allocations = %v, %v", jobAllocs, err)
	}

	// Client update, then alloc info by prefix.
	upd := &nomadlike.Allocation{ID: a.ID, ClientStatus: nomadlike.AllocClientStatusRunning}
	if _, err := ta.client.UpdateAllocs(ctx, node.SecretID, []*nomadlike.Allocation{upd}); err != nil {
		t.Fatalf("UpdateAllocs: %v", err)
	}
	var got nomadlike.Allocation
	if _, err := ta.client.Query(ctx, "/v1/allocation/"+a.ID[:8], &got, nil); err != nil || got.ClientStatus != nomadlike.AllocClientStatusRunning {
		t.Fatalf("allocation by prefix = %s, %v; want running", got.ClientStatus, err)
	}
	var stop api.AllocStopResponse
	if _, err := ta.client.Write(ctx, "POST", "/v1/allocation/"+a.ID+"/stop", nil, &stop, nil); err != nil || stop.EvalID == "" {
		t.Fatalf("alloc stop = %+v, %v", stop, err)
	}

	// Drain and eligibility.
	if _, err := ta.client.Nodes().UpdateDrain(ctx, node.ID, &api.DrainSpec{Deadline: time.Hour}, false, nil); err != nil {
		t.Fatalf("UpdateDrain: %v", err)
	}
	n, _, _ = ta.client.Nodes().Info(ctx, node.ID, nil)
	if n.DrainStrategy == nil || n.DrainStrategy.Deadline != time.Hour || n.SchedulingEligibility != nomadlike.NodeSchedulingIneligible {
		t.Errorf("after drain: strategy %+v eligibility %s", n.DrainStrategy, n.SchedulingEligibility)
	}
	if _, err := ta.client.Nodes().UpdateDrain(ctx, node.ID, nil, true, nil); err != nil {
		t.Fatalf("UpdateDrain(cancel): %v", err)
	}
	if _, err := ta.client.Nodes().ToggleEligibility(ctx, node.ID, false, nil); err != nil {
		t.Fatalf("ToggleEligibility: %v", err)
	}
	n, _, _ = ta.client.Nodes().Info(ctx, node.ID, nil)
	if n.DrainStrategy != nil || n.SchedulingEligibility != nomadlike.NodeSchedulingIneligible {
		t.Errorf("after cancel+ineligible: strategy %+v eligibility %s", n.DrainStrategy, n.SchedulingEligibility)
	}

	// Ambiguous prefixes are a 400 naming the candidates.
	other := fixture.Alloc(stored, node, 1)
	other.ID = a.ID[:4] + other.ID[4:]
	ta.fake.PutAlloc(other)
	code, _, body := ta.do(t, "GET", "/v1/allocation/"+a.ID[:4], "")
	if code != 400 || !strings.Contains(body, a.ID) || !strings.Contains(body, other.ID) {
		t.Errorf("ambiguous prefix = %d %q", code, body)
	}

	// Search.
	res, _, err := ta.client.Search().PrefixSearch(ctx, node.ID[:3], api.SearchNodes, nil)
	if err != nil || len(res.Matches[api.SearchNodes]) != 1 {
		t.Fatalf("PrefixSearch = %+v, %v", res, err)
	}
	res, _, err = ta.client.Search().PrefixSearch(ctx, job.ID, api.SearchAll, nil)
	if err != nil || len(res.Matches[api.SearchJobs]) != 1 || res.Matches[api.SearchJobs][0] != job.ID {
		t.Fatalf("PrefixSearch(all) = %+v, %v", res, err)
	}
}

func TestPlan(t *testing.T) {
	ta := newTestAPI(t, httpapitest.NewServer())
	ctx := testCtx(t)
	job := fixture.Job()
	resp, _, err := ta.client.Jobs().Plan(ctx, job, true, nil)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if resp.Diff == nil || resp.Diff.Type != api.DiffTypeAdded || resp.Annotations.DesiredTGUpdates["web"].Place != 3 {
		t.Fatalf("Plan = diff %+v annotations %+v", resp.Diff, resp.Annotations)
	}
	if _, _, err := ta.client.Jobs().Register(ctx, job, nil); err != nil {
		t.Fatal(err)
	}
	resp, _, err = ta.client.Jobs().Plan(ctx, job, true, nil)
	if err != nil || resp.Diff.Type != api.DiffTypeNone {
		t.Fatalf("Plan(unchanged) = %+v, %v; want diff None", resp.Diff, err)
	}
	ev, _, err := ta.client.Jobs().ForceEvaluate(ctx, job.ID, api.EvalOptions{}, nil)
	if err != nil || ev.EvalID == "" {
		t.Fatalf("ForceEvaluate = %+v, %v", ev, err)
	}
}

func TestStatusAgentOperator(t *testing.T) {
	ta := newTestAPI(t, httpapitest.NewServer())
	ctx := testCtx(t)
	leader, err := ta.client.Status().Leader(ctx)
	if err != nil || leader != "127.0.0.1:4647" {
		t.Fatalf("Leader = %q, %v", leader, err)
	}
	peers, err := ta.client.Status().Peers(ctx)
	if err != nil || len(peers) != 1 {
		t.Fatalf("Peers = %v, %v", peers, err)
	}
	rc, err := ta.client.Operator().RaftConfiguration(ctx, nil)
	if err != nil || len(rc.Servers) != 1 || !rc.Servers[0].Leader {
		t.Fatalf("RaftConfiguration = %+v, %v", rc, err)
	}
	m, err := ta.client.Agent().Members(ctx)
	if err != nil || len(m.Members) != 1 {
		t.Fatalf("Members = %+v, %v", m, err)
	}
	if h, err := ta.client.Agent().Health(ctx); err != nil || !h.Server.OK {
		t.Fatalf("Health = %+v, %v", h, err)
	}
	self, err := ta.client.Agent().Self(ctx)
	if err != nil || self.Member.Name != "s1.global" {
		t.Fatalf("Self = %+v, %v", self, err)
	}
	var join map[string]any
	if _, err := ta.client.Write(ctx, "PUT", "/v1/operator/raft/join", httpapi.RaftJoinRequest{ID: "s2", Address: "127.0.0.1:5647"}, &join, nil); err != nil {
		t.Fatalf("raft join: %v", err)
	}
	if peers, _ := ta.client.Status().Peers(ctx); len(peers) != 2 {
		t.Errorf("peers after join = %v", peers)
	}

	// Snapshot save, change the state, restore: the change is gone.
	job := fixture.Job()
	if _, _, err := ta.client.Jobs().Register(ctx, job, nil); err != nil {
		t.Fatal(err)
	}
	rd, err := ta.client.Operator().SnapshotSave(ctx, nil)
	if err != nil {
		t.Fatalf("SnapshotSave: %v", err)
	}
	snap, err := io.ReadAll(rd)
	rd.Close()
	if err != nil || len(snap) == 0 {
		t.Fatalf("snapshot read: %d bytes, %v", len(snap), err)
	}
	if _, _, err := ta.client.Jobs().Deregister(ctx, job.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ta.client.Operator().SnapshotRestore(ctx, bytes.NewReader(snap), nil); err != nil {
		t.Fatalf("SnapshotRestore: %v", err)
	}
	if _, _, err := ta.client.Jobs().Info(ctx, job.ID, nil); err != nil {
		t.Fatalf("job after restore: %v", err)
	}

	// Metrics in JSON and Prometheus text.
	var ms httpapi.MetricsSummary
	if _, err := ta.client.Query(ctx, "/v1/metrics", &ms, nil); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, g := range ms.Gauges {
		if g.Name == "nomad.nomad.job_status.pending" && g.Value == 1 {
			found = true
		}
	}
	if !found {
		t.Errorf("metrics gauges %+v: want nomad.nomad.job_status.pending = 1", ms.Gauges)
	}
	code, _, body := ta.do(t, "GET", "/v1/metrics?format=prometheus", "")
	if code != 200 || !strings.Contains(body, "nomad_nomad_job_status_pending 1") ||
		!strings.Contains(body, `nomad_http_requests{code="200",route="PUT /v1/jobs"}`) {
		t.Errorf("prometheus metrics = %d\n%s", code, body)
	}
}

func TestAgentHealthUnhealthy(t *testing.T) {
	ta := newTestAPI(t, httpapitest.NewServer(), func(c *httpapi.Config) { c.Agent = &httpapitest.Agent{Healthy: false} })
	code, _, body := ta.do(t, "GET", "/v1/agent/health", "")
	if code != 500 || !strings.Contains(body, `"ok":false`) {
		t.Errorf("unhealthy health = %d %q", code, body)
	}
}

func TestClientRoutes(t *testing.T) {
	fake := httpapitest.NewServer()
	localNode := fixture.Node()
	local := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "local:"+r.URL.Path)
	})
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "remote:"+r.URL.Path+":"+r.Header.Get("X-Nomadlike-Forwarded"))
	}))
	t.Cleanup(remote.Close)
	ta := newTestAPI(t, fake, func(c *httpapi.Config) {
		c.Client = local
		c.NodeID = func() string { return localNode.ID }
	})
	remoteNode := fixture.Node()
	remoteNode.HTTPAddr = strings.TrimPrefix(remote.URL, "http://")
	for _, n := range []*nomadlike.Node{localNode, remoteNode} {
		if _, _, err := fake.RegisterNode(n, "127.0.0.1"); err != nil {
			t.Fatal(err)
		}
	}
	job := fixture.Job()
	if _, _, _, err := fake.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	stored, _ := fake.State().JobByID(nil, job.Namespace, job.ID)
	la, ra := fixture.Alloc(stored, localNode, 0), fixture.Alloc(stored, remoteNode, 1)
	fake.PutAlloc(la)
	fake.PutAlloc(ra)

	cases := []struct{ path, want string }{
		{"/v1/client/allocation/" + la.ID + "/stats", "local:/v1/client/allocation/" + la.ID + "/stats"},
		{"/v1/client/allocation/" + ra.ID + "/stats", "remote:/v1/client/allocation/" + ra.ID + "/stats:1"},
		{"/v1/client/fs/logs/" + ra.ID, "remote:/v1/client/fs/logs/" + ra.ID + ":1"},
		{"/v1/client/stats", "local:/v1/client/stats"},
		{"/v1/client/stats?node_id=" + remoteNode.ID, "remote:/v1/client/stats:1"},
	}
	for _, tc := range cases {
		code, _, body := ta.do(t, "GET", tc.path, "")
		if code != 200 || body != tc.want {
			t.Errorf("GET %s = %d %q, want %q", tc.path, code, body, tc.want)
		}
	}
	code, _, _ := ta.do(t, "GET", "/v1/client/allocation/nope/stats", "")
	if code != 404 {
		t.Errorf("unknown alloc = %d, want 404", code)
	}
}

func TestClientOnlyAgentForwards(t *testing.T) {
	server := newTestAPI(t, httpapitest.NewServer())
	clientOnly := newTestAPI(t, nil, func(c *httpapi.Config) {
		c.Server = nil
		c.Servers = []string{strings.TrimPrefix(server.srv.URL, "http://")}
	})
	ctx := testCtx(t)
	job := fixture.Job()
	if _, _, err := clientOnly.client.Jobs().Register(ctx, job, nil); err != nil {
		t.Fatalf("Register through client-only agent: %v", err)
	}
	if server.fake.Registered() != 1 {
		t.Fatalf("server saw %d registrations, want 1", server.fake.Registered())
	}
}

func TestJobIDWithSlash(t *testing.T) {
	ta := newTestAPI(t, httpapitest.NewServer())
	ctx := testCtx(t)
	job := fixture.Job()
	// A periodic child: the one kind of job whose ID holds a '/'.
	job.ParentID = "batch"
	job.ID = "batch/periodic-1700000000"
	job.Name = job.ID
	if _, _, err := ta.client.Jobs().Register(ctx, job, nil); err != nil {
		t.Fatalf("Register: %v", err)
	}
	got, _, err := ta.client.Jobs().Info(ctx, job.ID, nil)
	if err != nil || got.ID != job.ID {
		t.Fatalf("Info(%q) = %v, %v", job.ID, got, err)
	}
	if _, _, err := ta.client.Jobs().Summary(ctx, job.ID, nil); err != nil {
		t.Fatalf("Summary(%q): %v", job.ID, err)
	}
	// Through a follower, which forwards to the leader.
	followerFake := httpapitest.NewServer()
	followerFake.SetLeader(false, ta.srv.URL)
	follower := newTestAPI(t, followerFake)
	if got, _, err := follower.client.Jobs().Info(ctx, job.ID, nil); err != nil || got.ID != job.ID {
		t.Fatalf("Info(%q) via follower = %v, %v", job.ID, got, err)
	}
}

// electingBackend is a follower that learns the leader only on its third
// Leader() call, as a server during an election does.
type electingBackend struct {
	*httpapitest.Server
	leaderURL string
	calls     atomic.Int32
}

func (e *electingBackend) Leader() (string, string) {
	if e.calls.Add(1) == 3 {
		e.SetLeader(false, e.leaderURL)
	}
	return e.Server.Leader()
}

// TestForwardWaitsForElection: a request that needs the leader while none
// is known waits for one (LeaderHoldTimeout) instead of failing, so a node
// registering during the first election is served when the leader is up.
func TestForwardWaitsForElection(t *testing.T) {
	leader := newTestAPI(t, httpapitest.NewServer())
	fake := httpapitest.NewServer()
	fake.SetLeader(false, "")
	srv := httptest.NewServer(httpapi.New(httpapi.Config{
		Server: &electingBackend{Server: fake, leaderURL: leader.srv.URL},
		Agent:  &httpapitest.Agent{Healthy: true},
	}))
	t.Cleanup(srv.Close)
	follower := &testAPI{fake: fake, srv: srv}
	if code, _, body := follower.do(t, "GET", "/v1/jobs", ""); code != 200 {
		t.Fatalf("read during an election = %d %q, want 200 once the leader is known", code, body)
	}
}
