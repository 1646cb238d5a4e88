package ui

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// maxNodesPage is how many nodes the nodes and topology pages show at once
// (each needs the node and its allocations).
const maxNodesPage = 50

// nodeRow is one node with what is allocated on it.
type nodeRow struct {
	Stub     *nomadlike.NodeListStub
	CPU, Mem usage
	// Jobs are the node's running allocations' shares by job, for the
	// topology bars.
	Jobs []jobShare
}

// usage is an allocated amount of a total.
type usage struct {
	Used, Total int64
}

// Percent is Used of Total, 0-100.
func (u usage) Percent() int {
	if u.Total <= 0 {
		return 0
	}
	return int(min(100, u.Used*100/u.Total))
}

// jobShare is one job's CPU and memory on a node.
type jobShare struct {
	JobID, Namespace string
	CPU, Mem         int64
	Colour           int // 0-11, a stable colour class from the job ID
}

// nodesData is the nodes and topology pages.
type nodesData struct {
	Nodes []*nodeRow
	Next  string
}

func (h *Handler) loadNodes(c *call, r *http.Request) (any, error) {
	d := &nodesData{}
	q := &api.QueryOptions{Params: map[string]string{"per_page": strconv.Itoa(maxNodesPage)}}
	if n := r.URL.Query().Get("next"); n != "" {
		q.Params["next_token"] = n
	}
	stubs, qm, err := c.c.Nodes().List(c.ctx, q)
	c.seen(qm)
	if err != nil {
		return d, err
	}
	d.Next = qm.NextToken
	for _, s := range stubs {
		row := &nodeRow{Stub: s}
		node, qm, err := c.c.Nodes().Info(c.ctx, s.ID, nil)
		c.seen(qm)
		if err == nil && node.NodeResources != nil {
			row.CPU.Total = node.NodeResources.Cpu.CpuShares
			row.Mem.Total = node.NodeResources.Memory.MemoryMB
			if rr := node.ReservedResources; rr != nil {
				row.CPU.Total -= rr.Cpu.CpuShares
				row.Mem.Total -= rr.Memory.MemoryMB
			}
		}
		allocs, qm, err := c.c.Nodes().Allocations(c.ctx, s.ID, nil)
		c.seen(qm)
		if err == nil {
			row.addAllocs(allocs)
		}
		d.Nodes = append(d.Nodes, row)
	}
	return d, nil
}

// addAllocs sums the resources of the node's allocations that hold them.
func (n *nodeRow) addAllocs(allocs []*nomadlike.Allocation) {
	byJob := map[string]*jobShare{}
	for _, a := range allocs {
		if a.TerminalStatus() || a.ClientTerminalStatus() || a.AllocatedResources == nil {
			continue
		}
		var cpu, mem int64
		for _, t := range a.AllocatedResources.Tasks {
			cpu += t.Cpu.CpuShares
			mem += t.Memory.MemoryMB
		}
		n.CPU.Used += cpu
		n.Mem.Used += mem
		key := a.Namespace + "\x00" + a.JobID
		s := byJob[key]
		if s == nil {
			s = &jobShare{JobID: a.JobID, Namespace: a.Namespace, Colour: colourOf(a.JobID)}
			byJob[key] = s
		}
		s.CPU += cpu
		s.Mem += mem
	}
	for _, s := range byJob {
		n.Jobs = append(n.Jobs, *s)
	}
	sort.Slice(n.Jobs, func(i, j int) bool { return n.Jobs[i].JobID < n.Jobs[j].JobID })
}

// colourOf picks one of 12 colours for a job (FNV-1a of its ID).
func colourOf(id string) int {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return int(h % 12)
}

func watchNodes(*http.Request) []string {
	return []string{"/v1/nodes?per_page=1", "/v1/allocations?per_page=1"}
}

// evalsData is the evaluations page.
type evalsData struct {
	Evals []*nomadlike.Evaluation
	Next  string
}

func (h *Handler) loadEvals(c *call, r *http.Request) (any, error) {
	d := &evalsData{}
	q := &api.QueryOptions{Namespace: "*", Params: map[string]string{"per_page": "50"}}
	if n := r.URL.Query().Get("next"); n != "" {
		q.Params["next_token"] = n
	}
	if r.URL.Query().Get("failed") == "1" {
		q.Params["filter"] = `Status == "blocked" or Status == "failed" or FailedTGAllocs is not empty`
	}
	evals, qm, err := c.c.Evaluations().List(c.ctx, q)
	c.seen(qm)
	if err != nil {
		return d, err
	}
	d.Evals, d.Next = evals, qm.NextToken
	return d, nil
}

func watchEvals(*http.Request) []string {
	return []string{"/v1/evaluations?namespace=*&per_page=1"}
}

// serversData is the servers page.
type serversData struct {
	Leader  string
	Raft    *api.RaftConfiguration
	Members *api.ServerMembers
	RaftErr *pageError
}

func (h *Handler) loadServers(c *call, r *http.Request) (any, error) {
	d := &serversData{}
	leader, err := c.c.Status().Leader(c.ctx)
	if err != nil {
		return d, err
	}
	d.Leader = leader
	if m, err := c.c.Agent().Members(c.ctx); err == nil {
		d.Members = m
	}
	raft, err := c.c.Operator().RaftConfiguration(c.ctx, nil)
	if err != nil {
		d.RaftErr = h.explain(err, r) // operator:read; the page still shows the leader
	} else {
		d.Raft = raft
	}
	return d, nil
}

// nodeLink is the URL of a node's row on the nodes page.
func nodeLink(id string) string { return "/ui/nodes#node-" + url.PathEscape(id) }
