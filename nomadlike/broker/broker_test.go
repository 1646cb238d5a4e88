package broker

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func testConfig() Config {
	return Config{NackTimeout: 5 * time.Second, DeliveryLimit: 3}
}

func newBroker(t *testing.T, cfg Config) *EvalBroker {
	t.Helper()
	b, err := NewEvalBroker(cfg, nil)
	if err != nil {
		t.Fatalf("NewEvalBroker: %v", err)
	}
	b.SetEnabled(true)
	t.Cleanup(func() { b.SetEnabled(false) })
	return b
}

func mkEval(job string, prio int, index uint64) *nomadlike.Evaluation {
	return &nomadlike.Evaluation{
		ID:          nomadlike.GenerateUUID(),
		Namespace:   nomadlike.DefaultNamespace,
		JobID:       job,
		Priority:    prio,
		Type:        nomadlike.JobTypeService,
		Status:      nomadlike.EvalStatusPending,
		CreateIndex: index,
		ModifyIndex: index,
	}
}

// dequeue waits at most a few seconds for an evaluation.
func dequeue(t *testing.T, b *EvalBroker, types ...string) (*nomadlike.Evaluation, string) {
	t.Helper()
	if len(types) == 0 {
		types = []string{nomadlike.JobTypeService}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e, tok, err := b.Dequeue(ctx, types)
	if err != nil {
		t.Fatalf("Dequeue(%v) error: %v", types, err)
	}
	return e, tok
}

// dequeueNone asserts nothing is ready right now.
func dequeueNone(t *testing.T, b *EvalBroker, types ...string) {
	t.Helper()
	if len(types) == 0 {
		types = []string{nomadlike.JobTypeService}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if e, _, err := b.Dequeue(ctx, types); err == nil {
		t.Fatalf("Dequeue(%v) = eval %s (job %s), want nothing ready", types, e.ID, e.JobID)
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Config)
		ok     bool
	}{
		{"default", func(*Config) {}, true},
		{"zero nack timeout", func(c *Config) { c.NackTimeout = 0 }, false},
		{"zero delivery limit", func(c *Config) { c.DeliveryLimit = 0 }, false},
		{"negative delay", func(c *Config) { c.InitialNackDelay = -1 }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mutate(&c)
			if err := c.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestDequeuePriorityThenFIFO(t *testing.T) {
	b := newBroker(t, testConfig())
	evals := []*nomadlike.Evaluation{
		mkEval("a", 50, 10),
		mkEval("b", 80, 12),
		mkEval("c", 50, 5),
		mkEval("d", 80, 11),
		mkEval("e", 10, 1),
	}
	for _, e := range evals {
		b.Enqueue(e)
	}
	want := []string{"d", "b", "c", "a", "e"}
	for i, w := range want {
		e, tok := dequeue(t, b)
		if e.JobID != w {
			t.Fatalf("dequeue #%d = job %q, want %q", i, e.JobID, w)
		}
		if err := b.Ack(e.ID, tok); err != nil {
			t.Fatalf("Ack: %v", err)
		}
	}
}

func TestDequeueOnlyRequestedTypes(t *testing.T) {
	b := newBroker(t, testConfig())
	sys := mkEval("sys", 90, 1)
	sys.Type = nomadlike.JobTypeSystem
	b.Enqueue(sys)
	b.Enqueue(mkEval("svc", 10, 2))
	e, _ := dequeue(t, b, nomadlike.JobTypeService)
	if e.JobID != "svc" {
		t.Fatalf("Dequeue(service) = job %q, want svc", e.JobID)
	}
	e, _ = dequeue(t, b, nomadlike.JobTypeService, nomadlike.JobTypeSystem)
	if e.JobID != "sys" {
		t.Fatalf("Dequeue(service, system) = job %q, want sys", e.JobID)
	}
}

func TestOneInFlightPerJobNewestWins(t *testing.T) {
	b := newBroker(t, testConfig())
	first := mkEval("web", 50, 1)
	b.Enqueue(first)
	e, tok := dequeue(t, b)
	if e.ID != first.ID {
		t.Fatalf("dequeued %s, want first %s", e.ID, first.ID)
	}
	older := mkEval("web", 50, 2)
	newest := mkEval("web", 50, 4)
	middle := mkEval("web", 50, 3)
	for _, x := range []*nomadlike.Evaluation{older, newest, middle} {
		b.Enqueue(x)
	}
	other := mkEval("api", 10, 5)
	b.Enqueue(other)
	// While "web" is outstanding, only "api" may be handed out.
	e2, tok2 := dequeue(t, b)
	if e2.ID != other.ID {
		t.Fatalf("dequeued job %q while web outstanding, want api", e2.JobID)
	}
	dequeueNone(t, b)
	if s := b.Stats(); s.TotalWaiting != 3 {
		t.Fatalf("Stats().TotalWaiting = %d, want 3", s.TotalWaiting)
	}
	if err := b.Ack(e.ID, tok); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	e3, _ := dequeue(t, b)
	if e3.ID != newest.ID {
		t.Fatalf("after ack dequeued CreateIndex %d, want newest (4)", e3.CreateIndex)
	}
	canc := b.Cancelable(0)
	if len(canc) != 2 {
		t.Fatalf("Cancelable() returned %d evals, want 2", len(canc))
	}
	for _, c := range canc {
		if c.ID != older.ID && c.ID != middle.ID {
			t.Fatalf("Cancelable() returned unexpected eval index %d", c.CreateIndex)
		}
	}
	if err := b.Ack(e2.ID, tok2); err != nil {
		t.Fatalf("Ack: %v", err)
	}
}

func TestAckNackTokenErrors(t *testing.T) {
	b := newBroker(t, testConfig())
	ev := mkEval("web", 50, 1)
	b.Enqueue(ev)
	e, tok := dequeue(t, b)
	cases := []struct {
		name string
		call func() error
		want error
	}{
		{"ack wrong token", func() error { return b.Ack(e.ID, "nope") }, ErrTokenMismatch},
		{"nack wrong token", func() error { return b.Nack(e.ID, "nope") }, ErrTokenMismatch},
		{"reset wrong token", func() error { return b.OutstandingReset(e.ID, "nope") }, ErrTokenMismatch},
		{"ack unknown eval", func() error { return b.Ack("missing", tok) }, ErrNotOutstanding},
		{"ack", func() error { return b.Ack(e.ID, tok) }, nil},
		{"ack twice", func() error { return b.Ack(e.ID, tok) }, ErrNotOutstanding},
		{"nack after ack", func() error { return b.Nack(e.ID, tok) }, ErrNotOutstanding},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestNackTimeoutRedelivers(t *testing.T) {
	cfg := testConfig()
	cfg.NackTimeout = 20 * time.Millisecond
	b := newBroker(t, cfg)
	ev := mkEval("web", 50, 1)
	b.Enqueue(ev)
	e, tok := dequeue(t, b)
	// Not acked: the timer takes it back and it is delivered again with a
	// new token; the old token no longer works.
	e2, tok2 := dequeue(t, b)
	if e2.ID != e.ID {
		t.Fatalf("redelivered %s, want %s", e2.ID, e.ID)
	}
	if tok2 == tok {
		t.Fatalf("redelivery reused token")
	}
	if err := b.Ack(e.ID, tok); !errors.Is(err, ErrTokenMismatch) && !errors.Is(err, ErrNotOutstanding) {
		t.Fatalf("Ack(stale token) = %v, want token mismatch or not outstanding", err)
	}
}

func TestNackDelayAndDeliveryLimit(t *testing.T) {
	cfg := testConfig()
	cfg.DeliveryLimit = 3
	cfg.InitialNackDelay = time.Millisecond
	cfg.SubsequentNackDelay = 2 * time.Millisecond
	b := newBroker(t, cfg)
	ev := mkEval("web", 50, 1)
	b.Enqueue(ev)
	for i := 1; i <= cfg.DeliveryLimit; i++ {
		e, tok := dequeue(t, b)
		if e.ID != ev.ID {
			t.Fatalf("delivery %d: got %s, want %s", i, e.ID, ev.ID)
		}
		if err := b.Nack(e.ID, tok); err != nil {
			t.Fatalf("Nack #%d: %v", i, err)
		}
	}
	// After the limit the eval is in the failed queue, not the service one,
	// and it still holds the job's slot.
	later := mkEval("web", 50, 2)
	b.Enqueue(later)
	dequeueNone(t, b)
	if s := b.Stats(); s.TotalFailed != 1 {
		t.Fatalf("Stats().TotalFailed = %d, want 1", s.TotalFailed)
	}
	f, ftok := dequeue(t, b, FailedQueue)
	if f.ID != ev.ID {
		t.Fatalf("failed queue gave %s, want %s", f.ID, ev.ID)
	}
	if err := b.Ack(f.ID, ftok); err != nil {
		t.Fatalf("Ack from failed queue: %v", err)
	}
	e, _ := dequeue(t, b)
	if e.ID != later.ID {
		t.Fatalf("after failed ack dequeued %s, want later eval", e.ID)
	}
}

func TestDelayedEval(t *testing.T) {
	b := newBroker(t, testConfig())
	delayed := mkEval("later", 90, 1)
	delayed.WaitUntil = time.Now().Add(30 * time.Millisecond)
	now := mkEval("now", 10, 2)
	b.Enqueue(delayed)
	b.Enqueue(now)
	if s := b.Stats(); s.TotalDelayed != 1 {
		t.Fatalf("Stats().TotalDelayed = %d, want 1", s.TotalDelayed)
	}
	e, _ := dequeue(t, b)
	if e.ID != now.ID {
		t.Fatalf("first dequeue = %q, want the undelayed eval", e.JobID)
	}
	e, _ = dequeue(t, b)
	if e.ID != delayed.ID {
		t.Fatalf("second dequeue = %q, want the delayed eval", e.JobID)
	}
	if time.Now().Before(delayed.WaitUntil) {
		t.Fatalf("delayed eval released before its WaitUntil")
	}
}

func TestDisableFlushesAndWakesDequeue(t *testing.T) {
	b := newBroker(t, testConfig())
	errc := make(chan error, 1)
	go func() {
		_, _, err := b.Dequeue(context.Background(), []string{"batch"})
		errc <- err
	}()
	b.Enqueue(mkEval("web", 50, 1))
	b.SetEnabled(false)
	select {
	case err := <-errc:
		if !errors.Is(err, ErrDisabled) {
			t.Fatalf("Dequeue on disable = %v, want ErrDisabled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Dequeue did not return after disable")
	}
	b.SetEnabled(true)
	if s := b.Stats(); s.TotalReady != 0 {
		t.Fatalf("after disable/enable TotalReady = %d, want 0", s.TotalReady)
	}
	b.SetEnabled(false)
	b.Enqueue(mkEval("web", 50, 2))
	if s := b.Stats(); s.TotalReady != 0 {
		t.Fatalf("Enqueue while disabled kept %d evals", s.TotalReady)
	}
}

// TestBrokerProperty drives the broker with seeded random operations and
// checks its invariants: never two outstanding evaluations of one job, every
// enqueued evaluation ends up acked or cancelled once the broker is drained.
func TestBrokerProperty(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewSource(seed))
			b := newBroker(t, testConfig())
			type out struct {
				eval  *nomadlike.Evaluation
				token string
			}
			outstanding := map[string]out{} // job -> outstanding
			enqueued := map[string]bool{}
			finished := map[string]bool{}
			index := uint64(0)
			for step := 0; step < 300; step++ {
				switch r.Intn(3) {
				case 0:
					index++
					e := mkEval(fmt.Sprint("job", r.Intn(5)), 1+r.Intn(3)*40, index)
					enqueued[e.ID] = true
					b.Enqueue(e)
				case 1:
					ctx, cancel := context.WithCancel(context.Background())
					cancel()
					e, tok, err := b.Dequeue(ctx, []string{nomadlike.JobTypeService})
					if err != nil {
						continue
					}
					if o, busy := outstanding[e.JobID]; busy {
						t.Fatalf("step %d: job %s has two outstanding evals %s and %s", step, e.JobID, o.eval.ID, e.ID)
					}
					outstanding[e.JobID] = out{e, tok}
				case 2:
					for job, o := range outstanding {
						if err := b.Ack(o.eval.ID, o.token); err != nil {
							t.Fatalf("step %d: Ack: %v", step, err)
						}
						finished[o.eval.ID] = true
						delete(outstanding, job)
						break
					}
				}
				for _, c := range b.Cancelable(0) {
					finished[c.ID] = true
				}
			}
			// Drain: everything not finished must come out of the broker.
			for {
				for job, o := range outstanding {
					if err := b.Ack(o.eval.ID, o.token); err != nil {
						t.Fatalf("drain Ack: %v", err)
					}
					finished[o.eval.ID] = true
					delete(outstanding, job)
				}
				for _, c := range b.Cancelable(0) {
					finished[c.ID] = true
				}
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				e, tok, err := b.Dequeue(ctx, []string{nomadlike.JobTypeService})
				if err != nil {
					break
				}
				outstanding[e.JobID] = out{e, tok}
			}
			for id := range enqueued {
				if !finished[id] {
					t.Fatalf("eval %s enqueued but neither acked nor cancelled", id)
				}
			}
			if s := b.Stats(); s.TotalReady+s.TotalUnacked+s.TotalWaiting != 0 {
				t.Fatalf("broker not empty after drain: %+v", s)
			}
		})
	}
}

func TestEnqueueWhileOutstandingRequeuesOnAck(t *testing.T) {
	b := newBroker(t, testConfig())
	ev := mkEval("web", 50, 1)
	b.Enqueue(ev)
	e, tok := dequeue(t, b)
	b.Enqueue(ev) // e.g. re-blocked, then unblocked before the ack
	dequeueNone(t, b)
	if err := b.Ack(e.ID, tok); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	again, _ := dequeue(t, b)
	if again.ID != ev.ID {
		t.Fatalf("after ack dequeued %s, want the re-enqueued eval", again.ID)
	}
}
