package httpapitest

import (
	"fmt"
	"slices"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// process is the fake's scheduler: first-fit over ready nodes of the job's
// datacenters, stopping extras, recording failures as Nomad's metrics and a
// blocked evaluation. Good enough for the CLI to have something to show.
func (f *Server) process(evalID string) error {
	_, err := f.Apply(func(st *state.StateStore, index uint64) error {
		eval, err := st.EvalByID(nil, evalID)
		if err != nil || eval == nil {
			return fmt.Errorf("eval %q: %w", evalID, nomadlike.ErrNotFound)
		}
		eval = eval.Copy()
		job, err := st.JobByID(nil, eval.Namespace, eval.JobID)
		if err != nil {
			return err
		}
		allocs, err := st.AllocsByJob(nil, eval.Namespace, eval.JobID)
		if err != nil {
			return err
		}
		nodes, err := st.Nodes(nil, "")
		if err != nil {
			return err
		}
		var changes []*nomadlike.Allocation
		failed := map[string]*nomadlike.AllocMetric{}
		byGroup := map[string][]*nomadlike.Allocation{}
		for _, a := range allocs {
			if !a.TerminalStatus() {
				byGroup[a.TaskGroup] = append(byGroup[a.TaskGroup], a)
			}
		}
		stop := func(a *nomadlike.Allocation, why string) {
			cp := a.Copy()
			cp.DesiredStatus = nomadlike.AllocDesiredStatusStop
			cp.DesiredDescription = why
			cp.EvalID = eval.ID
			changes = append(changes, cp)
		}
		if job == nil || job.Stop {
			for _, list := range byGroup {
				for _, a := range list {
					stop(a, "alloc not needed since job is stopped")
				}
			}
		} else {
			placed := map[string][]*nomadlike.Allocation{} // node ID → allocs this eval placed
			for _, tg := range job.TaskGroups {
				have := byGroup[tg.Name]
				for i := tg.Count; i < len(have); i++ {
					stop(have[i], "alloc not needed due to job update")
				}
				for i := len(have); i < tg.Count; i++ {
					a, m := f.place(st, job, tg, i, nodes, placed)
					if a == nil {
						if prev := failed[tg.Name]; prev != nil {
							prev.CoalescedFailures++
						} else {
							failed[tg.Name] = m
						}
						continue
					}
					a.EvalID = eval.ID
					placed[a.NodeID] = append(placed[a.NodeID], a)
					changes = append(changes, a)
				}
			}
		}
		if len(changes) > 0 {
			if err := st.UpsertAllocs(index, changes); err != nil {
				return err
			}
		}
		evals := []*nomadlike.Evaluation{eval}
		eval.Status = nomadlike.EvalStatusComplete
		if len(failed) > 0 {
			eval.FailedTGAllocs = failed
			blocked := &nomadlike.Evaluation{
				ID: nomadlike.GenerateUUID(), Namespace: eval.Namespace, Priority: eval.Priority, Type: eval.Type,
				TriggeredBy: nomadlike.EvalTriggerQueuedAllocs, JobID: eval.JobID, Status: nomadlike.EvalStatusBlocked,
				PreviousEval: eval.ID,
			}
			eval.BlockedEval = blocked.ID
			evals = append(evals, blocked)
		}
		return st.UpsertEvals(index, evals)
	})
	return err
}

// place picks the first ready node that is in the job's datacenters and has
// room, or returns the metric of why none did.
func (f *Server) place(st *state.StateStore, job *nomadlike.Job, tg *nomadlike.TaskGroup, i int, nodes []*nomadlike.Node, placed map[string][]*nomadlike.Allocation) (*nomadlike.Allocation, *nomadlike.AllocMetric) {
	m := &nomadlike.AllocMetric{NodesAvailable: map[string]int{}}
	for _, dc := range job.Datacenters {
		m.NodesAvailable[dc] = 0
	}
	need := tg.ComparableResources()
	for _, n := range nodes {
		if !slices.Contains(job.Datacenters, n.Datacenter) && !slices.Contains(job.Datacenters, "*") {
			continue
		}
		m.NodesAvailable[n.Datacenter]++
		m.NodesInPool++
		m.NodesEvaluated++
		if !n.Ready() {
			m.FilterNode(n.NodeClass, "node is not ready for placements")
			continue
		}
		existing, err := st.AllocsByNode(nil, n.ID)
		if err != nil {
			continue
		}
		var live []*nomadlike.Allocation
		for _, a := range existing {
			if !a.TerminalStatus() {
				live = append(live, a)
			}
		}
		live = append(live, placed[n.ID]...)
		a := newAlloc(job, tg, i, n, need)
		if ok, dim, _ := nomadlike.AllocsFit(n, append(live, a)); !ok {
			m.ExhaustedNode(n.NodeClass, dim)
			continue
		}
		return a, nil
	}
	return nil, m
}

func newAlloc(job *nomadlike.Job, tg *nomadlike.TaskGroup, i int, n *nomadlike.Node, need nomadlike.ComparableResources) *nomadlike.Allocation {
	tasks := map[string]*nomadlike.AllocatedTaskResources{}
	for _, t := range tg.Tasks {
		r := &nomadlike.AllocatedTaskResources{}
		if t.Resources != nil {
			r.Cpu.CpuShares = int64(t.Resources.CPU)
			r.Memory.MemoryMB = int64(t.Resources.MemoryMB)
		}
		tasks[t.Name] = r
	}
	now := time.Now().UnixNano()
	return &nomadlike.Allocation{
		ID: nomadlike.GenerateUUID(), Namespace: job.Namespace, Name: nomadlike.AllocName(job.ID, tg.Name, i),
		NodeID: n.ID, NodeName: n.Name, JobID: job.ID, Job: job, TaskGroup: tg.Name,
		AllocatedResources: &nomadlike.AllocatedResources{Tasks: tasks, Shared: nomadlike.AllocatedSharedResources{DiskMB: need.DiskMB}},
		DesiredStatus:      nomadlike.AllocDesiredStatusRun, ClientStatus: nomadlike.AllocClientStatusPending,
		CreateTime: now, ModifyTime: now,
	}
}

// maybeProcess runs the fake scheduler on evalID when Schedule is set.
func (f *Server) maybeProcess(evalID string, err error) error {
	if err != nil {
		return err
	}
	f.mu.Lock()
	sched := f.Schedule
	f.mu.Unlock()
	if !sched {
		return nil
	}
	return f.process(evalID)
}
