package broker

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// FailedQueue is the scheduler type of the queue that receives evaluations
// that reached the delivery limit. The leader dequeues from it, marks the
// evaluation failed, creates a delayed follow-up and acks it.
const FailedQueue = "_failed"

// Errors returned by the broker; match them with errors.Is.
var (
	// ErrDisabled is returned by Dequeue when the broker is disabled (the
	// server is not, or no longer, the leader).
	ErrDisabled = errors.New("eval broker disabled")
	// ErrNotOutstanding is returned by Ack, Nack and OutstandingReset for an
	// evaluation that is not dequeued (never was, already acked, or timed out).
	ErrNotOutstanding = errors.New("evaluation is not outstanding")
	// ErrTokenMismatch is returned when the token is not the one handed out
	// by the latest delivery of the evaluation.
	ErrTokenMismatch = errors.New("evaluation token does not match")
)

// Config tunes the broker. Start from DefaultConfig.
type Config struct {
	// NackTimeout is how long a dequeued evaluation may stay unacked before
	// the broker takes it back as if nacked. Longer tolerates slow
	// schedulers; shorter recovers sooner from a stuck worker. Workers that
	// legitimately take long call OutstandingReset.
	NackTimeout time.Duration
	// DeliveryLimit is how many times an evaluation is handed out before it
	// moves to FailedQueue. Higher retries transient scheduler errors more;
	// lower gives up on a poisonous evaluation sooner.
	DeliveryLimit int
	// InitialNackDelay is how long an evaluation waits after its first nack
	// before it is ready again; SubsequentNackDelay after later nacks. Delays
	// keep a failing evaluation from spinning a worker.
	InitialNackDelay    time.Duration
	SubsequentNackDelay time.Duration
}

// DefaultConfig returns Nomad's broker defaults.
func DefaultConfig() Config {
	return Config{
		NackTimeout:         60 * time.Second,
		DeliveryLimit:       3,
		InitialNackDelay:    time.Second,
		SubsequentNackDelay: 20 * time.Second,
	}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	switch {
	case c.NackTimeout <= 0:
		return fmt.Errorf("broker: NackTimeout must be positive, got %v", c.NackTimeout)
	case c.DeliveryLimit < 1:
		return fmt.Errorf("broker: DeliveryLimit must be at least 1, got %d", c.DeliveryLimit)
	case c.InitialNackDelay < 0 || c.SubsequentNackDelay < 0:
		return fmt.Errorf("broker: nack delays must not be negative, got %v and %v", c.InitialNackDelay, c.SubsequentNackDelay)
	}
	return nil
}

type jobKey struct{ ns, id string }

func keyOf(e *nomadlike.Evaluation) jobKey { return jobKey{e.Namespace, e.JobID} }

type unackEval struct {
	eval  *nomadlike.Evaluation
	token string
	timer *time.Timer
}

// Stats is a point-in-time count of the broker's contents.
type Stats struct {
	TotalReady      int
	TotalUnacked    int
	TotalWaiting    int // behind another evaluation of the same job
	TotalDelayed    int // WaitUntil in the future or backing off after a nack
	TotalFailed     int // ready in FailedQueue
	TotalCancelable int
	ReadyByType     map[string]int
}

// EvalBroker queues evaluations for the scheduler workers.
//
// Why it is shaped this way: a scheduler run reads a snapshot and proposes a
// plan for a whole job, so two concurrent runs for the same job would race
// each other's plans. The broker therefore lets at most one evaluation per
// job be ready-or-outstanding (jobEvals); later ones wait in pending and,
// since a run reconciles the whole job, only the newest waiting one needs to
// run when the slot frees — the others become cancelable and the server marks
// them cancelled. Deliveries are counted per evaluation so that a scheduler
// that keeps failing on one evaluation (a bug, a corrupt job) cannot spin
// forever: after DeliveryLimit deliveries it is parked in FailedQueue, still
// holding its job's slot until the server acks it from there, so nothing else
// for the job runs against a state the failing run may have half-changed.
// Tokens make ack/nack idempotent against timeouts: once the nack timer gives
// an evaluation to another worker, the first worker's late ack is refused.
type EvalBroker struct {
	cfg    Config
	logger hclog.Logger

	mu      sync.Mutex
	enabled bool

	// deliveries holds every evaluation the broker holds anywhere (ready,
	// unacked, waiting, delayed) with how many times it was dequeued.
	deliveries map[string]int
	jobEvals   map[jobKey]string
	pending    map[jobKey][]*nomadlike.Evaluation
	cancelable []*nomadlike.Evaluation
	ready      map[string]*evalHeap
	unack      map[string]*unackEval
	// requeue holds evaluations enqueued again while outstanding (a
	// scheduler re-blocked its evaluation and capacity appeared before it
	// acked); Ack admits them again instead of losing the enqueue.
	requeue map[string]*nomadlike.Evaluation
	delayed delayHeap

	// waiters are the blocked Dequeue calls, first come first woken: an
	// evaluation made ready wakes ONE that serves its type, and disabling
	// the broker wakes them all. (A channel closed on every change woke
	// every idle worker for each evaluation; the leader runs dozens.)
	waiters []*waiter
	// delayCh wakes the delay goroutine when the earliest deadline changes.
	delayCh   chan struct{}
	stopDelay context.CancelFunc
	delayDone chan struct{}
}

// NewEvalBroker returns a disabled broker.
func NewEvalBroker(cfg Config, logger hclog.Logger) (*EvalBroker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	b := &EvalBroker{
		cfg:     cfg,
		logger:  logger.Named("broker"),
		delayCh: make(chan struct{}, 1),
	}
	b.resetLocked()
	return b, nil
}

func (b *EvalBroker) resetLocked() {
	for _, u := range b.unack {
		u.timer.Stop()
	}
	b.deliveries = map[string]int{}
	b.jobEvals = map[jobKey]string{}
	b.pending = map[jobKey][]*nomadlike.Evaluation{}
	b.cancelable = nil
	b.ready = map[string]*evalHeap{}
	b.unack = map[string]*unackEval{}
	b.requeue = map[string]*nomadlike.Evaluation{}
	b.delayed = nil
}

// Enabled reports whether the broker accepts and hands out evaluations.
func (b *EvalBroker) Enabled() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.enabled
}

// SetEnabled turns the broker on (leadership gained) or off (lost). Turning
// it off drops every evaluation it holds and makes waiting Dequeue calls
// return ErrDisabled; the new leader rebuilds the queues from the state store.
func (b *EvalBroker) SetEnabled(enabled bool) {
	b.mu.Lock()
	if enabled == b.enabled {
		b.mu.Unlock()
		return
	}
	b.enabled = enabled
	var done chan struct{}
	if enabled {
		ctx, cancel := context.WithCancel(context.Background())
		b.stopDelay = cancel
		b.delayDone = make(chan struct{})
		go b.runDelayed(ctx, b.delayDone)
	} else {
		b.stopDelay()
		done = b.delayDone
		b.resetLocked()
		b.broadcastLocked()
	}
	b.mu.Unlock()
	if done != nil {
		<-done
	}
}

// Enqueue adds an evaluation. It is a no-op when the broker is disabled or
// already holds an evaluation with this ID, except that an evaluation
// enqueued while it is outstanding is enqueued again when it is acked. An
// evaluation whose WaitUntil (or Wait, counted from now) lies in the future
// is held until then.
func (b *EvalBroker) Enqueue(eval *nomadlike.Evaluation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.enabled {
		return
	}
	if _, held := b.deliveries[eval.ID]; held {
		if _, out := b.unack[eval.ID]; out {
			b.requeue[eval.ID] = eval
		}
		return
	}
	b.enqueueLocked(eval)
}

func (b *EvalBroker) enqueueLocked(eval *nomadlike.Evaluation) {
	b.deliveries[eval.ID] = 0
	now := time.Now()
	until := eval.WaitUntil
	if until.IsZero() && eval.Wait > 0 {
		until = now.Add(eval.Wait)
	}
	if until.After(now) {
		b.pushDelayedLocked(&delayedEval{eval: eval, at: until})
		return
	}
	b.admitLocked(eval)
}

// admitLocked makes eval ready, unless another evaluation of its job is
// ready or outstanding, in which case it waits behind it.
func (b *EvalBroker) admitLocked(eval *nomadlike.Evaluation) {
	k := keyOf(eval)
	if cur, busy := b.jobEvals[k]; busy && cur != eval.ID {
		b.pending[k] = append(b.pending[k], eval)
		return
	}
	b.jobEvals[k] = eval.ID
	b.pushReadyLocked(eval, eval.Type)
}

func (b *EvalBroker) pushReadyLocked(eval *nomadlike.Evaluation, queue string) {
	h := b.ready[queue]
	if h == nil {
		h = &evalHeap{}
		b.ready[queue] = h
	}
	heap.Push(h, eval)
	b.wakeLocked(queue)
}

// waiter is a blocked Dequeue call.
type waiter struct {
	types []string
	ch    chan struct{} // buffered: one wake-up
}

// wakeLocked wakes the first waiter that serves queue.
func (b *EvalBroker) wakeLocked(queue string) {
	for i, w := range b.waiters {
		if slices.Contains(w.types, queue) {
			b.waiters = slices.Delete(b.waiters, i, i+1)
			w.ch <- struct{}{}
			return
		}
	}
}

// wakeReadyLocked wakes a waiter for each queue that still has ready
// evaluations: the caller that was woken may have taken an evaluation of
// another queue than the one it was woken for, and a backlog is handed out
// by one worker waking the next.
func (b *EvalBroker) wakeReadyLocked() {
	if len(b.waiters) == 0 {
		return
	}
	for t, h := range b.ready {
		if h.Len() > 0 {
			b.wakeLocked(t)
		}
	}
}

// broadcastLocked wakes every waiter.
func (b *EvalBroker) broadcastLocked() {
	for _, w := range b.waiters {
		w.ch <- struct{}{}
	}
	b.waiters = nil
}

// leaveLocked removes w, which gave up waiting; a wake-up it received and
// will not use goes to the next waiter of each ready queue it serves.
func (b *EvalBroker) leaveLocked(w *waiter) {
	if i := slices.Index(b.waiters, w); i >= 0 {
		b.waiters = slices.Delete(b.waiters, i, i+1)
		return
	}
	select {
	case <-w.ch:
		b.wakeReadyLocked()
	default:
	}
}

// Dequeue blocks until an evaluation of one of schedulerTypes is ready and
// returns it with the token to ack or nack it with. Among ready evaluations
// the highest Priority wins, then the lowest CreateIndex. It returns
// ErrDisabled when the broker is or becomes disabled, and ctx.Err() when ctx
// ends. The returned evaluation is shared; copy before modifying.
func (b *EvalBroker) Dequeue(ctx context.Context, schedulerTypes []string) (*nomadlike.Evaluation, string, error) {
	for {
		b.mu.Lock()
		if !b.enabled {
			b.mu.Unlock()
			return nil, "", ErrDisabled
		}
		if eval := b.popBestLocked(schedulerTypes); eval != nil {
			token := nomadlike.GenerateUUID()
			b.deliveries[eval.ID]++
			id := eval.ID
			b.unack[id] = &unackEval{
				eval:  eval,
				token: token,
				timer: time.AfterFunc(b.cfg.NackTimeout, func() { b.nackTimeout(id, token) }),
			}
			b.wakeReadyLocked()
			b.mu.Unlock()
			return eval, token, nil
		}
		w := &waiter{types: schedulerTypes, ch: make(chan struct{}, 1)}
		b.waiters = append(b.waiters, w)
		b.mu.Unlock()
		select {
		case <-w.ch:
		case <-ctx.Done():
			b.mu.Lock()
			b.leaveLocked(w)
			b.mu.Unlock()
			return nil, "", ctx.Err()
		}
	}
}

func (b *EvalBroker) popBestLocked(types []string) *nomadlike.Evaluation {
	var best *evalHeap
	for _, t := range types {
		h := b.ready[t]
		if h == nil || h.Len() == 0 {
			continue
		}
		if best == nil || before((*h)[0], (*best)[0]) {
			best = h
		}
	}
	if best == nil {
		return nil
	}
	return heap.Pop(best).(*nomadlike.Evaluation)
}

func (b *EvalBroker) nackTimeout(id, token string) {
	if err := b.Nack(id, token); err == nil {
		b.logger.Warn("evaluation not acked in time, taking it back", "eval_id", id, "timeout", b.cfg.NackTimeout)
	}
}

// outstandingLocked returns the unacked entry after checking the token.
func (b *EvalBroker) outstandingLocked(id, token string) (*unackEval, error) {
	u, ok := b.unack[id]
	if !ok {
		return nil, fmt.Errorf("evaluation %s: %w", id, ErrNotOutstanding)
	}
	if u.token != token {
		return nil, fmt.Errorf("evaluation %s: %w", id, ErrTokenMismatch)
	}
	return u, nil
}

// Outstanding returns the token of a dequeued, unacked evaluation.
func (b *EvalBroker) Outstanding(id string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.unack[id]
	if !ok {
		return "", false
	}
	return u.token, true
}

// OutstandingReset restarts the nack timer of a dequeued evaluation; workers
// call it when they make progress on a long evaluation.
func (b *EvalBroker) OutstandingReset(id, token string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, err := b.outstandingLocked(id, token)
	if err != nil {
		return err
	}
	u.timer.Reset(b.cfg.NackTimeout)
	return nil
}

// Ack completes a dequeued evaluation. The newest evaluation waiting behind
// it for the same job becomes ready; older waiting ones become cancelable.
func (b *EvalBroker) Ack(id, token string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, err := b.outstandingLocked(id, token)
	if err != nil {
		return err
	}
	u.timer.Stop()
	delete(b.unack, id)
	delete(b.deliveries, id)
	k := keyOf(u.eval)
	if b.jobEvals[k] == id {
		delete(b.jobEvals, k)
	}
	if again, ok := b.requeue[id]; ok {
		delete(b.requeue, id)
		b.enqueueLocked(again)
	}
	waiting := b.pending[k]
	if len(waiting) == 0 {
		return nil
	}
	delete(b.pending, k)
	newest := 0
	for i, e := range waiting {
		if e.CreateIndex >= waiting[newest].CreateIndex {
			newest = i
		}
	}
	for i, e := range waiting {
		if i != newest {
			delete(b.deliveries, e.ID)
			b.cancelable = append(b.cancelable, e)
		}
	}
	b.admitLocked(waiting[newest])
	return nil
}

// Nack gives a dequeued evaluation back. It becomes ready again after the
// nack delay, or moves to FailedQueue once delivered DeliveryLimit times.
// Either way it keeps its job's slot.
func (b *EvalBroker) Nack(id, token string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, err := b.outstandingLocked(id, token)
	if err != nil {
		return err
	}
	u.timer.Stop()
	delete(b.unack, id)
	delete(b.requeue, id) // it is going back to the queue anyway
	n := b.deliveries[id]
	if n >= b.cfg.DeliveryLimit {
		b.logger.Warn("evaluation reached its delivery limit", "eval_id", id, "deliveries", n)
		b.pushReadyLocked(u.eval, FailedQueue)
		return nil
	}
	delay := b.cfg.SubsequentNackDelay
	if n <= 1 {
		delay = b.cfg.InitialNackDelay
	}
	if delay <= 0 {
		b.pushReadyLocked(u.eval, u.eval.Type)
		return nil
	}
	b.pushDelayedLocked(&delayedEval{eval: u.eval, at: time.Now().Add(delay), holdsJob: true})
	return nil
}

// Cancelable removes and returns up to max evaluations that were superseded
// by a newer evaluation of the same job; the server marks them cancelled.
func (b *EvalBroker) Cancelable(max int) []*nomadlike.Evaluation {
	b.mu.Lock()
	defer b.mu.Unlock()
	if max <= 0 || max > len(b.cancelable) {
		max = len(b.cancelable)
	}
	out := b.cancelable[:max:max]
	b.cancelable = b.cancelable[max:]
	return out
}

// Stats counts what the broker holds.
func (b *EvalBroker) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := Stats{
		TotalUnacked:    len(b.unack),
		TotalDelayed:    len(b.delayed),
		TotalCancelable: len(b.cancelable),
		ReadyByType:     map[string]int{},
	}
	for _, w := range b.pending {
		s.TotalWaiting += len(w)
	}
	for t, h := range b.ready {
		if t == FailedQueue {
			s.TotalFailed = h.Len()
			continue
		}
		s.ReadyByType[t] = h.Len()
		s.TotalReady += h.Len()
	}
	return s
}
