package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"testing"
	"time"

	napi "github.com/hashicorp/nomad/api"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// TestNomadAPIClient drives a real dev agent running a real raw_exec job
// only through Nomad's own Go client (github.com/hashicorp/nomad/api):
// plan, register, a blocking allocation list, alloc info, logs, nodes,
// evaluations, deregister with purge. Nomad's CLI is built on these calls,
// so they failing means `nomad` cannot talk to nomadlike.
//
// Then every answer the API gives is decoded into Nomad's type for it and
// re-encoded: no field nomadlike sets may be lost or change value on the
// way (see nomadFieldLoss), but for the few nomadlike-only fields listed
// in nomadOnlyOurs with their reason.
func TestNomadAPIClient(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{}, "raw_exec")
	nc, err := napi.NewClient(&napi.Config{Address: "http://" + a.HTTPAddr()})
	if err != nil {
		t.Fatal(err)
	}
	const jobID = "nomadapi"
	job := nomadAPIJob(jobID)

	plan, _, err := nc.Jobs().Plan(job, true, nil)
	if err != nil {
		t.Fatalf("Jobs().Plan: %v", err)
	}
	if plan.Diff == nil || plan.Diff.Type != "Added" {
		t.Fatalf("plan diff = %+v, want the job Added", plan.Diff)
	}
	reg, _, err := nc.Jobs().Register(job, nil)
	if err != nil {
		t.Fatalf("Jobs().Register: %v", err)
	}
	if reg.EvalID == "" {
		t.Fatalf("register response %+v has no EvalID", reg)
	}

	// The same job again, with its defaults unset as Nomad's client sends
	// it: nothing changes.
	if again, _, err := nc.Jobs().Plan(nomadAPIJob(jobID), true, nil); err != nil || again.Diff == nil || again.Diff.Type != "None" {
		t.Fatalf("Jobs().Plan(same job) = %+v, %v; want diff None", again.Diff, err)
	}

	alloc := waitRunningNomadAPI(ctx, t, nc, jobID)
	info, _, err := nc.Allocations().Info(alloc.ID, nil)
	if err != nil {
		t.Fatalf("Allocations().Info: %v", err)
	}
	ts := info.TaskStates["t"]
	if ts == nil || ts.State != "running" || ts.StartedAt.IsZero() || time.Since(ts.StartedAt) > time.Hour {
		t.Fatalf("task state = %+v, want running with a recent StartedAt", ts)
	}
	if len(ts.Events) == 0 || ts.Events[0].Time == 0 || time.Since(time.Unix(0, ts.Events[0].Time)) > time.Hour {
		t.Fatalf("task events = %+v, want a first event with a recent Time in unix nanoseconds", ts.Events)
	}
	if ct := time.Unix(0, info.CreateTime); time.Since(ct) > time.Hour || time.Since(ct) < 0 {
		t.Fatalf("CreateTime %d is not recent unix nanoseconds", info.CreateTime)
	}
	if got := nomadAPILogs(ctx, t, nc, info); !strings.Contains(got, "hello-nomad-api") {
		t.Fatalf("AllocFS().Logs = %q, want the task's line", got)
	}

	nodes, _, err := nc.Nodes().List(nil)
	if err != nil || len(nodes) != 1 {
		t.Fatalf("Nodes().List = %v, %v; want one node", nodes, err)
	}
	node, _, err := nc.Nodes().Info(nodes[0].ID, nil)
	if err != nil || node.Status != "ready" || node.NodeResources == nil || node.NodeResources.Cpu.CpuShares == 0 {
		t.Fatalf("Nodes().Info = %+v, %v; want a ready node with resources", node, err)
	}
	evals, _, err := nc.Evaluations().List(nil)
	if err != nil || len(evals) == 0 {
		t.Fatalf("Evaluations().List = %v, %v", evals, err)
	}
	ev, _, err := nc.Evaluations().Info(reg.EvalID, nil)
	if err != nil || ev.JobID != jobID || ev.CreateTime == 0 {
		t.Fatalf("Evaluations().Info = %+v, %v", ev, err)
	}

	nomadAPIReads(t, nc, jobID, info, node.ID)
	childID := nomadAPIDispatch(t, nc)
	failedID := nomadAPIFailures(t, nc)
	periodic := napi.NewBatchJob("cron", "cron", "global", 50)
	periodic.Datacenters = []string{"dc1"}
	periodic.Periodic = &napi.PeriodicConfig{Spec: pointer("0 0 1 1 *"), SpecType: pointer("cron"), ProhibitOverlap: pointer(true)}
	periodic.AddTaskGroup(napi.NewTaskGroup("g", 1).AddTask(nomadAPIJob("x").TaskGroups[0].Tasks[0]))
	if _, _, err := nc.Jobs().Register(periodic, nil); err != nil {
		t.Fatalf("Jobs().Register(periodic): %v", err)
	}

	t.Run("every answer decodes into Nomad's types", func(t *testing.T) {
		checkNomadShapes(ctx, t, a.HTTPAddr(), shapeIDs{job: jobID, alloc: info.ID, node: node.ID, eval: reg.EvalID,
			failedAlloc: failedID, child: childID, periodic: periodic})
	})

	if _, _, err := nc.Jobs().Deregister(jobID, true, nil); err != nil {
		t.Fatalf("Jobs().Deregister(purge): %v", err)
	}
	poll.UntilTrue(t, 30*time.Second, "job purged", func() bool {
		_, _, err := nc.Jobs().Info(jobID, nil)
		return err != nil && strings.Contains(err.Error(), "404")
	})
}

// nomadAPIReads makes the read calls Nomad's CLI makes for `status`,
// `job status`, `alloc status -stats`, `node status -stats`, `server
// members` and `operator raft list-peers`.
func nomadAPIReads(t *testing.T, nc *napi.Client, jobID string, alloc *napi.Allocation, nodeID string) {
	t.Helper()
	if jobs, _, err := nc.Jobs().List(nil); err != nil || len(jobs) == 0 || jobs[0].ID != jobID {
		t.Errorf("Jobs().List = %v, %v", jobs, err)
	}
	if sum, _, err := nc.Jobs().Summary(jobID, nil); err != nil || sum.Summary["g"].Running != 1 {
		t.Errorf("Jobs().Summary = %+v, %v; want g running 1", sum, err)
	}
	if vs, _, _, err := nc.Jobs().Versions(jobID, true, nil); err != nil || len(vs) == 0 {
		t.Errorf("Jobs().Versions = %v, %v", vs, err)
	}
	if allocs, _, err := nc.Jobs().Allocations(jobID, false, nil); err != nil || len(allocs) != 1 {
		t.Errorf("Jobs().Allocations = %v, %v", allocs, err)
	}
	if evals, _, err := nc.Jobs().Evaluations(jobID, nil); err != nil || len(evals) == 0 {
		t.Errorf("Jobs().Evaluations = %v, %v", evals, err)
	}
	if st, err := nc.Allocations().Stats(alloc, nil); err != nil || st.Tasks["t"] == nil || st.Tasks["t"].ResourceUsage == nil {
		t.Errorf("Allocations().Stats = %+v, %v", st, err)
	}
	if hs, err := nc.Nodes().Stats(nodeID, nil); err != nil || hs.Memory == nil || hs.Memory.Total == 0 {
		t.Errorf("Nodes().Stats = %+v, %v", hs, err)
	}
	if self, err := nc.Agent().Self(); err != nil || len(self.Config) == 0 {
		t.Errorf("Agent().Self = %+v, %v", self, err)
	}
	if m, err := nc.Agent().Members(); err != nil || len(m.Members) != 1 {
		t.Errorf("Agent().Members = %+v, %v", m, err)
	}
	if l, err := nc.Status().Leader(); err != nil || l == "" {
		t.Errorf("Status().Leader = %q, %v", l, err)
	}
	if rc, err := nc.Operator().RaftGetConfiguration(nil); err != nil || len(rc.Servers) != 1 || !rc.Servers[0].Leader {
		t.Errorf("Operator().RaftGetConfiguration = %+v, %v", rc, err)
	}
}

// nomadAPIDispatch registers a parameterized batch job and dispatches it
// with Nomad's client; the child runs to completion. It returns the
// child's ID.
func nomadAPIDispatch(t *testing.T, nc *napi.Client) string {
	t.Helper()
	job := napi.NewBatchJob("param", "param", "global", 50)
	job.Datacenters = []string{"dc1"}
	job.ParameterizedJob = &napi.ParameterizedJobConfig{MetaOptional: []string{"word"}}
	task := napi.NewTask("t", "raw_exec").SetConfig("command", "/bin/sh").
		SetConfig("args", []string{"-c", "echo ${NOMAD_META_word}"})
	cpu, mem := 50, 16
	task.Require(&napi.Resources{CPU: &cpu, MemoryMB: &mem})
	job.AddTaskGroup(napi.NewTaskGroup("g", 1).AddTask(task))
	if _, _, err := nc.Jobs().Register(job, nil); err != nil {
		t.Fatalf("Jobs().Register(parameterized): %v", err)
	}
	d, _, err := nc.Jobs().Dispatch("param", map[string]string{"word": "hi"}, nil, "", nil)
	if err != nil || d.DispatchedJobID == "" || d.EvalID == "" {
		t.Fatalf("Jobs().Dispatch = %+v, %v", d, err)
	}
	poll.UntilTrue(t, 60*time.Second, "dispatched child complete", func() bool {
		allocs, _, err := nc.Jobs().Allocations(d.DispatchedJobID, false, nil)
		return err == nil && len(allocs) == 1 && allocs[0].ClientStatus == "complete"
	})
	return d.DispatchedJobID
}

func pointer[T any](v T) *T { return &v }

// nomadAPIFailures registers a job too big for the node (a blocked
// evaluation with placement metrics) and a batch job whose task exits 3
// with no restart or reschedule (a failed allocation with a terminated
// event), and returns the failed allocation's ID.
func nomadAPIFailures(t *testing.T, nc *napi.Client) string {
	t.Helper()
	big := nomadAPIJob("toobig")
	huge := 1 << 30
	big.TaskGroups[0].Tasks[0].Resources.MemoryMB = &huge
	if _, _, err := nc.Jobs().Register(big, nil); err != nil {
		t.Fatalf("Jobs().Register(toobig): %v", err)
	}
	job := napi.NewBatchJob("fails", "fails", "global", 50)
	job.Datacenters = []string{"dc1"}
	task := napi.NewTask("t", "raw_exec").SetConfig("command", "/bin/sh").SetConfig("args", []string{"-c", "exit 3"})
	cpu, mem, zero := 50, 16, 0
	task.Require(&napi.Resources{CPU: &cpu, MemoryMB: &mem})
	tg := napi.NewTaskGroup("g", 1).AddTask(task)
	mode := "fail"
	tg.RestartPolicy = &napi.RestartPolicy{Attempts: &zero, Mode: &mode}
	tg.ReschedulePolicy = &napi.ReschedulePolicy{Attempts: &zero}
	job.AddTaskGroup(tg)
	if _, _, err := nc.Jobs().Register(job, nil); err != nil {
		t.Fatalf("Jobs().Register(fails): %v", err)
	}
	var failed string
	poll.UntilTrue(t, 60*time.Second, "a failed allocation of fails", func() bool {
		allocs, _, err := nc.Jobs().Allocations("fails", false, nil)
		if err == nil && len(allocs) == 1 && allocs[0].ClientStatus == "failed" {
			failed = allocs[0].ID
		}
		return failed != ""
	})
	al, _, err := nc.Allocations().Info(failed, nil)
	if err != nil {
		t.Fatalf("Allocations().Info(failed): %v", err)
	}
	ts := al.TaskStates["t"]
	if ts == nil || !ts.Failed || ts.FinishedAt.Before(ts.StartedAt) || ts.FinishedAt.IsZero() {
		t.Fatalf("failed task state = %+v, want failed with FinishedAt after StartedAt", ts)
	}
	return failed
}

// nomadAPIJob is a raw_exec service job built with Nomad's api types.
func nomadAPIJob(id string) *napi.Job {
	job := napi.NewServiceJob(id, id, "global", 50)
	job.Datacenters = []string{"dc1"}
	task := napi.NewTask("t", "raw_exec").
		SetConfig("command", "/bin/sh").
		SetConfig("args", []string{"-c", "echo hello-nomad-api; exec sleep 300"})
	cpu, mem := 100, 32
	task.Require(&napi.Resources{CPU: &cpu, MemoryMB: &mem})
	job.AddTaskGroup(napi.NewTaskGroup("g", 1).AddTask(task))
	return job
}

// waitRunningNomadAPI waits for the job's allocation to run with blocking
// queries: each list waits for an index past the last one seen.
func waitRunningNomadAPI(ctx context.Context, t *testing.T, nc *napi.Client, jobID string) *napi.AllocationListStub {
	t.Helper()
	var index uint64
	blocked := false
	for ctx.Err() == nil {
		q := (&napi.QueryOptions{WaitIndex: index, WaitTime: 5 * time.Second}).WithContext(ctx)
		allocs, meta, err := nc.Allocations().List(q)
		if err != nil {
			t.Fatalf("Allocations().List(WaitIndex %d): %v", index, err)
		}
		if index > 0 && meta.LastIndex > index {
			blocked = true
		}
		for _, al := range allocs {
			if al.JobID == jobID && al.ClientStatus == "running" {
				if !blocked && index > 0 {
					t.Logf("allocation running before a blocking query returned a newer index")
				}
				return al
			}
		}
		if meta.LastIndex < index {
			t.Fatalf("blocking list went back from index %d to %d", index, meta.LastIndex)
		}
		index = meta.LastIndex
	}
	t.Fatalf("no running allocation of %s: %v", jobID, ctx.Err())
	return nil
}

// nomadAPILogs reads the task's stdout from the start, with Nomad's
// frame decoder, until the line is there.
func nomadAPILogs(ctx context.Context, t *testing.T, nc *napi.Client, alloc *napi.Allocation) string {
	t.Helper()
	cancelCh := make(chan struct{})
	defer close(cancelCh)
	frames, errCh := nc.AllocFS().Logs(alloc, true, "t", "stdout", "start", 0, cancelCh, nil)
	var got strings.Builder
	deadline := time.After(30 * time.Second)
	for {
		select {
		case f, ok := <-frames:
			if !ok {
				return got.String()
			}
			got.Write(f.Data)
			if strings.Contains(got.String(), "hello-nomad-api") {
				return got.String()
			}
		case err := <-errCh:
			t.Fatalf("AllocFS().Logs: %v (read so far %q)", err, got.String())
		case <-deadline:
			return got.String()
		case <-ctx.Done():
			return got.String()
		}
	}
}

// shapeCase is one API answer and the Nomad type it must decode into.
type shapeCase struct {
	name, method, path string
	body               any
	nomad              func() any // a pointer to Nomad's type for the answer
	ours               func() any // a pointer to nomadlike's type, for the way back
}

// shapeIDs are the objects checkNomadShapes reads.
type shapeIDs struct {
	job, alloc, node, eval, failedAlloc, child string
	periodic                                   *napi.Job
}

func checkNomadShapes(ctx context.Context, t *testing.T, addr string, ids shapeIDs) {
	jobID, allocID, nodeID, evalID, failedID := ids.job, ids.alloc, ids.node, ids.eval, ids.failedAlloc
	regBody := map[string]any{"Job": nomadAPIJob(jobID)}
	planBody := map[string]any{"Job": nomadAPIJob(jobID), "Diff": true}
	big := nomadAPIJob("toobig")
	huge := 1 << 30
	big.TaskGroups[0].Tasks[0].Resources.MemoryMB = &huge
	bigPlanBody := map[string]any{"Job": big, "Diff": true}
	cases := []shapeCase{
		{"job list", "GET", "/v1/jobs", nil, func() any { return &[]*napi.JobListStub{} }, func() any { return &[]*nomadlike.JobListStub{} }},
		{"job", "GET", "/v1/job/" + jobID, nil, func() any { return &napi.Job{} }, func() any { return &nomadlike.Job{} }},
		{"job versions", "GET", "/v1/job/" + jobID + "/versions?diffs=true", nil, func() any { return &napi.JobVersionsResponse{} }, func() any { return &api.JobVersionsResponse{} }},
		{"job summary", "GET", "/v1/job/" + jobID + "/summary", nil, func() any { return &napi.JobSummary{} }, func() any { return &nomadlike.JobSummary{} }},
		{"job allocations", "GET", "/v1/job/" + jobID + "/allocations", nil, func() any { return &[]*napi.AllocationListStub{} }, func() any { return &[]*nomadlike.AllocListStub{} }},
		{"job evaluations", "GET", "/v1/job/" + jobID + "/evaluations", nil, func() any { return &[]*napi.Evaluation{} }, func() any { return &[]*nomadlike.Evaluation{} }},
		{"job register (same job)", "PUT", "/v1/job/" + jobID, regBody, func() any { return &napi.JobRegisterResponse{} }, func() any { return &api.JobRegisterResponse{} }},
		{"job plan", "PUT", "/v1/job/" + jobID + "/plan", planBody, func() any { return &napi.JobPlanResponse{} }, func() any { return &api.JobPlanResponse{} }},
		{"job plan (cannot place)", "PUT", "/v1/job/toobig/plan", bigPlanBody, func() any { return &napi.JobPlanResponse{} }, func() any { return &api.JobPlanResponse{} }},
		{"blocked job evaluations", "GET", "/v1/job/toobig/evaluations", nil, func() any { return &[]*napi.Evaluation{} }, func() any { return &[]*nomadlike.Evaluation{} }},
		{"failed allocation", "GET", "/v1/allocation/" + failedID, nil, func() any { return &napi.Allocation{} }, func() any { return &nomadlike.Allocation{} }},
		{"failed job summary", "GET", "/v1/job/fails/summary", nil, func() any { return &napi.JobSummary{} }, func() any { return &nomadlike.JobSummary{} }},
		{"parameterized job", "GET", "/v1/job/param", nil, func() any { return &napi.Job{} }, func() any { return &nomadlike.Job{} }},
		{"dispatched child job", "GET", "/v1/job/" + url.PathEscape(ids.child), nil, func() any { return &napi.Job{} }, func() any { return &nomadlike.Job{} }},
		{"parameterized job summary", "GET", "/v1/job/param/summary", nil, func() any { return &napi.JobSummary{} }, func() any { return &nomadlike.JobSummary{} }},
		{"periodic job", "GET", "/v1/job/cron", nil, func() any { return &napi.Job{} }, func() any { return &nomadlike.Job{} }},
		{"job plan (periodic)", "PUT", "/v1/job/cron/plan", map[string]any{"Job": ids.periodic, "Diff": true},
			func() any { return &napi.JobPlanResponse{} }, func() any { return &api.JobPlanResponse{} }},
		{"allocation list", "GET", "/v1/allocations", nil, func() any { return &[]*napi.AllocationListStub{} }, func() any { return &[]*nomadlike.AllocListStub{} }},
		{"allocation", "GET", "/v1/allocation/" + allocID, nil, func() any { return &napi.Allocation{} }, func() any { return &nomadlike.Allocation{} }},
		{"evaluation list", "GET", "/v1/evaluations", nil, func() any { return &[]*napi.Evaluation{} }, func() any { return &[]*nomadlike.Evaluation{} }},
		{"evaluation", "GET", "/v1/evaluation/" + evalID, nil, func() any { return &napi.Evaluation{} }, func() any { return &nomadlike.Evaluation{} }},
		{"evaluation allocations", "GET", "/v1/evaluation/" + evalID + "/allocations", nil, func() any { return &[]*napi.AllocationListStub{} }, func() any { return &[]*nomadlike.AllocListStub{} }},
		{"node list", "GET", "/v1/nodes", nil, func() any { return &[]*napi.NodeListStub{} }, func() any { return &[]*nomadlike.NodeListStub{} }},
		{"node", "GET", "/v1/node/" + nodeID, nil, func() any { return &napi.Node{} }, func() any { return &nomadlike.Node{} }},
		{"node allocations", "GET", "/v1/node/" + nodeID + "/allocations", nil, func() any { return &[]*napi.Allocation{} }, func() any { return &[]*nomadlike.Allocation{} }},
		{"status leader", "GET", "/v1/status/leader", nil, func() any { return new(string) }, func() any { return new(string) }},
		{"status peers", "GET", "/v1/status/peers", nil, func() any { return &[]string{} }, func() any { return &[]string{} }},
		{"agent self", "GET", "/v1/agent/self", nil, func() any { return &napi.AgentSelf{} }, nil},
		{"agent members", "GET", "/v1/agent/members", nil, func() any { return &napi.ServerMembers{} }, nil},
		{"agent health", "GET", "/v1/agent/health", nil, func() any { return &napi.AgentHealthResponse{} }, nil},
		{"raft configuration", "GET", "/v1/operator/raft/configuration", nil, func() any { return &napi.RaftConfiguration{} }, nil},
		{"client allocation stats", "GET", "/v1/client/allocation/" + allocID + "/stats", nil, func() any { return &napi.AllocResourceUsage{} }, nil},
		{"client host stats", "GET", "/v1/client/stats", nil, func() any { return &napi.HostStats{} }, nil},
		{"metrics", "GET", "/v1/metrics", nil, func() any { return &napi.MetricsSummary{} }, nil},
		// Drain last: it changes the node (DrainStrategy with times).
		{"node drain", "PUT", "/v1/node/" + nodeID + "/drain", map[string]any{"DrainSpec": map[string]any{"Deadline": int64(time.Hour)}},
			func() any { return &napi.NodeDrainUpdateResponse{} }, nil},
		{"drained node", "GET", "/v1/node/" + nodeID, nil, func() any { return &napi.Node{} }, func() any { return &nomadlike.Node{} }},
		{"drained node list", "GET", "/v1/nodes", nil, func() any { return &[]*napi.NodeListStub{} }, func() any { return &[]*nomadlike.NodeListStub{} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := nomadAPIRaw(ctx, t, addr, tc.method, tc.path, tc.body)
			theirs := tc.nomad()
			if err := json.Unmarshal(raw, theirs); err != nil {
				t.Fatalf("%s %s does not decode into Nomad's %T: %v\n%s", tc.method, tc.path, theirs, err, clip(raw))
			}
			back, err := json.Marshal(theirs)
			if err != nil {
				t.Fatal(err)
			}
			for _, loss := range nomadFieldLoss(raw, back) {
				t.Errorf("%s %s: %s", tc.method, tc.path, loss)
			}
			if tc.ours != nil {
				if err := json.Unmarshal(back, tc.ours()); err != nil {
					t.Errorf("Nomad's re-encoded %T does not decode back into nomadlike's: %v", theirs, err)
				}
			}
		})
	}
}

func nomadAPIRaw(ctx context.Context, t *testing.T, addr, method, p string, body any) []byte {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+p, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s: %s", method, p, resp.Status, clip(raw))
	}
	return raw
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "..."
	}
	return string(b)
}

// nomadOnlyOurs lists the fields nomadlike sends that Nomad's types do not
// have, by their path from the top of an answer ("*" matches one element,
// "[]" any list index), with the reason a Nomad client may drop them.
var nomadOnlyOurs = map[string]string{
	"Index":            "the raft index of the answer; Nomad's servers send it too, its client reads the X-Nomad-Index header",
	"[].NodePool":      "Nomad's servers send a job stub's node pool too; its api.JobListStub has no field for it",
	"Timestamp":        "Nomad's client agent sends host stats' Timestamp too; its api.HostStats has no field for it",
	"Tasks.*.PidCount": "the number of a task's processes; Nomad's Pids is usage by process ID, which nomadlike's drivers do not report",
	"RegisteredFrom":   "the source IP the servers saw the node register from (node forwarding safety)",
	"HeartbeatFrom":    "the source IP of the node's last heartbeat (node forwarding safety)",
	// Batch and CI (website/batch-ci.md): a finished batch job's outcome
	// on the job, its summary and its list stub, and the marker of a rerun.
	"Outcome":    "nomadlike's outcome of a finished batch job (succeeded, failed, stopped per shard)",
	"[].Outcome": "nomadlike's outcome of a finished batch job, on its list stub",
	"Rerun":      "nomadlike's marker of a version registered by job rerun",
	// Driver SDK (website/writing-a-driver.md): each driver's task config
	// schema, which the servers check jobs against.
	"Drivers.*.ConfigSchema":    "the driver's task config schema (nomadlike's driver SDK)",
	"[].Drivers.*.ConfigSchema": "the same, on a node list stub",
}

// nomadFieldLoss compares the JSON nomadlike sent with the JSON Nomad's
// type re-encodes after decoding it: every non-zero leaf of ours must be
// there with the same value, unless nomadOnlyOurs names its path.
func nomadFieldLoss(ours, theirs []byte) []string {
	var a, b any
	if err := json.Unmarshal(ours, &a); err != nil {
		return []string{"ours: " + err.Error()}
	}
	if err := json.Unmarshal(theirs, &b); err != nil {
		return []string{"theirs: " + err.Error()}
	}
	var out []string
	walkLoss(nil, a, b, &out)
	sort.Strings(out)
	return out
}

func walkLoss(p []string, a, b any, out *[]string) {
	if isZeroJSON(a) || allowedLoss(p) {
		return
	}
	where := strings.Join(p, ".")
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: ours is an object, Nomad's re-encodes %s", where, short(b)))
			return
		}
		for k, v := range av {
			walkLoss(append(p, k), v, bv[k], out)
		}
	case []any:
		bv, ok := b.([]any)
		if !ok || len(bv) != len(av) {
			*out = append(*out, fmt.Sprintf("%s: ours is a list of %d, Nomad's re-encodes %s", where, len(av), short(b)))
			return
		}
		for i := range av {
			walkLoss(append(p, fmt.Sprintf("[%d]", i)), av[i], bv[i], out)
		}
	default:
		if !sameLeaf(a, b) {
			*out = append(*out, fmt.Sprintf("%s: ours %s, Nomad's re-encodes %s", where, short(a), short(b)))
		}
	}
}

// sameLeaf compares two JSON leaves; times compare as instants.
func sameLeaf(a, b any) bool {
	if as, ok := a.(string); ok {
		if bs, ok := b.(string); ok {
			ta, errA := time.Parse(time.RFC3339Nano, as)
			tb, errB := time.Parse(time.RFC3339Nano, bs)
			if errA == nil && errB == nil {
				return ta.Equal(tb)
			}
		}
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func isZeroJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case float64:
		return x == 0
	case string:
		return x == "" || x == "0001-01-01T00:00:00Z"
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func allowedLoss(p []string) bool {
	if len(p) == 0 {
		return false
	}
	norm := make([]string, len(p))
	for i, s := range p {
		if strings.HasPrefix(s, "[") {
			s = "[]"
		}
		norm[i] = s
	}
	for pat := range nomadOnlyOurs {
		ps := strings.Split(pat, ".")
		if len(ps) != len(norm) {
			continue
		}
		match := true
		for i := range ps {
			if ok, _ := path.Match(ps[i], norm[i]); !ok && ps[i] != norm[i] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 120 {
		return string(b[:120]) + "..."
	}
	return string(b)
}
