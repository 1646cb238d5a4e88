package gc

// Batch is one raft entry's worth of deletions.
type Batch = Result

// Batches cuts r into batches of at most max objects (max < 1 means 1),
// keeping the order jobs, evaluations, allocations: a job goes first and
// its objects, orphans from then on, in its batch or later ones (a job
// that lost its allocations first would change status); nodes come last,
// in batches of their own.
func Batches(r Result, max int) []Batch {
	max = maxOr1(max)
	var out []Batch
	var cur Batch
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur)
			cur = Batch{}
		}
	}
	room := func() {
		if cur.Len() >= max {
			flush()
		}
	}
	for _, j := range r.Jobs {
		room()
		cur.Jobs = append(cur.Jobs, j)
	}
	for _, id := range r.Evals {
		room()
		cur.Evals = append(cur.Evals, id)
	}
	for _, id := range r.Allocs {
		room()
		cur.Allocs = append(cur.Allocs, id)
	}
	flush()
	for _, id := range r.Nodes {
		room()
		cur.Nodes = append(cur.Nodes, id)
	}
	flush()
	return out
}

func maxOr1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}
