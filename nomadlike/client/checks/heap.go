package checks

import "container/heap"

// checkHeap orders checks by their next run.
type checkHeap []*check

func (h checkHeap) Len() int           { return len(h) }
func (h checkHeap) Less(i, j int) bool { return h[i].next.Before(h[j].next) }
func (h checkHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

func (h *checkHeap) Push(x any) {
	c := x.(*check)
	c.index = len(*h)
	*h = append(*h, c)
}

func (h *checkHeap) Pop() any {
	old := *h
	n := len(old)
	c := old[n-1]
	old[n-1] = nil
	c.index = -1
	*h = old[:n-1]
	return c
}

// remove takes c out of the heap if it is in it.
func (h *checkHeap) remove(c *check) {
	if c.index >= 0 && c.index < h.Len() && (*h)[c.index] == c {
		heap.Remove(h, c.index)
	}
}
