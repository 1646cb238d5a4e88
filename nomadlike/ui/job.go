package ui

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// maxChildren is how many dispatched or periodic children the job page
// lists (newest first would need another order; the API lists by ID).
const maxChildren = 50

// jobData is the job page.
type jobData struct {
	Job      *nomadlike.Job
	Groups   []groupRow
	Pipeline []pipelineRow
	Versions []versionRow
	Children []*nomadlike.JobListStub
	Allocs   []allocRow
	Evals    []*nomadlike.Evaluation
}

type groupRow struct {
	Name    string
	Count   int
	Summary nomadlike.TaskGroupSummary
}

// allocRow is an allocation of the job with the outcome of its attempt.
type allocRow struct {
	Stub    *nomadlike.AllocListStub
	Outcome string
}

type pipelineRow struct {
	Name, DependsOn, State, Reason string
}

func (d *jobData) pageTitle() string {
	if d.Job == nil {
		return ""
	}
	return "Job " + d.Job.ID
}

func jobQuery(r *http.Request) (id string, q *api.QueryOptions) {
	ns := r.URL.Query().Get("namespace")
	if ns == "" {
		ns = "default"
	}
	return r.URL.Query().Get("id"), &api.QueryOptions{Namespace: ns}
}

func (h *Handler) loadJob(c *call, r *http.Request) (any, error) {
	id, q := jobQuery(r)
	d := &jobData{}
	job, qm, err := c.c.Jobs().Info(c.ctx, id, q)
	c.seen(qm)
	if err != nil {
		return d, err
	}
	d.Job = job
	sum, qm, err := c.c.Jobs().Summary(c.ctx, id, q)
	c.seen(qm)
	if err != nil {
		return d, err
	}
	allocs, qm, err := c.c.Jobs().Allocations(c.ctx, id, true, q)
	c.seen(qm)
	if err != nil {
		return d, err
	}
	sort.Slice(allocs, func(i, j int) bool { return allocs[i].CreateIndex > allocs[j].CreateIndex })
	full := stubAllocs(allocs)
	for i, a := range allocs {
		d.Allocs = append(d.Allocs, allocRow{Stub: a, Outcome: nomadlike.AttemptResult(full[i], job.Stop)})
	}
	for _, tg := range job.TaskGroups {
		d.Groups = append(d.Groups, groupRow{Name: tg.Name, Count: tg.Count, Summary: sum.Summary[tg.Name]})
	}
	if job.HasDependencies() {
		for _, g := range nomadlike.PipelineStates(job, full, nil) {
			d.Pipeline = append(d.Pipeline, pipelineRow{Name: g.Name, DependsOn: dependsText(job.LookupTaskGroup(g.Name)), State: g.State, Reason: g.Reason})
		}
	}
	versions, diffs, qm, err := c.c.Jobs().Versions(c.ctx, id, true, q)
	c.seen(qm)
	if err == nil {
		d.Versions = versionRows(versions, diffs)
	}
	evals, qm, err := c.c.Jobs().Evaluations(c.ctx, id, q)
	c.seen(qm)
	if err == nil {
		sort.Slice(evals, func(i, j int) bool { return evals[i].CreateIndex > evals[j].CreateIndex })
		d.Evals = evals[:min(len(evals), 10)]
	}
	if job.IsPeriodic() || job.IsParameterized() {
		cq := &api.QueryOptions{Namespace: q.Namespace, Prefix: job.ID + "/",
			Params: map[string]string{"per_page": strconv.Itoa(maxChildren), "filter": "ParentID == " + strconv.Quote(job.ID)}}
		children, qm, err := c.c.Jobs().List(c.ctx, cq)
		c.seen(qm)
		if err == nil {
			d.Children = children
		}
	}
	return d, nil
}

func watchJob(r *http.Request) []string {
	id, q := jobQuery(r)
	ns := "?namespace=" + url.QueryEscape(q.Namespace)
	p := "/v1/job/" + url.PathEscape(id)
	return []string{p + ns, p + "/summary" + ns, p + "/allocations" + ns + "&all=true"}
}

// stubAllocs gives PipelineStates the fields of the list stubs it reads.
func stubAllocs(stubs []*nomadlike.AllocListStub) []*nomadlike.Allocation {
	out := make([]*nomadlike.Allocation, 0, len(stubs))
	for _, s := range stubs {
		out = append(out, &nomadlike.Allocation{ID: s.ID, Name: s.Name, NodeID: s.NodeID, JobID: s.JobID,
			TaskGroup: s.TaskGroup, DesiredStatus: s.DesiredStatus, ClientStatus: s.ClientStatus,
			TaskStates: s.TaskStates, CreateIndex: s.CreateIndex, ModifyIndex: s.ModifyIndex,
			CreateTime: s.CreateTime, ModifyTime: s.ModifyTime})
	}
	return out
}

// dependsText lists a group's dependencies, "build (success), lint (failure)".
func dependsText(tg *nomadlike.TaskGroup) string {
	if tg == nil || len(tg.DependsOn) == 0 {
		return "—"
	}
	s := ""
	for i, d := range tg.DependsOn {
		if i > 0 {
			s += ", "
		}
		s += d.Group + " (" + d.Condition + ")"
	}
	return s
}

// jobStop stops the job named by the form (POST /ui/job/stop).
func (h *Handler) jobStop(w http.ResponseWriter, r *http.Request) {
	id, ns := r.PostFormValue("id"), r.PostFormValue("namespace")
	back := "/ui/job?" + url.Values{"id": {id}, "namespace": {ns}}.Encode()
	_, _, err := h.client(r).Jobs().Deregister(ctxOf(r), id, false, &api.QueryOptions{Namespace: ns})
	h.afterAction(w, r, back, err)
}
