package server

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/plan"
)

func allocsN(prefix string, n int) []*nomadlike.Allocation {
	out := make([]*nomadlike.Allocation, n)
	for i := range out {
		out[i] = &nomadlike.Allocation{ID: fmt.Sprintf("%s%02d", prefix, i)}
	}
	return out
}

func allocIDs(allocs []*nomadlike.Allocation) []string {
	var ids []string
	for _, a := range allocs {
		ids = append(ids, a.ID)
	}
	return ids
}

func TestSplitPlanResults(t *testing.T) {
	job := fixture.Job()
	evals := []*nomadlike.Evaluation{fixture.Eval(job)}
	cases := []struct {
		name              string
		stopped, updated  int
		max               int
		wantStop, wantUpd []int // per chunk
	}{
		{"under the limit", 2, 3, 5, []int{2}, []int{3}},
		{"no limit", 20, 30, 0, []int{20}, []int{30}},
		{"placements only", 0, 10, 4, []int{0, 0, 0}, []int{4, 4, 2}},
		{"exact multiple", 0, 8, 4, []int{0, 0}, []int{4, 4}},
		{"stops first", 6, 5, 4, []int{4, 2, 0}, []int{0, 2, 3}},
		{"stops only", 9, 0, 3, []int{3, 3, 3}, []int{0, 0, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := &fsm.ApplyPlanResultsRequest{
				Job: job, EvalID: "eval-1", Evals: evals,
				AllocsStopped: allocsN("s", tc.stopped), AllocsUpdated: allocsN("u", tc.updated),
			}
			got := splitPlanResults(req, tc.max)
			if len(got) != len(tc.wantStop) {
				t.Fatalf("splitPlanResults(%d+%d, %d) = %d chunks, want %d", tc.stopped, tc.updated, tc.max, len(got), len(tc.wantStop))
			}
			var stopped, updated []*nomadlike.Allocation
			for i, c := range got {
				if len(c.AllocsStopped) != tc.wantStop[i] || len(c.AllocsUpdated) != tc.wantUpd[i] {
					t.Errorf("chunk %d = %d stops + %d placements, want %d + %d", i, len(c.AllocsStopped), len(c.AllocsUpdated), tc.wantStop[i], tc.wantUpd[i])
				}
				if c.Job != job || c.EvalID != "eval-1" {
					t.Errorf("chunk %d: Job %p EvalID %q, want the plan's", i, c.Job, c.EvalID)
				}
				if last := i == len(got)-1; (len(c.Evals) > 0) != last {
					t.Errorf("chunk %d of %d has %d evals; want them in the last chunk only", i, len(got), len(c.Evals))
				}
				stopped = append(stopped, c.AllocsStopped...)
				updated = append(updated, c.AllocsUpdated...)
			}
			if fmt.Sprint(allocIDs(stopped)) != fmt.Sprint(allocIDs(req.AllocsStopped)) ||
				fmt.Sprint(allocIDs(updated)) != fmt.Sprint(allocIDs(req.AllocsUpdated)) {
				t.Errorf("chunks hold stops %v placements %v, want the request's in order", allocIDs(stopped), allocIDs(updated))
			}
		})
	}
}

func TestSplitClientUpdates(t *testing.T) {
	evals := []*nomadlike.Evaluation{fixture.Eval(fixture.Job())}
	cases := []struct {
		name string
		n    int
		max  int
		want []int
	}{
		{"under the limit", 3, 5, []int{3}},
		{"no limit", 30, 0, []int{30}},
		{"split", 11, 4, []int{4, 4, 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			updates := allocsN("a", tc.n)
			got := splitClientUpdates(updates, evals, tc.max)
			var sizes []int
			var all []*nomadlike.Allocation
			for i, c := range got {
				sizes = append(sizes, len(c.Allocs))
				all = append(all, c.Allocs...)
				if last := i == len(got)-1; (len(c.Evals) > 0) != last {
					t.Errorf("chunk %d of %d has %d evals; want them in the last chunk only", i, len(got), len(c.Evals))
				}
			}
			if fmt.Sprint(sizes) != fmt.Sprint(tc.want) || fmt.Sprint(allocIDs(all)) != fmt.Sprint(allocIDs(updates)) {
				t.Errorf("splitClientUpdates(%d, %d) = sizes %v, want %v with every update in order", tc.n, tc.max, sizes, tc.want)
			}
		})
	}
}

// entryRecorder is a Config.EntryApplier over the server's raft: it keeps
// the entries, counts them by message type and fails the entries its fail
// function picks with raft.ErrLeadershipLost, as raft does when leadership
// is lost before they commit.
type entryRecorder struct {
	s       *Server // set once the server is started
	mu      sync.Mutex
	seen    map[fsm.MessageType]int
	entries [][]byte
	fail    func(t fsm.MessageType, n int) bool // n counts entries of t from 1
}

// startRecordedServer starts a server whose plan and client-update
// entries go through an entryRecorder.
func startRecordedServer(t *testing.T, cfg Config, fail func(t fsm.MessageType, n int) bool) (*Server, *entryRecorder) {
	t.Helper()
	r := &entryRecorder{seen: map[fsm.MessageType]int{}, fail: fail}
	cfg.EntryApplier = r
	r.s = startServer(t, cfg)
	return r.s, r
}

func (r *entryRecorder) Apply(cmd []byte, timeout time.Duration) raft.ApplyFuture {
	t := fsm.MessageType(cmd[0])
	r.mu.Lock()
	r.seen[t]++
	n := r.seen[t]
	r.entries = append(r.entries, cmd)
	r.mu.Unlock()
	if r.fail != nil && r.fail(t, n) {
		return failedFuture{raft.ErrLeadershipLost}
	}
	return r.s.raft.Apply(cmd, timeout)
}

func (r *entryRecorder) count(t fsm.MessageType) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[t]
}

type failedFuture struct{ err error }

func (f failedFuture) Error() error          { return f.err }
func (f failedFuture) Index() uint64         { return 0 }
func (f failedFuture) Response() interface{} { return nil }

// committerServer starts a leader without scheduler workers (plans are
// committed by the test), with nodes and a registered job of count.
func committerServer(t *testing.T, maxPerEntry int, fail func(fsm.MessageType, int) bool) (*Server, *entryRecorder, []*nomadlike.Node, *nomadlike.Job) {
	t.Helper()
	cfg := testConfig(t)
	cfg.NumSchedulers = 0
	cfg.MaxAllocsPerEntry = maxPerEntry
	s, rec := startRecordedServer(t, cfg, fail)
	waitLeader(t, s)
	nodes := registerNodes(t, s, 4, nil)
	job := fixture.BatchJob(40)
	if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	stored, err := s.State().JobByID(nil, job.Namespace, job.ID)
	if err != nil || stored == nil {
		t.Fatalf("JobByID = %v, %v", stored, err)
	}
	return s, rec, nodes, stored
}

// planOf returns a plan of job placing allocs and stopping stops.
func planOf(job *nomadlike.Job, place, stop []*nomadlike.Allocation) *plan.Commit {
	p := &nomadlike.Plan{EvalID: "eval-" + job.ID, Job: job}
	res := &nomadlike.PlanResult{NodeAllocation: map[string][]*nomadlike.Allocation{}, NodeUpdate: map[string][]*nomadlike.Allocation{}}
	for _, a := range place {
		res.NodeAllocation[a.NodeID] = append(res.NodeAllocation[a.NodeID], a)
	}
	for _, a := range stop {
		res.NodeUpdate[a.NodeID] = append(res.NodeUpdate[a.NodeID], a)
	}
	return &plan.Commit{Plan: p, Result: res}
}

func placements(job *nomadlike.Job, nodes []*nomadlike.Node, first, n int) []*nomadlike.Allocation {
	var out []*nomadlike.Allocation
	for i := first; i < first+n; i++ {
		a := fixture.Alloc(job, nodes[i%len(nodes)], i)
		a.ID = fmt.Sprintf("%08d-0000-4000-8000-%012d", i, i)
		a.EvalID = "eval-" + job.ID
		a.ClientStatus = ""
		out = append(out, a)
	}
	return out
}

func stopsOf(allocs []*nomadlike.Allocation) []*nomadlike.Allocation {
	var out []*nomadlike.Allocation
	for _, a := range allocs {
		c := *a
		c.DesiredStatus = nomadlike.AllocDesiredStatusStop
		c.DesiredDescription = "stopped by the test"
		out = append(out, &c)
	}
	return out
}

func commit(t *testing.T, s *Server, c *plan.Commit) (uint64, error) {
	t.Helper()
	f, err := raftCommitter{s}.Commit(c)
	if err != nil {
		return 0, err
	}
	return f.Wait()
}

// allocView is what a plan decides about an allocation, without indexes;
// nodes are named by their place in nodes, so that servers compare.
func allocView(t *testing.T, s *Server, job *nomadlike.Job, nodes []*nomadlike.Node) []string {
	t.Helper()
	nodeIndex := map[string]int{}
	for i, n := range nodes {
		nodeIndex[n.ID] = i
	}
	allocs, err := s.State().AllocsByJob(nil, job.Namespace, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range allocs {
		out = append(out, fmt.Sprintf("%s %s node=%d desired=%s client=%s job=v%d",
			a.ID, strings.TrimPrefix(a.Name, job.ID), nodeIndex[a.NodeID], a.DesiredStatus, a.ClientStatus, a.Job.Version))
	}
	sort.Strings(out)
	return out
}

// TestCommitInChunks commits the same two plans (35 placements; then 12
// stops and 13 placements) on a server writing at most 10 allocations per
// entry and on one writing each plan as one entry: the first writes
// ceil(n/10) entries per plan, and both end in the same state.
func TestCommitInChunks(t *testing.T) {
	type result struct {
		entries []int
		indexes []uint64
		allocs  []string
		summary string
		status  string
	}
	run := func(maxPerEntry int) result {
		s, rec, nodes, job := committerServer(t, maxPerEntry, nil)
		var r result
		first := placements(job, nodes, 0, 35)
		second := placements(job, nodes, 35, 13)
		for _, c := range []*plan.Commit{planOf(job, first, nil), planOf(job, second, stopsOf(first[:12]))} {
			before := rec.count(fsm.PlanResultsEntryType)
			index, err := commit(t, s, c)
			if err != nil {
				t.Fatalf("MaxAllocsPerEntry %d: commit: %v", maxPerEntry, err)
			}
			if latest, _ := s.State().Index("allocs"); latest != index {
				t.Errorf("MaxAllocsPerEntry %d: commit returned index %d, want the last entry's %d", maxPerEntry, index, latest)
			}
			r.entries = append(r.entries, rec.count(fsm.PlanResultsEntryType)-before)
		}
		r.allocs = allocView(t, s, job, nodes)
		sum, err := s.State().JobSummaryByID(nil, job.Namespace, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		r.summary = fmt.Sprintf("%+v", sum.Summary)
		got, _ := s.State().JobByID(nil, job.Namespace, job.ID)
		r.status = got.Status
		return r
	}
	chunked, whole := run(10), run(1000)
	if fmt.Sprint(chunked.entries) != "[4 3]" || fmt.Sprint(whole.entries) != "[1 1]" {
		t.Errorf("entries per plan = %v chunked, %v whole; want [4 3] and [1 1]", chunked.entries, whole.entries)
	}
	if len(chunked.allocs) != 48 {
		t.Errorf("chunked commit stored %d allocations, want 48", len(chunked.allocs))
	}
	if fmt.Sprint(chunked.allocs) != fmt.Sprint(whole.allocs) {
		t.Errorf("allocations differ:\nchunked %v\nwhole   %v", chunked.allocs, whole.allocs)
	}
	if chunked.summary != whole.summary || chunked.status != whole.status {
		t.Errorf("summary %s status %s chunked, %s %s whole", chunked.summary, chunked.status, whole.summary, whole.status)
	}
}

// TestCommitFailedChunk fails the second of three entries: the commit fails
// with ErrNotLeader, after the entries around it were written.
func TestCommitFailedChunk(t *testing.T) {
	s, rec, nodes, job := committerServer(t, 10, func(mt fsm.MessageType, n int) bool {
		return mt == fsm.PlanResultsEntryType && n == 2
	})
	_, err := commit(t, s, planOf(job, placements(job, nodes, 0, 25), nil))
	if !errors.Is(err, nomadlike.ErrNotLeader) {
		t.Fatalf("commit = %v, want ErrNotLeader", err)
	}
	if n := rec.count(fsm.PlanResultsEntryType); n != 3 {
		t.Errorf("%d entries submitted, want 3 (all, back to back)", n)
	}
	if got := allocView(t, s, job, nodes); len(got) != 15 {
		t.Errorf("%d allocations stored, want 15 (entries 1 and 3)", len(got))
	}
}

// TestPartlyCommittedPlanIsCompleted fails one entry of the plan that places
// a job: the evaluation is retried and its scheduler places only what is
// missing, as the next leader's would after a leadership loss mid-plan.
func TestPartlyCommittedPlanIsCompleted(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxAllocsPerEntry = 10
	s, rec := startRecordedServer(t, cfg, func(mt fsm.MessageType, n int) bool {
		return mt == fsm.PlanResultsEntryType && n == 2
	})
	waitLeader(t, s)
	registerNodes(t, s, 4, nil)
	job := fixture.BatchJob(35)
	if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "35 placements", func() (bool, string) {
		n := len(liveAllocs(t, s, job))
		return n >= 35, fmt.Sprintf("%d live", n)
	})
	// The first plan wrote 4 entries, the second failed; the retry places
	// the 10 missing allocations in one more entry.
	poll.Until(t, 10*time.Second, "the retried plan", func() (bool, string) {
		n := rec.count(fsm.PlanResultsEntryType)
		return n >= 5, fmt.Sprintf("%d plan entries", n)
	})
	live := liveAllocs(t, s, job)
	names := map[string]bool{}
	for _, a := range live {
		if names[a.Name] {
			t.Errorf("allocation name %s placed twice", a.Name)
		}
		names[a.Name] = true
	}
	if len(live) != 35 {
		t.Errorf("%d live allocations, want 35", len(live))
	}
}

func TestClientUpdatesInChunks(t *testing.T) {
	s, rec, nodes, job := committerServer(t, 10, nil)
	placed := placements(job, nodes, 0, 25)
	if _, err := commit(t, s, planOf(job, placed, nil)); err != nil {
		t.Fatal(err)
	}
	var updates []*nomadlike.Allocation
	for _, a := range placed {
		updates = append(updates, &nomadlike.Allocation{ID: a.ID, ClientStatus: nomadlike.AllocClientStatusRunning})
	}
	index, err := s.updateAllocsFromClient(updates)
	if err != nil {
		t.Fatal(err)
	}
	if n := rec.count(fsm.AllocClientUpdateRequestType); n != 3 {
		t.Errorf("25 updates written as %d entries, want 3", n)
	}
	if latest, _ := s.State().Index("allocs"); index != latest {
		t.Errorf("UpdateAllocsFromClient = index %d, want the last entry's %d", index, latest)
	}
	for _, a := range placed {
		got, _ := s.State().AllocByID(nil, a.ID)
		if got.ClientStatus != nomadlike.AllocClientStatusRunning {
			t.Errorf("alloc %s client status %s, want running", a.ID, got.ClientStatus)
		}
	}
}

func TestConfigMaxAllocsPerEntry(t *testing.T) {
	cases := []struct {
		name  string
		value int
		ok    bool
	}{
		{"default", DefaultMaxAllocsPerEntry, true},
		{"one", 1, true},
		{"zero", 0, false},
		{"negative", -5, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Dev = true
			c.MaxAllocsPerEntry = tc.value
			err := c.Validate()
			if tc.ok != (err == nil) || (err != nil && (!errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "MaxAllocsPerEntry"))) {
				t.Errorf("Validate() with MaxAllocsPerEntry %d = %v, want ok %v (or ErrInvalidConfig naming the field)", tc.value, err, tc.ok)
			}
		})
	}
}
