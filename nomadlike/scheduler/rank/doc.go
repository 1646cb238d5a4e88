// Package rank decides whether a group fits on a node and how good the node
// is, as two separate steps. Fitter.Fit checks CPU, memory, disk and ports
// against the node's proposed allocations (NodeUsage) and grants ports;
// the score functions (bin-pack, job anti-affinity, affinity, spread) each
// return a number in a fixed range that the scheduler combines. Nothing
// here reads state.
package rank
