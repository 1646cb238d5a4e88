package gc

import (
	"sort"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Thresholds are the ages past which terminal objects are collected.
// Deployment is applied by the server's deployment collection
// (server/deploywatch.Collectable), not by Select.
type Thresholds struct {
	Job, Eval, BatchEval, Deployment, Node time.Duration
}

// DefaultThresholds are Nomad's defaults.
func DefaultThresholds() Thresholds {
	return Thresholds{Job: 4 * time.Hour, Eval: time.Hour, BatchEval: 24 * time.Hour,
		Deployment: time.Hour, Node: 24 * time.Hour}
}

// Input is the state the collector looks at.
type Input struct {
	Jobs   []*nomadlike.Job
	Evals  []*nomadlike.Evaluation
	Allocs []*nomadlike.Allocation
	Nodes  []*nomadlike.Node
	// Now is the leader's clock.
	Now time.Time
	// Force ignores the thresholds (PUT /v1/system/gc, as Nomad's force
	// GC does): everything collectable goes now.
	Force bool
}

// Job is a job to delete with the JobModifyIndex it had when chosen (a
// job registered again since is kept).
type Job struct {
	Namespace, ID  string
	JobModifyIndex uint64
}

// Result is what to delete: jobs first, then evaluations and allocations
// (see Batches).
type Result struct {
	Jobs   []Job
	Evals  []string
	Allocs []string
	Nodes  []string
}

// Len is the number of objects in r.
func (r Result) Len() int { return len(r.Jobs) + len(r.Evals) + len(r.Allocs) + len(r.Nodes) }

type jobKey struct{ ns, id string }

// view indexes an Input.
type view struct {
	in          Input
	jobs        map[jobKey]*nomadlike.Job
	nodes       map[string]*nomadlike.Node
	evalsByJob  map[jobKey][]*nomadlike.Evaluation
	allocsByJob map[jobKey][]*nomadlike.Allocation
	allocsByEv  map[string][]*nomadlike.Allocation
	allocsNode  map[string][]*nomadlike.Allocation
}

func newView(in Input) *view {
	v := &view{in: in, jobs: map[jobKey]*nomadlike.Job{}, nodes: map[string]*nomadlike.Node{},
		evalsByJob: map[jobKey][]*nomadlike.Evaluation{}, allocsByJob: map[jobKey][]*nomadlike.Allocation{},
		allocsByEv: map[string][]*nomadlike.Allocation{}, allocsNode: map[string][]*nomadlike.Allocation{}}
	for _, j := range in.Jobs {
		v.jobs[jobKey{j.Namespace, j.ID}] = j
	}
	for _, n := range in.Nodes {
		v.nodes[n.ID] = n
	}
	for _, e := range in.Evals {
		k := jobKey{e.Namespace, e.JobID}
		v.evalsByJob[k] = append(v.evalsByJob[k], e)
	}
	for _, a := range in.Allocs {
		k := jobKey{a.Namespace, a.JobID}
		v.allocsByJob[k] = append(v.allocsByJob[k], a)
		v.allocsByEv[a.EvalID] = append(v.allocsByEv[a.EvalID], a)
		v.allocsNode[a.NodeID] = append(v.allocsNode[a.NodeID], a)
	}
	return v
}

// older reports whether unix-nanos t is at least d before Now (always
// with Force).
func (v *view) older(t int64, d time.Duration) bool {
	return v.in.Force || time.Unix(0, t).Add(d).Compare(v.in.Now) <= 0
}

// allocDone reports whether the collector may delete a: the client is
// done with it, or it is stopped and its node is down or gone.
func (v *view) allocDone(a *nomadlike.Allocation) bool {
	if a.ClientTerminalStatus() {
		return true
	}
	if !a.TerminalStatus() {
		return false
	}
	n := v.nodes[a.NodeID]
	return n == nil || n.TerminalStatus()
}

// Select returns what to collect from in with thresholds th.
func Select(in Input, th Thresholds) Result {
	v := newView(in)
	var r Result
	collected := map[string]bool{} // evals taken with their job
	for _, j := range in.Jobs {
		if !v.jobCollectable(j, th) {
			continue
		}
		k := jobKey{j.Namespace, j.ID}
		for _, a := range v.allocsByJob[k] {
			r.Allocs = append(r.Allocs, a.ID)
		}
		for _, e := range v.evalsByJob[k] {
			r.Evals = append(r.Evals, e.ID)
			collected[e.ID] = true
		}
		r.Jobs = append(r.Jobs, Job{Namespace: j.Namespace, ID: j.ID, JobModifyIndex: j.JobModifyIndex})
	}
	for _, e := range in.Evals {
		if collected[e.ID] {
			continue
		}
		evalOK, allocs := v.evalCollectable(e, th)
		if evalOK {
			r.Evals = append(r.Evals, e.ID)
			r.Allocs = append(r.Allocs, allocs...)
		}
	}
	r.Allocs = append(r.Allocs, v.orphanAllocs()...)
	for _, n := range in.Nodes {
		if v.nodeCollectable(n, th) {
			r.Nodes = append(r.Nodes, n.ID)
		}
	}
	sort.Strings(r.Nodes)
	return r
}

// jobCollectable is Nomad's rule: a periodic or parameterized parent only
// once stopped; otherwise a dead job that is stopped or of type batch or
// sysbatch, whose evaluations are all terminal and allocations all done,
// and whose last change (submission, evaluation or allocation) is older
// than the job threshold.
func (v *view) jobCollectable(j *nomadlike.Job, th Thresholds) bool {
	if j.IsPeriodic() || j.IsParameterized() {
		if !j.Stop {
			return false
		}
	} else {
		if j.Status != nomadlike.JobStatusDead {
			return false
		}
		if !j.Stop && j.Type != nomadlike.JobTypeBatch && j.Type != nomadlike.JobTypeSysBatch {
			return false
		}
	}
	k := jobKey{j.Namespace, j.ID}
	last := j.SubmitTime
	for _, e := range v.evalsByJob[k] {
		if !e.TerminalStatus() {
			return false
		}
		last = max(last, e.ModifyTime)
	}
	for _, a := range v.allocsByJob[k] {
		if !v.allocDone(a) {
			return false
		}
		last = max(last, a.ModifyTime)
	}
	return v.older(last, th.Job)
}

// evalCollectable decides a terminal evaluation of a job that is not being
// collected: the evaluation goes once older than its threshold (batch:
// BatchEval; none when its job was purged) with all its allocations done. Its allocations go with it
// when its job is gone, or, for service and system jobs, when they were
// replaced (NextAllocation) or belong to an older job version; a live
// batch job keeps its allocations (they are its outcome and status).
func (v *view) evalCollectable(e *nomadlike.Evaluation, th Thresholds) (bool, []string) {
	if !e.TerminalStatus() {
		return false, nil
	}
	job := v.jobs[jobKey{e.Namespace, e.JobID}]
	d := th.Eval
	switch {
	case job == nil:
		d = 0 // its job was purged: nothing to keep it for
	case e.Type == nomadlike.JobTypeBatch || e.Type == nomadlike.JobTypeSysBatch:
		d = th.BatchEval
	}
	if !v.older(e.ModifyTime, d) {
		return false, nil
	}
	allocs := v.allocsByEv[e.ID]
	for _, a := range allocs {
		if !v.allocDone(a) {
			return false, nil
		}
	}
	var ids []string
	for _, a := range allocs {
		if job == nil || v.allocSuperseded(job, a) {
			ids = append(ids, a.ID)
		}
	}
	return true, ids
}

func (v *view) allocSuperseded(job *nomadlike.Job, a *nomadlike.Allocation) bool {
	if job.Type == nomadlike.JobTypeBatch || job.Type == nomadlike.JobTypeSysBatch {
		return false
	}
	return a.NextAllocation != "" || (a.Job != nil && a.Job.Version < job.Version)
}

// orphanAllocs are done allocations whose job and evaluation are both
// gone (a purged job's): nothing keeps them.
func (v *view) orphanAllocs() []string {
	evals := make(map[string]bool, len(v.in.Evals))
	for _, e := range v.in.Evals {
		evals[e.ID] = true
	}
	var ids []string
	for _, a := range v.in.Allocs {
		if evals[a.EvalID] || v.jobs[jobKey{a.Namespace, a.JobID}] != nil {
			continue
		}
		if v.allocDone(a) {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// nodeCollectable: down for longer than the node threshold, with no
// allocation that is not terminal.
func (v *view) nodeCollectable(n *nomadlike.Node, th Thresholds) bool {
	if !n.TerminalStatus() {
		return false
	}
	if !v.older(time.Unix(n.StatusUpdatedAt, 0).UnixNano(), th.Node) {
		return false
	}
	for _, a := range v.allocsNode[n.ID] {
		if !a.TerminalStatus() {
			return false
		}
	}
	return true
}
