package rank

import (
	"math"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/feasible"
)

// Score names, as they appear in AllocMetric.ScoreMetaData.
const (
	ScoreBinPack      = "binpack"
	ScoreAntiAffinity = "job-anti-affinity"
	ScoreAffinity     = "node-affinity"
	ScoreSpread       = "allocation-spread"
)

// binPackMax is the bin-pack score of a node left with nothing free.
const binPackMax = 18.0

// BinPackScore scores how full a node is once it holds used (its proposed
// allocations plus the one being placed), in [0, 1]: 1 when CPU and memory
// are used up, 0 when the node is empty. It is Nomad's best-fit score
// 20 - (10^freeCPU + 10^freeMem), normalized: the exponent makes the score
// favour the node left with the least free capacity, as best fit does.
func BinPackScore(node *nomadlike.Node, used nomadlike.ComparableResources) float64 {
	capacity := node.Comparable()
	freeCPU := freeFraction(capacity.CPU, used.CPU)
	freeMem := freeFraction(capacity.MemoryMB, used.MemoryMB)
	total := pow10(freeCPU) + pow10(freeMem)
	return (20 - total) / binPackMax
}

// pow10 is 10^x for x in [0, 1], as math.Exp: math.Pow's general case
// cost several times as much, and the scheduler scores up to
// CandidateLimit nodes per placement (two calls each: 5% of a busy
// server's CPU in the C1M benchmark). The ends are exact, so an empty node
// scores 0 and a full one 1 as before.
func pow10(x float64) float64 {
	switch {
	case x <= 0:
		return 1
	case x >= 1:
		return 10
	}
	return math.Exp(x * math.Ln10)
}

// SpreadFitScore is the spread algorithm's fit score, in [0, 1]: 1 for a
// node left empty, 0 for one used up (Nomad's 10^freeCPU + 10^freeMem - 2,
// normalized), so that allocations go to the least used nodes.
func SpreadFitScore(node *nomadlike.Node, used nomadlike.ComparableResources) float64 {
	capacity := node.Comparable()
	total := pow10(freeFraction(capacity.CPU, used.CPU)) + pow10(freeFraction(capacity.MemoryMB, used.MemoryMB))
	return (total - 2) / binPackMax
}

func freeFraction(capacity, used int64) float64 {
	if capacity <= 0 {
		return 0
	}
	f := 1 - float64(used)/float64(capacity)
	return max(0, min(1, f))
}

// AntiAffinityScore penalizes a node already running collisions
// allocations of the same job and group, in [-1, 0]: -(collisions+1)/desired,
// and 0 without collisions. Service jobs use it to spread copies across
// nodes; batch jobs skip it and pack.
func AntiAffinityScore(collisions, desired int) float64 {
	if collisions <= 0 {
		return 0
	}
	if desired < 1 {
		desired = 1
	}
	return max(-1, -float64(collisions+1)/float64(desired))
}

// Affinities returns the affinities that apply to tg: the job's, the
// group's and its tasks'.
func Affinities(job *nomadlike.Job, tg *nomadlike.TaskGroup) []*nomadlike.Affinity {
	out := append([]*nomadlike.Affinity(nil), job.Affinities...)
	out = append(out, tg.Affinities...)
	for _, t := range tg.Tasks {
		out = append(out, t.Affinities...)
	}
	return out
}

// AffinityScore is the weighted share of affinities the node matches, in
// [-1, 1]: sum of the matching weights over the sum of all |weights|.
func AffinityScore(c *feasible.Checker, node *nomadlike.Node, affinities []*nomadlike.Affinity) float64 {
	var total, got float64
	for _, a := range affinities {
		w := float64(a.Weight)
		total += math.Abs(w)
		if c.Match(node, a.LTarget, a.Operand, a.RTarget) {
			got += w
		}
	}
	if total == 0 {
		return 0
	}
	return got / total
}

// SpreadInput is one spread with the job's proposed allocations of the
// group counted per attribute value.
type SpreadInput struct {
	Spread *nomadlike.Spread
	Counts map[string]int
}

// SpreadScore scores a node for the group's spreads, in [-1, 1], weighted
// by each spread's weight. With targets, a value below its target share of
// desired allocations scores up and one above scores down (values without a
// target share what the targets leave). Without targets, values below the
// mean count score up. A node lacking the attribute scores -1 for that
// spread.
func SpreadScore(node *nomadlike.Node, spreads []SpreadInput, desired int) float64 {
	var total, sum float64
	for _, s := range spreads {
		w := float64(s.Spread.Weight)
		total += w
		v, ok := feasible.ResolveTarget(s.Spread.Attribute, node)
		if !ok {
			sum -= w
			continue
		}
		if len(s.Spread.SpreadTarget) > 0 {
			sum += w * targetScore(s, v, desired)
		} else {
			sum += w * evenScore(s.Counts, v)
		}
	}
	if total == 0 {
		return 0
	}
	return sum / total
}

func targetScore(s SpreadInput, value string, desired int) float64 {
	pct, rest := -1.0, 100.0
	for _, t := range s.Spread.SpreadTarget {
		rest -= float64(t.Percent)
		if t.Value == value {
			pct = float64(t.Percent)
		}
	}
	if pct < 0 {
		pct = rest
	}
	want := pct / 100 * float64(desired)
	if want <= 0 {
		return -1
	}
	have := float64(s.Counts[value] + 1)
	return max(-1, min(1, (want-have+1)/want))
}

func evenScore(counts map[string]int, value string) float64 {
	n, total := len(counts), 0
	if _, ok := counts[value]; !ok {
		n++
	}
	for _, c := range counts {
		total += c
	}
	if total == 0 {
		return 0
	}
	mean := float64(total) / float64(n)
	return max(-1, min(1, (mean-float64(counts[value]))/mean))
}
