package httpapi

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

func (h *Handler) jobList(w http.ResponseWriter, r *http.Request) {
	opts, err := parseListOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		jobs, err := st.Jobs(ws, q.namespace, q.prefix)
		if err != nil {
			return nil, 0, err
		}
		jobs = filterNS(r, jobs, acl.NamespaceCapabilityListJobs, func(j *nomadlike.Job) string { return j.Namespace })
		// Stubs carry summaries: any summary write wakes the query.
		if _, err := st.IndexWatch(ws, state.TableJobSummary); err != nil {
			return nil, 0, err
		}
		l := listing[*nomadlike.Job]{
			order: byNamespaceID,
			key:   func(j *nomadlike.Job) listKey { return listKey{ns: j.Namespace, id: j.ID} },
			wire: func(j *nomadlike.Job) any {
				// A read error leaves the summary out of the stub.
				sum, _ := st.JobSummaryByID(nil, j.Namespace, j.ID)
				return j.Stub(sum)
			},
		}
		out, err := l.page(jobs, opts)
		if err != nil {
			return nil, 0, err
		}
		idx, err := tableIndex(st, state.TableJobs, state.TableJobSummary)
		return out, idx, err
	})
}

// jobByPath reads the job named by the {id} path value in q's namespace.
func jobByPath(ws state.WatchSet, st Store, r *http.Request, q queryOptions) (*nomadlike.Job, error) {
	id := r.PathValue("id")
	job, err := st.JobByID(ws, q.namespace, id)
	if err != nil {
		return nil, err
	}
	if job == nil {
		return nil, jobNotFound(id, q.namespace)
	}
	return job, nil
}

func (h *Handler) jobInfo(w http.ResponseWriter, r *http.Request) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		idx, err := tableIndex(st, state.TableJobs)
		if err != nil {
			return nil, 0, err
		}
		job, err := jobByPath(ws, st, r, q)
		return job, idx, err
	})
}

func (h *Handler) jobRegister(w http.ResponseWriter, r *http.Request) {
	var req api.JobRegisterRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if req.Job == nil {
		writeError(w, badRequest("Job: missing; the body must be {\"Job\": {...}}"))
		return
	}
	if id := r.PathValue("id"); id != "" && id != req.Job.ID {
		writeError(w, badRequest("Job.ID: %s does not match the job ID %s in the path", reqlimit.Quote(req.Job.ID), reqlimit.Quote(id)))
		return
	}
	jobNamespace(r, req.Job)
	if err := checkHostVolumeACL(r, req.Job); err != nil { // host volumes (jobs_hostvolume.go)
		writeError(w, err)
		return
	}
	h.writeOp(w, r, func() (any, uint64, error) {
		evalID, index, warnings, err := h.cfg.Server.RegisterJob(req.Job, req.EnforceIndex, req.JobModifyIndex)
		if err != nil {
			return nil, 0, err
		}
		return &api.JobRegisterResponse{
			EvalID: evalID, EvalCreateIndex: index, JobModifyIndex: index, Warnings: warnings, Index: index,
		}, index, nil
	})
}

// jobNamespace sets the namespace of a submitted job as Nomad does: the
// ?namespace= parameter (the CLI's -namespace) wins over the body's
// Job.Namespace, which wins over "default".
func jobNamespace(r *http.Request, job *nomadlike.Job) {
	if ns := r.URL.Query().Get("namespace"); ns != "" {
		job.Namespace = ns
	} else if job.Namespace == "" {
		job.Namespace = nomadlike.DefaultNamespace
	}
}

func namespaceParam(r *http.Request) string {
	if ns := r.URL.Query().Get("namespace"); ns != "" {
		return ns
	}
	return nomadlike.DefaultNamespace
}

func (h *Handler) jobDeregister(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	purge := r.URL.Query().Get("purge") == "true"
	ns := namespaceParam(r)
	h.writeOp(w, r, func() (any, uint64, error) {
		evalID, index, err := h.cfg.Server.DeregisterJob(ns, id, purge)
		if err != nil {
			return nil, 0, err
		}
		return &api.JobDeregisterResponse{EvalID: evalID, EvalCreateIndex: index, JobModifyIndex: index, Index: index}, index, nil
	})
}

func (h *Handler) jobAllocations(w http.ResponseWriter, r *http.Request) {
	all := r.URL.Query().Get("all") == "true"
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		id := r.PathValue("id")
		allocs, err := st.AllocsByJob(ws, q.namespace, id)
		if err != nil {
			return nil, 0, err
		}
		var createIndex uint64
		if !all {
			// Without ?all, allocations of an earlier job that had the
			// same ID (purged, then registered again) are left out.
			job, err := st.JobByID(ws, q.namespace, id)
			if err != nil {
				return nil, 0, err
			}
			if job != nil {
				createIndex = job.CreateIndex
			}
		}
		out := make([]*nomadlike.Allocation, 0, len(allocs))
		for _, a := range allocs {
			if createIndex != 0 && a.Job != nil && a.Job.CreateIndex != 0 && a.Job.CreateIndex != createIndex {
				continue
			}
			out = append(out, a)
		}
		sortNewestFirst(out, allocKey)
		idx, err := tableIndex(st, state.TableAllocs)
		return &listAnswer[*nomadlike.Allocation]{items: out, wire: allocStub}, idx, err
	})
}

// allocStub is an allocation as lists answer it.
func allocStub(a *nomadlike.Allocation) any { return a.Stub() }

func allocKey(a *nomadlike.Allocation) listKey { return listKey{index: a.CreateIndex, id: a.ID} }

func evalKey(e *nomadlike.Evaluation) listKey { return listKey{index: e.CreateIndex, id: e.ID} }

// sortNewestFirst orders by CreateIndex, newest first, then ID, as Nomad
// lists a job's allocations and evaluations.
func sortNewestFirst[T any](s []T, key func(T) listKey) {
	slices.SortStableFunc(s, func(a, b T) int { return byIndexDesc.compare(key(a), key(b)) })
}

func (h *Handler) jobEvaluations(w http.ResponseWriter, r *http.Request) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		evals, err := st.EvalsByJob(ws, q.namespace, r.PathValue("id"))
		if err != nil {
			return nil, 0, err
		}
		out := append([]*nomadlike.Evaluation{}, evals...)
		sortNewestFirst(out, evalKey)
		idx, err := tableIndex(st, state.TableEvals)
		return &listAnswer[*nomadlike.Evaluation]{items: out}, idx, err
	})
}

func (h *Handler) jobSummary(w http.ResponseWriter, r *http.Request) {
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		idx, err := tableIndex(st, state.TableJobSummary, state.TableJobs) // jobs: Outcome
		if err != nil {
			return nil, 0, err
		}
		id := r.PathValue("id")
		sum, err := st.JobSummaryByID(ws, q.namespace, id)
		if err != nil {
			return nil, idx, err
		}
		if sum == nil {
			return nil, idx, jobNotFound(id, q.namespace)
		}
		// Batch and CI: the summary carries the job's Outcome (outcome.go).
		if job, err := st.JobByID(ws, q.namespace, id); err == nil && job != nil && job.Outcome != nil {
			cp := *sum
			cp.Outcome = job.Outcome
			sum = &cp
		}
		return sum, idx, nil
	})
}

func (h *Handler) jobVersions(w http.ResponseWriter, r *http.Request) {
	withDiffs := r.URL.Query().Get("diffs") == "true"
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		idx, err := tableIndex(st, state.TableJobVersions)
		if err != nil {
			return nil, 0, err
		}
		id := r.PathValue("id")
		versions, err := st.JobVersionsByID(ws, q.namespace, id)
		if err != nil {
			return nil, idx, err
		}
		if len(versions) == 0 {
			return nil, idx, jobNotFound(id, q.namespace)
		}
		out := &api.JobVersionsResponse{Versions: versions, Index: idx}
		if withDiffs {
			for i := 0; i+1 < len(versions); i++ {
				out.Diffs = append(out.Diffs, DiffJobs(versions[i+1], versions[i]))
			}
		}
		return out, idx, nil
	})
}

func (h *Handler) jobPlan(w http.ResponseWriter, r *http.Request) {
	var req api.JobPlanRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if req.Job == nil {
		writeError(w, badRequest("Job: missing; the body must be {\"Job\": {...}, \"Diff\": true}"))
		return
	}
	if id := r.PathValue("id"); id != req.Job.ID {
		writeError(w, badRequest("Job.ID: %s does not match the job ID %s in the path", reqlimit.Quote(req.Job.ID), reqlimit.Quote(id)))
		return
	}
	jobNamespace(r, req.Job)
	if err := checkHostVolumeACL(r, req.Job); err != nil { // host volumes (jobs_hostvolume.go)
		writeError(w, err)
		return
	}
	h.writeOp(w, r, func() (any, uint64, error) {
		srv := h.cfg.Server
		resp, err := srv.PlanJob(req.Job, req.Diff)
		if err != nil {
			return nil, 0, err
		}
		st := srv.State()
		if req.Diff && resp.Diff == nil {
			old, err := st.JobByID(nil, req.Job.Namespace, req.Job.ID)
			if err != nil {
				return nil, 0, err
			}
			// Compare what would be stored: Nomad's clients send jobs
			// with their defaults unset.
			cand := req.Job.Copy()
			cand.Canonicalize()
			resp.Diff = DiffJobs(old, cand)
		}
		if resp.Index == 0 {
			resp.Index, _ = st.LatestIndex()
		}
		return resp, resp.Index, nil
	})
}

func (h *Handler) jobEvaluate(w http.ResponseWriter, r *http.Request) {
	// The body is optional ({"JobID", "EvalOptions"}); read it so that the
	// request can be forwarded.
	if _, err := readBody(r); err != nil {
		writeError(w, err)
		return
	}
	id := r.PathValue("id")
	ns := namespaceParam(r)
	h.writeOp(w, r, func() (any, uint64, error) {
		evalID, index, err := h.cfg.Server.ForceEvaluate(ns, id)
		if err != nil {
			return nil, 0, err
		}
		return &api.JobRegisterResponse{EvalID: evalID, EvalCreateIndex: index, JobModifyIndex: index, Index: index}, index, nil
	})
}

// jobNotFound is the 404 for a job ID (quoted short) in a namespace.
func jobNotFound(id, ns string) error {
	return fmt.Errorf("job %s in namespace %s: %w", reqlimit.Quote(id), reqlimit.Quote(ns), nomadlike.ErrJobNotFound)
}
