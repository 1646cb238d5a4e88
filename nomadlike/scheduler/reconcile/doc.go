// Package reconcile decides what should change for one job: which
// allocations to place (with their names), stop, update in place or
// replace, migrate off draining nodes, mark lost on down nodes, and
// reschedule after failures. It is a pure function of plain inputs (the
// job, its allocations, the tainted nodes, the time): it reads no state and
// picks no nodes, so it is tested with properties over random inputs.
//
// Reconcile handles service and batch jobs (Count copies named
// "job.group[i]"); System handles system and sysbatch jobs (one copy per
// eligible node).
package reconcile
