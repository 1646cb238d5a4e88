package ui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

const (
	// defaultPerPage is the jobs page's page size; ?per_page= picks
	// another up to maxPerPage.
	defaultPerPage = 25
	maxPerPage     = 100
)

// The values the jobs filters offer: the filter expression is built from
// these constants only, never from the user's text.
var (
	jobTypes    = []string{nomadlike.JobTypeService, nomadlike.JobTypeBatch, nomadlike.JobTypeSystem, nomadlike.JobTypeSysBatch}
	jobStatuses = []string{nomadlike.JobStatusPending, nomadlike.JobStatusRunning, nomadlike.JobStatusDead}
	// jobOutcomes are a finished batch job's outcomes (nomadlike's
	// JobListStub.Outcome).
	jobOutcomes = []string{nomadlike.OutcomeSucceeded, nomadlike.OutcomeFailed, nomadlike.OutcomeStopped}
)

// jobsFilter is what the jobs page was asked for.
type jobsFilter struct {
	Namespace, Type, Status, Outcome, Prefix, Next string
	PerPage                                        int
}

func parseJobsFilter(r *http.Request) jobsFilter {
	q := r.URL.Query()
	f := jobsFilter{Namespace: q.Get("namespace"), Prefix: strings.TrimSpace(q.Get("prefix")), Next: q.Get("next"), PerPage: defaultPerPage}
	if f.Namespace == "" {
		f.Namespace = "*"
	}
	if t := q.Get("type"); slices.Contains(jobTypes, t) {
		f.Type = t
	}
	if s := q.Get("status"); slices.Contains(jobStatuses, s) {
		f.Status = s
	}
	if o := q.Get("outcome"); slices.Contains(jobOutcomes, o) {
		f.Outcome = o
	}
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n > 0 {
		f.PerPage = min(n, maxPerPage)
	}
	return f
}

// expr is the API filter for the type, and (withStatus) the status.
func (f jobsFilter) expr(withStatus bool) string {
	var parts []string
	if f.Type != "" {
		parts = append(parts, "Type == "+strconv.Quote(f.Type))
	}
	if f.Outcome != "" {
		// Only a dead job has an outcome. The outcome itself is matched
		// here (outcomePage): the API's filter fails on a job whose
		// Outcome is null.
		parts = append(parts, `Status == "dead"`)
	}
	if withStatus && f.Status != "" {
		parts = append(parts, "Status == "+strconv.Quote(f.Status))
	}
	return strings.Join(parts, " and ")
}

func (f jobsFilter) options(withStatus bool) *api.QueryOptions {
	q := &api.QueryOptions{Namespace: f.Namespace, Prefix: f.Prefix, Params: map[string]string{}}
	if e := f.expr(withStatus); e != "" {
		q.Params["filter"] = e
	}
	return q
}

// jobsData is the jobs page.
type jobsData struct {
	Filter     jobsFilter
	Jobs       []*nomadlike.JobListStub
	Next       string
	Counts     []statusCount
	Total      int
	Namespaces []string
	Types      []string
	Statuses   []string
	Outcomes   []string
}

type statusCount struct {
	Status string
	Count  int
}

func (h *Handler) loadJobs(c *call, r *http.Request) (any, error) {
	f := parseJobsFilter(r)
	d := &jobsData{Filter: f, Types: jobTypes, Statuses: jobStatuses, Outcomes: jobOutcomes, Namespaces: h.namespaces(c)}
	jobs, next, index, err := jobsPage(c, f)
	if err != nil {
		return d, err
	}
	d.Jobs, d.Next = jobs, next
	counts, err := h.counts.get(c, f, index)
	if err != nil {
		return d, err
	}
	for _, s := range jobStatuses {
		d.Counts = append(d.Counts, statusCount{s, counts[s]})
		d.Total += counts[s]
	}
	return d, nil
}

// jobsPage reads one page of the jobs list (and the next page's token)
// from the API, which filters and pages; with an outcome filter it matches
// the outcome on the API's pages of dead jobs (outcomePage).
func jobsPage(c *call, f jobsFilter) ([]*nomadlike.JobListStub, string, uint64, error) {
	if f.Outcome != "" {
		return outcomePage(c, f)
	}
	q := f.options(true)
	q.Params["per_page"] = strconv.Itoa(f.PerPage)
	if f.Next != "" {
		q.Params["next_token"] = f.Next
	}
	jobs, qm, err := c.c.Jobs().List(c.ctx, q)
	c.seen(qm)
	if err != nil {
		return nil, "", 0, err
	}
	return jobs, qm.NextToken, qm.LastIndex, nil
}

// outcomeScanPage is how many dead jobs outcomePage reads per API call.
const outcomeScanPage = 500

// outcomePage pages through the API's dead jobs (outcomeScanPage at a
// time) and keeps those with f's outcome, until it has a page of them. The
// next page's token is the API's token of the first match left over:
// "namespace.ID", the jobs list's order.
func outcomePage(c *call, f jobsFilter) ([]*nomadlike.JobListStub, string, uint64, error) {
	var out []*nomadlike.JobListStub
	var index uint64
	next := f.Next
	for {
		q := f.options(true)
		q.Params["per_page"] = strconv.Itoa(outcomeScanPage)
		if next != "" {
			q.Params["next_token"] = next
		}
		jobs, qm, err := c.c.Jobs().List(c.ctx, q)
		c.seen(qm)
		if err != nil {
			return nil, "", 0, err
		}
		index = max(index, qm.LastIndex)
		for _, j := range jobs {
			if j.Outcome == nil || j.Outcome.Status != f.Outcome {
				continue
			}
			if len(out) == f.PerPage {
				return out, j.Namespace + "." + j.ID, index, nil
			}
			out = append(out, j)
		}
		if next = qm.NextToken; next == "" {
			return out, "", index, nil
		}
	}
}

// namespaces lists the namespaces the token can see ("*" first); on an
// error (an old agent, no permission) just "*" and "default".
func (h *Handler) namespaces(c *call) []string {
	var out []*nomadlike.Namespace
	if _, err := c.c.Query(c.ctx, "/v1/namespaces", &out, nil); err != nil {
		return []string{"*", "default"}
	}
	names := []string{"*"}
	for _, ns := range out {
		names = append(names, ns.Name)
	}
	return names
}

func watchJobs(r *http.Request) []string {
	return []string{"/v1/jobs?namespace=*&per_page=1"}
}

// statusCounts caches the jobs page's counts per status, which need the
// whole filtered list: computed once per (token, namespace, type,
// prefix) and jobs index, so that paging and live updates with no change
// read only one page.
type statusCounts struct {
	mu      sync.Mutex
	entries map[string]countEntry
}

type countEntry struct {
	index  uint64
	counts map[string]int
}

// maxCountEntries bounds the cache; past it the cache starts over.
const maxCountEntries = 256

func (s *statusCounts) get(c *call, f jobsFilter, index uint64) (map[string]int, error) {
	key := strings.Join([]string{c.tokenHash(), f.Namespace, f.Type, f.Outcome, f.Prefix}, "\x00")
	s.mu.Lock()
	e, ok := s.entries[key]
	s.mu.Unlock()
	if ok && e.index == index && index > 0 {
		return e.counts, nil
	}
	var stubs []struct {
		Status  string
		Outcome *struct{ Status string }
	}
	qm, err := c.query("/v1/jobs", &stubs, f.options(false))
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, st := range stubs {
		if f.Outcome != "" && (st.Outcome == nil || st.Outcome.Status != f.Outcome) {
			continue
		}
		counts[st.Status]++
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries == nil || len(s.entries) >= maxCountEntries {
		s.entries = map[string]countEntry{}
	}
	s.entries[key] = countEntry{index: qm.LastIndex, counts: counts}
	return counts, nil
}
