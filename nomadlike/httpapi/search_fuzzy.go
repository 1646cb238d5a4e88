package httpapi

import (
	"net/http"
	"sort"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// Fuzzy search (Nomad's /v1/search/fuzzy): the names of jobs, groups,
// tasks, allocations and nodes that contain the text, case folded. As
// Nomad, a match is {"ID": name, "Scope": [parents' IDs]}: a job's scope
// is [namespace, job ID], a group's [namespace, job ID], a task's
// [namespace, job ID, group], an allocation's [namespace, allocation ID],
// a node's [node ID]. Matches are ordered exact, then prefix, then the
// rest, each by name; at most searchLimit per context. The text must be
// at least fuzzyMinTerm long (Nomad's search.min_term_length default).

// fuzzyMinTerm is the shortest text a fuzzy search takes.
const fuzzyMinTerm = 2

// fuzzyContexts are the contexts "all" searches, in answer order.
var fuzzyContexts = []string{"jobs", "groups", "tasks", "allocs", "nodes"}

// fuzzySearchRequest is Nomad's FuzzySearchRequest.
type fuzzySearchRequest struct {
	Text      string `json:"Text"`
	Context   string `json:"Context"`
	Namespace string `json:"Namespace,omitempty"`
}

// fuzzyMatch is Nomad's FuzzyMatch.
type fuzzyMatch struct {
	ID    string   `json:"ID"`
	Scope []string `json:"Scope,omitempty"`
}

// fuzzySearchResponse is Nomad's FuzzySearchResponse.
type fuzzySearchResponse struct {
	Matches     map[string][]fuzzyMatch `json:"Matches"`
	Truncations map[string]bool         `json:"Truncations"`
	Index       uint64                  `json:"Index"`
}

func (h *Handler) fuzzySearchRoutes() {
	h.write("/v1/search/fuzzy", searchNeed(), h.serverOnly(h.fuzzySearch))
}

func (h *Handler) fuzzySearch(w http.ResponseWriter, r *http.Request) {
	var req fuzzySearchRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	text := strings.ToLower(strings.TrimSpace(req.Text))
	if len(text) < fuzzyMinTerm {
		writeError(w, badRequest("Text: fuzzy search query must be at least %d characters, got %d", fuzzyMinTerm, len(text)))
		return
	}
	contexts := fuzzyContexts
	switch req.Context {
	case "", api.SearchAll:
	case "jobs", "groups", "tasks", "allocs", "nodes":
		contexts = []string{req.Context}
	default:
		writeError(w, badRequest("Context: %s is not one of all, %s (nomadlike searches no other)", reqlimit.Quote(req.Context), strings.Join(fuzzyContexts, ", ")))
		return
	}
	ns := req.Namespace
	if ns == "" {
		ns = namespaceParam(r)
	}
	allow := searchFilter{
		ns:    func(n string) bool { return allowNS(r, n, acl.NamespaceCapabilityReadJob) },
		nodes: aclFrom(r) == nil || aclFrom(r).AllowNodeRead(),
	}
	h.query(w, r, func(ws state.WatchSet, st Store, q queryOptions) (any, uint64, error) {
		found, err := fuzzyFind(ws, st, contexts, ns, text, allow)
		if err != nil {
			return nil, 0, err
		}
		out := &fuzzySearchResponse{Matches: map[string][]fuzzyMatch{}, Truncations: map[string]bool{}}
		for _, c := range contexts {
			ms := found[c]
			sortFuzzy(ms, text)
			out.Truncations[c] = len(ms) > searchLimit
			if len(ms) > searchLimit {
				ms = ms[:searchLimit]
			}
			out.Matches[c] = append([]fuzzyMatch{}, ms...)
		}
		idx, err := tableIndex(st, state.TableJobs, state.TableAllocs, state.TableNodes)
		out.Index = idx
		return out, idx, err
	})
}

// fuzzyFind collects the matches of text in each of contexts.
func fuzzyFind(ws state.WatchSet, st Store, contexts []string, ns, text string, allow searchFilter) (map[string][]fuzzyMatch, error) {
	want := map[string]bool{}
	for _, c := range contexts {
		want[c] = true
	}
	found := map[string][]fuzzyMatch{}
	add := func(c, name string, scope ...string) {
		if want[c] && strings.Contains(strings.ToLower(name), text) {
			found[c] = append(found[c], fuzzyMatch{ID: name, Scope: scope})
		}
	}
	inNS := func(n string) bool { return (ns == nomadlike.AllNamespaces || n == ns) && allow.ns(n) }
	if want["jobs"] || want["groups"] || want["tasks"] {
		jobs, err := st.Jobs(ws, ns, "")
		if err != nil {
			return nil, err
		}
		for _, j := range jobs {
			if !inNS(j.Namespace) {
				continue
			}
			add("jobs", j.Name, j.Namespace, j.ID)
			for _, tg := range j.TaskGroups {
				add("groups", tg.Name, j.Namespace, j.ID)
				for _, t := range tg.Tasks {
					add("tasks", t.Name, j.Namespace, j.ID, tg.Name)
				}
			}
		}
	}
	if want["allocs"] {
		allocs, err := st.Allocs(ws, "")
		if err != nil {
			return nil, err
		}
		for _, a := range allocs {
			if inNS(a.Namespace) {
				add("allocs", a.Name, a.Namespace, a.ID)
			}
		}
	}
	if want["nodes"] && allow.nodes {
		nodes, err := st.Nodes(ws, "")
		if err != nil {
			return nil, err
		}
		for _, n := range nodes {
			add("nodes", n.Name, n.ID)
		}
	}
	return found, nil
}

// sortFuzzy orders matches exact first, then prefix, then the rest, each
// by name then scope.
func sortFuzzy(ms []fuzzyMatch, text string) {
	rank := func(m fuzzyMatch) int {
		name := strings.ToLower(m.ID)
		switch {
		case name == text:
			return 0
		case strings.HasPrefix(name, text):
			return 1
		}
		return 2
	}
	sort.SliceStable(ms, func(i, j int) bool {
		ri, rj := rank(ms[i]), rank(ms[j])
		if ri != rj {
			return ri < rj
		}
		if ms[i].ID != ms[j].ID {
			return ms[i].ID < ms[j].ID
		}
		return strings.Join(ms[i].Scope, "/") < strings.Join(ms[j].Scope, "/")
	})
}
