package queue

import (
	"sort"
	"strconv"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Less reports whether waiting evaluation a goes before b: higher Priority
// first, then the older submission (lower JobModifyIndex), then the older
// evaluation (CreateIndex), then by namespace, job and evaluation ID so the
// order is total and deterministic.
func Less(a, b *nomadlike.Evaluation) bool {
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	if a.JobModifyIndex != b.JobModifyIndex {
		return a.JobModifyIndex < b.JobModifyIndex
	}
	if a.CreateIndex != b.CreateIndex {
		return a.CreateIndex < b.CreateIndex
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	if a.JobID != b.JobID {
		return a.JobID < b.JobID
	}
	return a.ID < b.ID
}

// Sort orders evals in queue order, in place.
func Sort(evals []*nomadlike.Evaluation) {
	sort.Slice(evals, func(i, j int) bool { return Less(evals[i], evals[j]) })
}

// Insert adds e to evals (already in queue order) at its place.
func Insert(evals []*nomadlike.Evaluation, e *nomadlike.Evaluation) []*nomadlike.Evaluation {
	i := sort.Search(len(evals), func(i int) bool { return Less(e, evals[i]) })
	evals = append(evals, nil)
	copy(evals[i+1:], evals[i:])
	evals[i] = e
	return evals
}

// Ordinal spells n as an English ordinal: 1st, 2nd, 3rd, 4th, 11th, 22nd.
func Ordinal(n int) string {
	suffix := "th"
	switch n % 100 {
	case 11, 12, 13:
	default:
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return strconv.Itoa(n) + suffix
}
