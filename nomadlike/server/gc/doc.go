// Package gc decides what the servers' garbage collector deletes: dead
// jobs with their evaluations and allocations, old terminal evaluations,
// and down nodes, each once it is older than its threshold (Nomad's
// job_gc_threshold, eval_gc_threshold, batch_eval_gc_threshold and
// node_gc_threshold). Select is a pure function of a state snapshot and
// the time; Batches cuts its result into bounded raft entries. The leader
// (nomadlike/server, gc.go) runs it every job_gc_interval and on
// PUT /v1/system/gc.
package gc
