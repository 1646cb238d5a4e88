// Package stream is the servers' event stream (Nomad's /v1/event/stream):
// a Broker, fed by the FSM after each applied raft entry (fsm.ChangeSink),
// turns the entry's changes to jobs, evaluations, allocations and nodes
// into Events (Nomad's topics, types and payloads) and keeps the last
// BufferSize entries' events in a ring buffer.
//
// A Subscription reads the buffer from a raft index onwards; it holds no
// events of its own, so a slow subscriber costs no memory: when the ring
// has overwritten the events it has not read yet, its next read fails with
// ErrSubscriberBehind and the caller ends the stream (the client resumes
// with ?index=). Memory is bounded by the buffer's size in entries
// (DefaultBufferSize) and in events (MaxBufferedEvents); payloads are the
// store's own immutable objects, shared, and copied only to be encoded
// (an allocation without its Job, a node without its SecretID).
package stream
