package autoscaler

import (
	"errors"
	"fmt"
	"math"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// ErrNoData is a check's error when no running allocation of the group
// has a recent usage sample.
var ErrNoData = errors.New("no running allocation of the group has reported its usage yet")

// AllocMetric is one running allocation's latest usage and what it was
// allocated (the sum over its tasks).
type AllocMetric struct {
	Usage            nomadlike.AllocUsage
	CPUMHz, MemoryMB float64
}

// Value computes a check's query over the group's allocations: each
// allocation's cpu (MHz), memory (MB), or their percent of what the
// allocation was given, then avg, min, max or sum of them.
func Value(c *nomadlike.AutoscaleCheck, allocs []AllocMetric) (float64, error) {
	if len(allocs) == 0 {
		return 0, ErrNoData
	}
	var out float64
	for i, a := range allocs {
		var v float64
		switch c.Metric {
		case "cpu":
			v = a.Usage.CPUMHz
		case "memory":
			v = a.Usage.MemoryMB
		case "cpu-allocated":
			v = percent(a.Usage.CPUMHz, a.CPUMHz)
		case "memory-allocated":
			v = percent(a.Usage.MemoryMB, a.MemoryMB)
		}
		switch {
		case i == 0:
			out = v
		case c.Op == "min":
			out = math.Min(out, v)
		case c.Op == "max":
			out = math.Max(out, v)
		default: // avg, sum
			out += v
		}
	}
	if c.Op == "avg" {
		out /= float64(len(allocs))
	}
	return out, nil
}

func percent(used, allocated float64) float64 {
	if allocated <= 0 {
		return 0
	}
	return 100 * used / allocated
}

// Desired is the count one strategy asks for given the current count and
// the check's value; current when the strategy does not act.
func Desired(s nomadlike.AutoscaleStrategy, current int64, value float64) int64 {
	var want int64
	switch s.Name {
	case nomadlike.AutoscaleStrategyTarget:
		want = targetValue(s, current, value)
	case nomadlike.AutoscaleStrategyThreshold:
		want = threshold(s, current, value)
	default:
		return current
	}
	return max(want, 0)
}

func targetValue(s nomadlike.AutoscaleStrategy, current int64, value float64) int64 {
	factor := value / s.Target
	if math.Abs(1-factor) <= s.Threshold {
		return current
	}
	base := float64(max(current, 1)) // a group at 0 grows from one
	if current == 0 && value == 0 {
		return 0
	}
	want := int64(math.Ceil(base * factor))
	if s.MaxScaleUp != nil && want > current+int64(*s.MaxScaleUp) {
		want = current + int64(*s.MaxScaleUp)
	}
	if s.MaxScaleDown != nil && want < current-int64(*s.MaxScaleDown) {
		want = current - int64(*s.MaxScaleDown)
	}
	return want
}

func threshold(s nomadlike.AutoscaleStrategy, current int64, value float64) int64 {
	if (s.LowerBound != nil && value < *s.LowerBound) || (s.UpperBound != nil && value >= *s.UpperBound) {
		return current
	}
	switch {
	case s.Delta != nil:
		return current + int64(*s.Delta)
	case s.Percentage != nil:
		step := int64(math.Ceil(math.Abs(float64(current) * *s.Percentage / 100)))
		if *s.Percentage < 0 {
			return current - step
		}
		return current + step
	case s.Value != nil:
		return int64(*s.Value)
	}
	return current
}

// Decision is the outcome of one evaluation of a policy.
type Decision struct {
	// Count is the new count; equal to the current one when nothing is to
	// be done.
	Count int64
	// Reason names the deciding check and its value against the strategy.
	Reason string
}

// Decide runs every check of p on its value (or error) and returns the
// safest decision, as the Nomad Autoscaler does: the largest count any
// check asks for, held within min and max. A check error stops the
// evaluation (the error is returned) unless the check's on_error, or the
// policy's on_check_error, is "ignore".
func Decide(p *nomadlike.AutoscalePolicy, current, minCount, maxCount int64, values []float64, errs []error) (Decision, error) {
	best := Decision{Count: -1}
	for i, c := range p.Checks {
		if errs[i] != nil {
			onErr := c.OnError
			if onErr == "" {
				onErr = p.OnCheckError
			}
			if onErr == "ignore" {
				continue
			}
			return Decision{Count: current}, fmt.Errorf("%s: %w", c, errs[i])
		}
		want := Desired(c.Strategy, current, values[i])
		if want > best.Count {
			best = Decision{Count: want, Reason: describe(c, values[i])}
		}
	}
	if best.Count < 0 {
		return Decision{Count: current}, nil
	}
	if best.Count > maxCount {
		best.Count, best.Reason = maxCount, best.Reason+fmt.Sprintf(", held at max %d", maxCount)
	}
	if best.Count < minCount {
		best.Count, best.Reason = minCount, best.Reason+fmt.Sprintf(", held at min %d", minCount)
	}
	return best, nil
}

// describe says what a check saw: "avg_cpu-allocated 93% against target 50%".
func describe(c *nomadlike.AutoscaleCheck, v float64) string {
	unit := map[string]string{"cpu": " MHz", "memory": " MB", "cpu-allocated": "%", "memory-allocated": "%"}[c.Metric]
	s := c.Strategy
	switch s.Name {
	case nomadlike.AutoscaleStrategyTarget:
		return fmt.Sprintf("check %q: %s %.0f%s against target %g%s", c.Name, c.Query(), v, unit, s.Target, unit)
	default:
		return fmt.Sprintf("check %q: %s %.0f%s within threshold bounds [%s, %s)", c.Name, c.Query(), v, unit, bound(s.LowerBound, "-inf"), bound(s.UpperBound, "+inf"))
	}
}

func bound(b *float64, none string) string {
	if b == nil {
		return none
	}
	return fmt.Sprintf("%g", *b)
}
