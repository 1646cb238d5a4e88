package autoscaler

import (
	"errors"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func f(v float64) *float64 { return &v }

func TestDesired(t *testing.T) {
	target := func(v float64) nomadlike.AutoscaleStrategy {
		return nomadlike.AutoscaleStrategy{Name: "target-value", Target: v, Threshold: 0.01}
	}
	cases := []struct {
		name    string
		s       nomadlike.AutoscaleStrategy
		current int64
		value   float64
		want    int64
	}{
		{"target: double load doubles", target(50), 2, 100, 4},
		{"target: within threshold holds", target(50), 3, 50.2, 3},
		{"target: low load shrinks", target(50), 4, 10, 1},
		{"target: zero grows from one", target(50), 0, 120, 3},
		{"target: zero idle stays", target(50), 0, 0, 0},
		{"target: max_scale_up", nomadlike.AutoscaleStrategy{Name: "target-value", Target: 10, MaxScaleUp: f(2)}, 1, 100, 3},
		{"target: max_scale_down", nomadlike.AutoscaleStrategy{Name: "target-value", Target: 100, MaxScaleDown: f(1)}, 5, 1, 4},
		{"threshold: delta in bounds", nomadlike.AutoscaleStrategy{Name: "threshold", LowerBound: f(70), Delta: f(2)}, 1, 90, 3},
		{"threshold: out of bounds holds", nomadlike.AutoscaleStrategy{Name: "threshold", LowerBound: f(70), Delta: f(2)}, 1, 50, 1},
		{"threshold: upper bound exclusive", nomadlike.AutoscaleStrategy{Name: "threshold", UpperBound: f(30), Delta: f(-1)}, 3, 30, 3},
		{"threshold: negative delta", nomadlike.AutoscaleStrategy{Name: "threshold", UpperBound: f(30), Delta: f(-1)}, 3, 5, 2},
		{"threshold: percentage", nomadlike.AutoscaleStrategy{Name: "threshold", LowerBound: f(70), Percentage: f(50)}, 3, 80, 5},
		{"threshold: negative percentage", nomadlike.AutoscaleStrategy{Name: "threshold", UpperBound: f(20), Percentage: f(-50)}, 4, 10, 2},
		{"threshold: value", nomadlike.AutoscaleStrategy{Name: "threshold", LowerBound: f(0), UpperBound: f(100), Value: f(7)}, 2, 50, 7},
		{"never negative", nomadlike.AutoscaleStrategy{Name: "threshold", UpperBound: f(30), Delta: f(-5)}, 2, 5, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Desired(tc.s, tc.current, tc.value); got != tc.want {
				t.Errorf("Desired(%s, %d, %g) = %d, want %d", tc.s.Name, tc.current, tc.value, got, tc.want)
			}
		})
	}
}

func TestValue(t *testing.T) {
	allocs := []AllocMetric{
		{Usage: nomadlike.AllocUsage{CPUMHz: 90, MemoryMB: 64}, CPUMHz: 100, MemoryMB: 128},
		{Usage: nomadlike.AllocUsage{CPUMHz: 10, MemoryMB: 32}, CPUMHz: 100, MemoryMB: 128},
	}
	cases := []struct {
		op, metric string
		want       float64
	}{
		{"avg", "cpu-allocated", 50}, {"max", "cpu-allocated", 90}, {"min", "cpu", 10},
		{"sum", "memory", 96}, {"avg", "memory-allocated", 37.5},
	}
	for _, tc := range cases {
		c := &nomadlike.AutoscaleCheck{Op: tc.op, Metric: tc.metric}
		if got, err := Value(c, allocs); err != nil || got != tc.want {
			t.Errorf("Value(%s) = %g, %v, want %g", c.Query(), got, err, tc.want)
		}
	}
	if _, err := Value(&nomadlike.AutoscaleCheck{Op: "avg", Metric: "cpu"}, nil); !errors.Is(err, ErrNoData) {
		t.Errorf("Value(no allocations) error = %v, want ErrNoData", err)
	}
}

// TestDecideSafest: several checks give the largest count, held within
// min and max; a failing check stops the evaluation unless ignored.
func TestDecideSafest(t *testing.T) {
	up := &nomadlike.AutoscaleCheck{Name: "cpu", Op: "avg", Metric: "cpu-allocated",
		Strategy: nomadlike.AutoscaleStrategy{Name: "target-value", Target: 50, Threshold: 0.01}}
	down := &nomadlike.AutoscaleCheck{Name: "mem", Op: "avg", Metric: "memory-allocated",
		Strategy: nomadlike.AutoscaleStrategy{Name: "threshold", UpperBound: f(30), Delta: f(-1)}}
	p := &nomadlike.AutoscalePolicy{Checks: []*nomadlike.AutoscaleCheck{down, up}, OnCheckError: "fail"}

	d, err := Decide(p, 2, 1, 10, []float64{10, 100}, []error{nil, nil})
	if err != nil || d.Count != 4 || !strings.Contains(d.Reason, `check "cpu": avg_cpu-allocated 100% against target 50%`) {
		t.Errorf("Decide(up and down) = %+v, %v, want 4 by check cpu", d, err)
	}
	d, _ = Decide(p, 2, 1, 3, []float64{10, 100}, []error{nil, nil})
	if d.Count != 3 || !strings.Contains(d.Reason, "held at max 3") {
		t.Errorf("Decide(over max) = %+v, want 3 held at max", d)
	}
	d, _ = Decide(p, 2, 2, 10, []float64{10, 50}, []error{nil, nil})
	if d.Count != 2 {
		t.Errorf("Decide(down to min) = %+v, want 2", d)
	}
	if _, err := Decide(p, 2, 1, 10, []float64{0, 100}, []error{ErrNoData, nil}); !errors.Is(err, ErrNoData) {
		t.Errorf("Decide(failing check) error = %v, want ErrNoData", err)
	}
	p.OnCheckError = "ignore"
	if d, err := Decide(p, 2, 1, 10, []float64{0, 100}, []error{ErrNoData, nil}); err != nil || d.Count != 4 {
		t.Errorf("Decide(ignored failing check) = %+v, %v, want 4", d, err)
	}
}
