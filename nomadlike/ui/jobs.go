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
)

// jobsFilter is what the jobs page was asked for.
type jobsFilter struct {
	Namespace, Type, Status, Prefix, Next string
	PerPage                               int
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
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n > 0 {
		f.PerPage = min(n, maxPerPage)
	}
	return f
}

// expr is the API filter for the type and (withStatus) the status.
func (f jobsFilter) expr(withStatus bool) string {
	var parts []string
	if f.Type != "" {
		parts = append(parts, "Type == "+strconv.Quote(f.Type))
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
}

type statusCount struct {
	Status string
	Count  int
}

func (h *Handler) loadJobs(c *call, r *http.Request) (any, error) {
	f := parseJobsFilter(r)
	d := &jobsData{Filter: f, Types: jobTypes, Statuses: jobStatuses, Namespaces: h.namespaces(c)}
	q := f.options(true)
	q.Params["per_page"] = strconv.Itoa(f.PerPage)
	if f.Next != "" {
		q.Params["next_token"] = f.Next
	}
	jobs, qm, err := c.c.Jobs().List(c.ctx, q)
	c.seen(qm)
	if err != nil {
		return d, err
	}
	d.Jobs, d.Next = jobs, qm.NextToken
	counts, err := h.counts.get(c, f, qm.LastIndex)
	if err != nil {
		return d, err
	}
	for _, s := range jobStatuses {
		d.Counts = append(d.Counts, statusCount{s, counts[s]})
		d.Total += counts[s]
	}
	return d, nil
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
	key := strings.Join([]string{c.tokenHash(), f.Namespace, f.Type, f.Prefix}, "\x00")
	s.mu.Lock()
	e, ok := s.entries[key]
	s.mu.Unlock()
	if ok && e.index == index && index > 0 {
		return e.counts, nil
	}
	var stubs []struct{ Status string }
	qm, err := c.query("/v1/jobs", &stubs, f.options(false))
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, st := range stubs {
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
