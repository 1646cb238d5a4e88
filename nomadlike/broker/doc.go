// Package broker holds the leader's queues of evaluations.
//
// EvalBroker hands pending evaluations to scheduler workers: highest priority
// first, then oldest (lowest CreateIndex), never more than one outstanding
// evaluation per job. A dequeued evaluation carries a token; the worker acks it
// when done or nacks it to give it back. An evaluation that is not acked
// within the nack timeout comes back by itself, and one delivered too many
// times moves to the failed queue (scheduler type FailedQueue) where the server
// marks it failed and schedules a follow-up.
//
// BlockedEvals parks evaluations that could not place everything until the
// cluster gains capacity (a node becomes ready or eligible, or allocations
// finish), then hands them back to the broker.
//
// Both are leader-only: they start disabled, the server enables them when it
// gains leadership and disables them (dropping their contents, which are
// rebuilt from the state store) when it loses it. Every method is safe for
// concurrent use.
package broker
