package e2e

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// The linearizability model of job registrations and reads: a map from job
// ID to the value of the job's meta "v" that the last registration wrote.
// A register that got no reply (the connection died with the leader) may or
// may not have happened: it goes into the history with an infinite return
// time, so the checker may place it anywhere after its call, including
// after every read (the same as never).

// jobOpKind is what an operation did.
type jobOpKind int

const (
	opRegister jobOpKind = iota
	opRead
)

// jobInput is an operation's input.
type jobInput struct {
	kind  jobOpKind
	job   string
	value string // register: the value written
}

// jobOutput is an operation's output: the value a read saw ("" when the job
// did not exist); registers have none.
type jobOutput struct {
	value string
}

// jobState is the model state: job ID → value, copied on every step.
type jobState map[string]string

// jobModel is the sequential specification porcupine checks against,
// partitioned by job ID (operations on different jobs do not interact).
var jobModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byJob := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(jobInput).job
			if _, ok := byJob[k]; !ok {
				keys = append(keys, k)
			}
			byJob[k] = append(byJob[k], op)
		}
		sort.Strings(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byJob[k])
		}
		return out
	},
	Init: func() any { return "" },
	// With partitioning each history touches one job, so the state is
	// that job's value.
	Step: func(state, input, output any) (bool, any) {
		cur := state.(string)
		in := input.(jobInput)
		switch in.kind {
		case opRegister:
			return true, in.value
		case opRead:
			return output.(jobOutput).value == cur, cur
		}
		return false, cur
	},
	DescribeOperation: func(input, output any) string {
		in := input.(jobInput)
		if in.kind == opRegister {
			return fmt.Sprintf("register(%s, %q)", in.job, in.value)
		}
		return fmt.Sprintf("read(%s) -> %q", in.job, output.(jobOutput).value)
	},
}

// history records operations from many goroutines against one clock.
type history struct {
	mu    sync.Mutex
	start time.Time
	ops   []porcupine.Operation
}

func newHistory() *history { return &history{start: time.Now()} }

// now is the monotonic time since the history began.
func (h *history) now() int64 { return int64(time.Since(h.start)) }

// add records a finished operation; unknown marks a register whose outcome
// is unknown (it gets an infinite return time).
func (h *history) add(client int, in jobInput, out jobOutput, call, ret int64, unknown bool) {
	if unknown {
		ret = math.MaxInt64
	}
	h.mu.Lock()
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Output: out, Call: call, Return: ret})
	h.mu.Unlock()
}

// operations returns a copy of the recorded history.
func (h *history) operations() []porcupine.Operation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]porcupine.Operation(nil), h.ops...)
}

// describe renders a history for a failure message, at most max lines.
func describe(ops []porcupine.Operation, max int) string {
	sorted := append([]porcupine.Operation(nil), ops...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Call < sorted[j].Call })
	var b strings.Builder
	for i, op := range sorted {
		if i == max {
			fmt.Fprintf(&b, "... %d more\n", len(sorted)-max)
			break
		}
		ret := "?"
		if op.Return != math.MaxInt64 {
			ret = time.Duration(op.Return).String()
		}
		fmt.Fprintf(&b, "client %d [%v, %s] %s\n", op.ClientId, time.Duration(op.Call), ret,
			jobModel.DescribeOperation(op.Input, op.Output))
	}
	return b.String()
}
