package e2e

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	napi "github.com/hashicorp/nomad/api"
)

// TestNomadAPIEventStreamFSMonitor drives a real dev agent through Nomad's
// own Go client: the event stream (EventStream().Stream) decodes a job
// registration, its evaluation and its allocation's updates into Nomad's
// types; a second stream resumes from an index; the fs API (AllocFS)
// lists, stats, reads and streams the allocation directory; and the agent
// monitor (Agent().Monitor) streams log lines.
func TestNomadAPIEventStreamFSMonitor(t *testing.T) {
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
	const jobID = "events"
	topics := map[napi.Topic][]string{napi.TopicJob: {jobID}, napi.TopicEvaluation: {"*"}, napi.TopicAllocation: {"*"}}
	sctx, scancel := context.WithCancel(ctx)
	defer scancel()
	ch, err := nc.EventStream().Stream(sctx, topics, 0, nil)
	if err != nil {
		t.Fatalf("EventStream().Stream: %v", err)
	}
	if _, _, err := nc.Jobs().Register(nomadAPIJob(jobID), nil); err != nil {
		t.Fatalf("Jobs().Register: %v", err)
	}

	var jobIndex uint64
	seen := map[string]bool{}
	for !(seen["job"] && seen["eval"] && seen["alloc running"]) {
		var es *napi.Events
		select {
		case es = <-ch:
		case <-ctx.Done():
			t.Fatalf("events seen %v before the deadline", seen)
		}
		if es == nil || es.Err != nil {
			t.Fatalf("event stream ended: %+v", es)
		}
		for _, ev := range es.Events {
			switch ev.Topic {
			case napi.TopicJob:
				job, err := ev.Job()
				if err != nil || job == nil || *job.ID != jobID {
					t.Fatalf("job event %s: %+v, %v", ev.Type, job, err)
				}
				if jobIndex == 0 && ev.Type == "JobRegistered" {
					jobIndex = ev.Index
					seen["job"] = true
				}
			case napi.TopicEvaluation:
				ev2, err := ev.Evaluation()
				if err != nil || ev2 == nil || ev2.JobID != jobID {
					t.Fatalf("evaluation event: %+v, %v", ev2, err)
				}
				seen["eval"] = true
			case napi.TopicAllocation:
				al, err := ev.Allocation()
				if err != nil || al == nil || al.JobID != jobID {
					t.Fatalf("allocation event: %+v, %v", al, err)
				}
				if al.ClientStatus == "running" {
					seen["alloc running"] = true
				}
			}
		}
	}
	scancel()

	// Resume from just before the job's registration: it comes again first.
	rctx, rcancel := context.WithTimeout(ctx, 20*time.Second)
	defer rcancel()
	ch, err = nc.EventStream().Stream(rctx, map[napi.Topic][]string{napi.TopicJob: {"*"}}, jobIndex-1, nil)
	if err != nil {
		t.Fatalf("EventStream().Stream(index %d): %v", jobIndex-1, err)
	}
	if es := <-ch; es == nil || es.Err != nil || es.Index != jobIndex || es.Events[0].Type != "JobRegistered" {
		t.Fatalf("resumed stream's first events = %+v, want the registration at %d", es, jobIndex)
	}
	rcancel()

	alloc := waitRunningNomadAPI(ctx, t, nc, jobID)
	full, _, err := nc.Allocations().Info(alloc.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	nomadAPIFS(ctx, t, nc, full)

	// The agent's own log lines.
	stop := make(chan struct{})
	defer close(stop)
	frames, errs := nc.Agent().Monitor(stop, &napi.QueryOptions{Params: map[string]string{"log_level": "debug"}})
	go func() { _, _, _ = nc.Jobs().Deregister(jobID, true, nil) }() // something to log
	select {
	case fr := <-frames:
		if fr == nil || len(fr.Data) == 0 {
			t.Fatalf("monitor frame = %+v", fr)
		}
	case err := <-errs:
		t.Fatalf("Agent().Monitor: %v", err)
	case <-ctx.Done():
		t.Fatal("no monitor frame before the deadline")
	}

	// The CLI: `monitor -log-level=trace` shows the agent's request log
	// lines while requests come in (it runs until interrupted: here until
	// its context ends).
	mctx, mcancel := context.WithTimeout(ctx, 4*time.Second)
	defer mcancel()
	out := make(chan string, 1)
	go func() {
		_, o := runCLI(mctx, t, "monitor", a.address(), "-log-level=trace")
		out <- o
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for mctx.Err() == nil {
		_, _, _ = nc.Jobs().List(nil)
		select {
		case <-tick.C:
		case <-mctx.Done():
		}
	}
	if o := <-out; !strings.Contains(o, "[TRACE] agent.http: request: method=GET path=/v1/jobs") {
		t.Errorf("monitor printed %.300q, want the agent's request lines", o)
	}
}

// nomadAPIFS reads the allocation directory through Nomad's AllocFS.
func nomadAPIFS(ctx context.Context, t *testing.T, nc *napi.Client, alloc *napi.Allocation) {
	t.Helper()
	infos, _, err := nc.AllocFS().List(alloc, "/", nil)
	if err != nil {
		t.Fatalf("AllocFS().List(/): %v", err)
	}
	var names []string
	for _, fi := range infos {
		names = append(names, fi.Name)
	}
	if strings.Join(names, ",") != "alloc,t" {
		t.Errorf("ls / = %v, want [alloc t]", names)
	}
	fi, _, err := nc.AllocFS().Stat(alloc, "alloc/logs/t.stdout.0", nil)
	if err != nil || fi.IsDir || fi.Size == 0 || fi.ModTime.IsZero() {
		t.Fatalf("AllocFS().Stat = %+v, %v", fi, err)
	}
	rc, err := nc.AllocFS().Cat(alloc, "alloc/logs/t.stdout.0", nil)
	if err != nil {
		t.Fatalf("AllocFS().Cat: %v", err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if !strings.Contains(string(b), "hello-nomad-api") {
		t.Errorf("cat = %q", b)
	}
	rc, err = nc.AllocFS().ReadAt(alloc, "alloc/logs/t.stdout.0", 6, 5, nil)
	if err != nil {
		t.Fatalf("AllocFS().ReadAt: %v", err)
	}
	b, _ = io.ReadAll(rc)
	rc.Close()
	if string(b) != "nomad" {
		t.Errorf("readat(6, 5) = %q, want nomad", b)
	}
	cancel := make(chan struct{})
	defer close(cancel)
	frames, errs := nc.AllocFS().Stream(alloc, "alloc/logs/t.stdout.0", "start", 0, cancel, nil)
	select {
	case fr := <-frames:
		if fr == nil || !strings.Contains(string(fr.Data), "hello-nomad-api") || fr.File != "alloc/logs/t.stdout.0" {
			t.Errorf("stream frame = %+v", fr)
		}
	case err := <-errs:
		t.Fatalf("AllocFS().Stream: %v", err)
	case <-ctx.Done():
		t.Fatal("no stream frame before the deadline")
	}
}
