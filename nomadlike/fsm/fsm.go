package fsm

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

var _ raft.FSM = (*FSM)(nil)

// EvalHook receives the evaluations an entry created or updated, as stored
// (with indexes), after the entry is applied. It runs on raft's apply
// goroutine, so it must not block.
type EvalHook func(evals []*nomadlike.Evaluation)

// FSM applies committed raft entries to a state store. raft calls Apply,
// Snapshot and Restore from one goroutine; State and SetEvalHook are safe to
// call from any goroutine.
type FSM struct {
	store  atomic.Pointer[state.StateStore]
	hookMu sync.Mutex
	hook   EvalHook
	logger hclog.Logger
	sink   ChangeSink // event stream (changes.go); set before raft starts
}

// New returns an FSM applying to store. A nil logger discards logs.
func New(store *state.StateStore, logger hclog.Logger) *FSM {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	f := &FSM{logger: logger.Named("fsm")}
	f.store.Store(store)
	return f
}

// State returns the current store; a Restore replaces it.
func (f *FSM) State() *state.StateStore { return f.store.Load() }

// SetEvalHook sets (nil clears) the function that sees new and updated
// evaluations after commit. The leader sets it to feed its eval broker.
func (f *FSM) SetEvalHook(hook func(evals []*nomadlike.Evaluation)) {
	f.hookMu.Lock()
	defer f.hookMu.Unlock()
	f.hook = hook
}

func (f *FSM) evalHook() EvalHook {
	f.hookMu.Lock()
	defer f.hookMu.Unlock()
	return f.hook
}

// Apply applies one committed entry. It returns nil or the error the store
// returned; it panics on an entry it cannot decode.
func (f *FSM) Apply(log *raft.Log) any {
	if log.Type != raft.LogCommand {
		return nil
	}
	if len(log.Data) == 0 {
		panic(fmt.Sprintf("fsm: empty raft entry at index %d", log.Index))
	}
	t := MessageType(log.Data[0])
	if int(t) >= len(handlers) || handlers[t] == nil {
		panic(fmt.Sprintf("fsm: unknown message type %d at index %d", t, log.Index))
	}
	e := entry{typ: t, index: log.Index, at: log.AppendedAt.UnixNano(), body: log.Data[1:]}
	if log.AppendedAt.IsZero() {
		e.at = 0
	}
	evals, err := handlers[t](f.State(), e)
	f.publishChanges(t, log.Index, err != nil)
	if err != nil {
		f.logger.Debug("entry rejected", "type", t, "index", log.Index, "error", err)
		return fmt.Errorf("apply %s at index %d: %w", t, log.Index, err)
	}
	f.notify(evals)
	return nil
}

// notify hands the stored versions of evals to the eval hook.
func (f *FSM) notify(evals []*nomadlike.Evaluation) {
	hook := f.evalHook()
	if hook == nil || len(evals) == 0 {
		return
	}
	store := f.State()
	stored := make([]*nomadlike.Evaluation, 0, len(evals))
	for _, e := range evals {
		se, err := store.EvalByID(nil, e.ID)
		if err != nil {
			f.logger.Error("read back evaluation for the broker", "eval_id", e.ID, "error", err)
			continue
		}
		if se != nil {
			stored = append(stored, se)
		}
	}
	if len(stored) > 0 {
		hook(stored)
	}
}

// Snapshot captures the current state; Persist writes it while Apply goes on.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	snap, err := f.State().Snapshot()
	if err != nil {
		return nil, fmt.Errorf("snapshot state: %w", err)
	}
	return &fsmSnapshot{snap: snap}, nil
}

// Restore replaces the state with the snapshot's and abandons the old store.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	store, err := state.RestoreFrom(rc)
	if err != nil {
		return fmt.Errorf("restore fsm: %w", err)
	}
	if f.sink != nil {
		store.TrackChanges()
	}
	old := f.store.Swap(store)
	if old != nil {
		old.Abandon()
	}
	return nil
}

type fsmSnapshot struct {
	snap *state.Snapshot
}

// Persist writes the snapshot to sink, cancelling the sink on failure.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := s.snap.WriteTo(sink); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("persist fsm snapshot: %w", err)
	}
	if err := sink.Close(); err != nil {
		return fmt.Errorf("close fsm snapshot sink: %w", err)
	}
	return nil
}

// Release is a no-op: a state snapshot holds no resources.
func (s *fsmSnapshot) Release() {}
