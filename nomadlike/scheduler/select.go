package scheduler

import (
	"math"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/feasible"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/rank"
)

// selector picks a node for each placement: static feasibility once per
// group, then per placement the job-aware checks, fit and scores over the
// candidates, visiting the shuffled feasible nodes from a rotating cursor.
type selector struct {
	job    *nomadlike.Job
	limit  int
	spread bool // services spread copies with job anti-affinity; batch packs
	// fitSpread scores the emptiest node that fits best (the spread
	// scheduler algorithm) instead of the fullest (binpack).
	fitSpread bool
	ctx       *planContext
	checker   *feasible.Checker
	fitter    *rank.Fitter
	nodes     []*nomadlike.Node // ready nodes, shuffled
	groups    map[string]*groupState
}

// groupState is what the selector keeps per task group.
type groupState struct {
	tg         *nomadlike.TaskGroup
	ask        nomadlike.ComparableResources
	feasible   []*nomadlike.Node
	base       nomadlike.AllocMetric // static filtering, copied into every metric
	cursor     int
	affinities []*nomadlike.Affinity
	spreads    []*nomadlike.Spread
	failed     *nomadlike.AllocMetric // first failure; later ones coalesce
	perAlloc   bool                   // per_alloc host volumes: checked per placement index
}

// choice is a selected node with what it was granted.
type choice struct {
	node   *nomadlike.Node
	offer  *rank.Offer
	metric *nomadlike.AllocMetric
}

func (s *selector) group(tg *nomadlike.TaskGroup) *groupState {
	if g, ok := s.groups[tg.Name]; ok {
		return g
	}
	g := &groupState{tg: tg, ask: tg.ComparableResources(), affinities: rank.Affinities(s.job, tg)}
	g.spreads = append(append([]*nomadlike.Spread(nil), s.job.Spreads...), tg.Spreads...)
	g.perAlloc = feasible.HasPerAllocVolumes(tg)
	g.base.NodesInPool = len(s.nodes)
	g.base.NodesAvailable = map[string]int{}
	for _, n := range s.nodes {
		if ok, _ := feasible.Datacenter(n, s.job.Datacenters); ok {
			g.base.NodesAvailable[n.Datacenter]++
		}
		if ok, why := s.checker.Static(n, s.job, tg); !ok {
			g.base.FilterNode("", why)
			continue
		}
		g.feasible = append(g.feasible, n)
	}
	s.groups[tg.Name] = g
	return g
}

// selectNode picks the best-scoring node among up to limit candidates that
// pass the job checks and fit, for the allocation with the given index. It
// returns nil and the failure metric when none fits.
func (s *selector) selectNode(tg *nomadlike.TaskGroup, index int) (*choice, *nomadlike.AllocMetric) {
	start := time.Now()
	g := s.group(tg)
	if g.failed != nil && !g.perAlloc {
		// The cluster has not changed within this plan except by our own
		// placements, so a group that did not fit once will not fit again.
		g.failed.CoalescedFailures++
		return nil, g.failed
	}
	m := g.base.Copy()
	jobCheck := feasible.JobChecks(s.job, tg, s.ctx)
	n := len(g.feasible)
	limit := s.limit
	if limit <= 0 || limit > n {
		limit = n
	}
	var spreadIn []rank.SpreadInput
	if len(g.spreads) > 0 {
		spreadIn = s.spreadInputs(g)
	}
	var best *nomadlike.Node
	var bestUsage *rank.NodeUsage
	bestScore := math.Inf(-1)
	found, i := 0, 0
	for ; i < n && found < limit; i++ {
		node := g.feasible[(g.cursor+i)%n]
		m.NodesEvaluated++
		if jobCheck != nil {
			if ok, why := jobCheck(node); !ok {
				m.FilterNode("", why)
				continue
			}
		}
		if g.perAlloc {
			if ok, why := feasible.HostVolumesFor(node, tg, index); !ok {
				m.FilterNode("", why)
				continue
			}
		}
		usage := s.ctx.nodeUsage(node.ID)
		if ok, dim := s.fitter.Fit(node, usage, tg, g.ask); !ok {
			m.ExhaustedNode("", dim)
			continue
		}
		found++
		if score := s.score(g, node, usage, spreadIn, nil); score > bestScore {
			bestScore, best, bestUsage = score, node, usage
		}
	}
	if n > 0 {
		g.cursor = (g.cursor + i) % n
	}
	var offer *rank.Offer
	if best != nil {
		var ok bool
		if offer, ok = s.fitter.Offer(best, bestUsage, tg); !ok {
			m.ExhaustedNode("", nomadlike.DimensionPorts)
			best = nil
		}
	}
	m.AllocationTime = time.Since(start)
	if best == nil {
		g.failed = m
		return nil, m
	}
	parts := map[string]float64{}
	s.score(g, best, bestUsage, spreadIn, parts)
	m.ScoreMetaData = []*nomadlike.NodeScoreMeta{{NodeID: best.ID, Scores: parts, NormScore: bestScore}}
	return &choice{node: best, offer: offer, metric: m}, nil
}

// score combines the scores that apply to the node as their mean, as Nomad
// does: bin-pack always, anti-affinity when the node already runs copies
// (services only), affinity and spread when the job asks for them. When
// parts is not nil it receives each score by name.
func (s *selector) score(g *groupState, node *nomadlike.Node, usage *rank.NodeUsage, spreadIn []rank.SpreadInput, parts map[string]float64) float64 {
	used := usage.Used
	used.Add(g.ask)
	sum, n := 0.0, 0
	add := func(name string, v float64) {
		sum += v
		n++
		if parts != nil {
			parts[name] = v
		}
	}
	if s.fitSpread {
		add(rank.ScoreBinPack, rank.SpreadFitScore(node, used))
	} else {
		add(rank.ScoreBinPack, rank.BinPackScore(node, used))
	}
	if s.spread {
		if c := s.ctx.groupCount(node.ID, g.tg.Name); c > 0 {
			add(rank.ScoreAntiAffinity, rank.AntiAffinityScore(c, g.tg.Count))
		}
	}
	if len(g.affinities) > 0 {
		add(rank.ScoreAffinity, rank.AffinityScore(s.checker, node, g.affinities))
	}
	if len(spreadIn) > 0 {
		add(rank.ScoreSpread, rank.SpreadScore(node, spreadIn, g.tg.Count))
	}
	return sum / float64(n)
}

// spreadInputs counts the group's proposed allocations per value of each
// spread attribute.
func (s *selector) spreadInputs(g *groupState) []rank.SpreadInput {
	out := make([]rank.SpreadInput, len(g.spreads))
	for i, sp := range g.spreads {
		out[i] = rank.SpreadInput{Spread: sp, Counts: map[string]int{}}
	}
	s.ctx.Each(func(a *nomadlike.Allocation, n *nomadlike.Node) {
		if n == nil || a.TaskGroup != g.tg.Name {
			return
		}
		for i, sp := range g.spreads {
			if v, ok := feasible.ResolveTarget(sp.Attribute, n); ok {
				out[i].Counts[v]++
			}
		}
	})
	return out
}

// classEligibility reports, per computed node class, whether any ready node
// of the class passed the group's static checks; a blocked evaluation keeps
// it so only node changes that could help wake it.
func classEligibility(nodes []*nomadlike.Node, job *nomadlike.Job, tg *nomadlike.TaskGroup, c *feasible.Checker, into map[string]bool) {
	for _, n := range nodes {
		class := feasible.ComputedClass(n)
		ok, _ := c.Static(n, job, tg)
		into[class] = into[class] || ok
	}
}
