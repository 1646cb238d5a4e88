// Package queue is the order of waiting work (nomadlike's queue, an
// extension of Nomad): evaluations that could not place everything wait in
// priority order, highest first, then in submission order (FIFO by the
// job's JobModifyIndex, the raft index of its last registration), across
// jobs and dispatched children. The blocked-evaluation tracker
// (broker.BlockedEvals) releases them in this order, one at a time, so a
// lower-priority job never takes freed capacity before a higher-priority one
// has had its try.
//
// The package also phrases why a job waits (Reason) and its place in line
// (Ordinal), for job status and the queue listing. It depends only on the
// nomadlike types.
package queue
