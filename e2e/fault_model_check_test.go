package e2e

import (
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// TestJobModel checks the model itself on small histories whose verdict is
// known, so that a linearizability failure in the cluster tests means the
// cluster and not the model.
func TestJobModel(t *testing.T) {
	reg := func(job, v string, call, ret int64) porcupine.Operation {
		return porcupine.Operation{Input: jobInput{kind: opRegister, job: job, value: v}, Call: call, Return: ret}
	}
	read := func(job, v string, call, ret int64) porcupine.Operation {
		return porcupine.Operation{Input: jobInput{kind: opRead, job: job}, Output: jobOutput{value: v}, Call: call, Return: ret}
	}
	const never = int64(1) << 62
	cases := []struct {
		name string
		ops  []porcupine.Operation
		ok   bool
	}{
		{"read of a job never written", []porcupine.Operation{read("a", "", 0, 1)}, true},
		{"read sees the acknowledged write", []porcupine.Operation{reg("a", "1", 0, 1), read("a", "1", 2, 3)}, true},
		{"read misses an acknowledged write", []porcupine.Operation{reg("a", "1", 0, 1), read("a", "", 2, 3)}, false},
		{"stale read after a newer write", []porcupine.Operation{
			reg("a", "1", 0, 1), reg("a", "2", 2, 3), read("a", "1", 4, 5)}, false},
		{"concurrent read may see either", []porcupine.Operation{
			reg("a", "1", 0, 1), reg("a", "2", 2, 6), read("a", "1", 3, 4), read("a", "2", 5, 7)}, true},
		{"reads cannot go back in time", []porcupine.Operation{
			reg("a", "1", 0, 1), reg("a", "2", 2, 10), read("a", "2", 3, 4), read("a", "1", 5, 6)}, false},
		{"unknown register may have happened", []porcupine.Operation{reg("a", "1", 0, never), read("a", "1", 5, 6)}, true},
		{"unknown register may not have happened", []porcupine.Operation{reg("a", "1", 0, never), read("a", "", 5, 6)}, true},
		{"jobs are independent", []porcupine.Operation{
			reg("a", "1", 0, 1), reg("b", "2", 0, 1), read("a", "1", 2, 3), read("b", "1", 2, 3)}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := porcupine.CheckOperationsTimeout(jobModel, tc.ops, 10*time.Second)
			if got := res == porcupine.Ok; got != tc.ok {
				t.Fatalf("CheckOperations = %v, want ok=%v\n%s", res, tc.ok, describe(tc.ops, 20))
			}
		})
	}
}

func TestHistoryUnknownReturn(t *testing.T) {
	h := newHistory()
	h.add(0, jobInput{kind: opRegister, job: "a", value: "1"}, jobOutput{}, 1, 2, true)
	h.add(1, jobInput{kind: opRead, job: "a"}, jobOutput{value: "1"}, 3, 4, false)
	ops := h.operations()
	if len(ops) != 2 || ops[0].Return <= ops[1].Return {
		t.Fatalf("operations = %+v: want the unknown register to return after everything", ops)
	}
}
