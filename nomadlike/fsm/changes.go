package fsm

import "github.com/nomadlike/nomadlike/nomadlike/state"

// ChangeSink receives what each applied entry changed in the store's jobs,
// evals, allocs and nodes tables, with the entry's raft index and message
// type, on raft's apply goroutine (it must not block). The event stream's
// broker (package stream) is one.
type ChangeSink interface {
	Publish(index uint64, msgType string, changes []state.Change)
}

// SetChangeSink makes the FSM report every applied entry's changes to sink.
// Call it before raft starts applying entries.
func (f *FSM) SetChangeSink(sink ChangeSink) {
	f.sink = sink
	f.State().TrackChanges()
}

// publishChanges hands the entry's changes to the sink (and forgets them
// when the entry failed: a failed write changed nothing).
func (f *FSM) publishChanges(t MessageType, index uint64, failed bool) {
	if f.sink == nil {
		return
	}
	changes := f.State().TakeChanges()
	if !failed {
		f.sink.Publish(index, t.String(), changes)
	}
}
