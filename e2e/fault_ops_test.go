package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"syscall"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// definiteFailure reports whether err says the write was refused and not
// applied (a 4xx reply). Anything else (a dead connection, a timeout, a 5xx
// from a server that lost its leader mid-write) leaves the outcome unknown.
func definiteFailure(err error) bool {
	var se *api.StatusError
	if errors.As(err, &se) {
		return se.Code >= 400 && se.Code < 500
	}
	// A refused connection never carried the request.
	return errors.Is(err, syscall.ECONNREFUSED)
}

// tinyJob is a valid batch job whose meta "v" carries value; it asks for
// little so that registering it costs the cluster only a raft write and an
// evaluation.
func tinyJob(id, value string) *nomadlike.Job {
	j := &nomadlike.Job{
		ID: id, Name: id, Type: nomadlike.JobTypeBatch, Datacenters: []string{"dc-none"},
		Meta: map[string]string{"v": value},
		TaskGroups: []*nomadlike.TaskGroup{{
			Name: "g", Count: 1,
			Tasks: []*nomadlike.Task{{
				Name: "t", Driver: "raw_exec",
				Config:    map[string]any{"command": "/bin/true"},
				Resources: &nomadlike.Resources{CPU: 10, MemoryMB: 10},
			}},
		}},
	}
	j.Canonicalize()
	return j
}

// opsLoad drives registrations and reads of a few jobs from several clients
// at once, each client against its own agent, and records them in a
// linearizability history. Unique-ID registrations that were acknowledged
// are also kept, to check that none is lost.
type opsLoad struct {
	hist    *history
	clients []*api.Client
	keys    []string

	mu    sync.Mutex
	acked []string // unique job IDs whose registration was acknowledged
	errs  int
}

func newOpsLoad(clients []*api.Client, keys int) *opsLoad {
	l := &opsLoad{hist: newHistory(), clients: clients}
	for i := 0; i < keys; i++ {
		l.keys = append(l.keys, fmt.Sprintf("lin-%d", i))
	}
	return l
}

// run runs workers clients until ctx is done; worker w uses
// clients[w%len(clients)] and a seeded choice of operations.
func (l *opsLoad) run(ctx context.Context, workers int, seed uint64) {
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.worker(ctx, w, rand.New(rand.NewPCG(seed, uint64(w))))
		}()
	}
	wg.Wait()
}

func (l *opsLoad) worker(ctx context.Context, w int, r *rand.Rand) {
	ci := w % len(l.clients)
	for n := 0; ctx.Err() == nil; n++ {
		c := l.clients[ci]
		opCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		var ok bool
		switch x := r.IntN(10); {
		case x < 3:
			ok = l.register(opCtx, c, w, l.keys[r.IntN(len(l.keys))], fmt.Sprintf("%d-%d", w, n))
		case x < 5:
			ok = l.registerUnique(opCtx, c, fmt.Sprintf("uniq-%d-%d", w, n))
		default:
			ok = l.read(opCtx, c, w, l.keys[r.IntN(len(l.keys))])
		}
		cancel()
		pause := time.Duration(10+r.IntN(20)) * time.Millisecond // pace the load a little
		if !ok {
			// Like a client with several server addresses: try the next,
			// after a back-off as a client waiting for a leader would.
			// Without it the workers fill the failover with hundreds of
			// writes of unknown outcome, each of which the checker must
			// place anywhere after its call: the check then ran out of
			// time instead of giving a verdict.
			ci = (ci + 1) % len(l.clients)
			pause = time.Duration(250+r.IntN(250)) * time.Millisecond
		}
		if ctx.Err() == nil {
			sleepCtx(ctx, pause)
		}
	}
}

func (l *opsLoad) register(ctx context.Context, c *api.Client, w int, key, value string) bool {
	call := l.hist.now()
	_, _, err := c.Jobs().Register(ctx, tinyJob(key, value), nil)
	ret := l.hist.now()
	if err != nil {
		l.countErr()
		if definiteFailure(err) {
			return false
		}
	}
	l.hist.add(w, jobInput{kind: opRegister, job: key, value: value}, jobOutput{}, call, ret, err != nil)
	return err == nil
}

func (l *opsLoad) registerUnique(ctx context.Context, c *api.Client, id string) bool {
	if _, _, err := c.Jobs().Register(ctx, tinyJob(id, "u"), nil); err != nil {
		l.countErr()
		return false
	}
	l.mu.Lock()
	l.acked = append(l.acked, id)
	l.mu.Unlock()
	return true
}

func (l *opsLoad) read(ctx context.Context, c *api.Client, w int, key string) bool {
	call := l.hist.now()
	job, _, err := c.Jobs().Info(ctx, key, nil)
	ret := l.hist.now()
	var v string
	switch {
	case err == nil:
		v = job.Meta["v"]
		if v == "" {
			v = "<no meta>"
		}
	case errors.Is(err, api.ErrNotFound):
	default:
		// A failed read changed nothing: leave it out.
		l.countErr()
		return false
	}
	l.hist.add(w, jobInput{kind: opRead, job: key}, jobOutput{value: v}, call, ret, false)
	return true
}

func (l *opsLoad) countErr() {
	l.mu.Lock()
	l.errs++
	l.mu.Unlock()
}

// ackedIDs returns the unique job IDs whose registration was acknowledged.
func (l *opsLoad) ackedIDs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.acked...)
}

// missingJobs returns the IDs in ids the cluster does not list.
func missingJobs(ctx context.Context, c *api.Client, ids []string) ([]string, error) {
	stubs, _, err := c.Jobs().List(ctx, nil)
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(stubs))
	for _, s := range stubs {
		have[s.ID] = true
	}
	var missing []string
	for _, id := range ids {
		if !have[id] {
			missing = append(missing, id)
		}
	}
	return missing, nil
}

// statusCode returns the HTTP status of err, 0 when it has none.
func statusCode(err error) int {
	var se *api.StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}
