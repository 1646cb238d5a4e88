package nomadlike

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// The source and strategies nomadlike's built-in autoscaler runs.
const (
	AutoscaleSourceNomadAPM     = "nomad-apm"
	AutoscaleStrategyTarget     = "target-value"
	AutoscaleStrategyThreshold  = "threshold"
	DefaultAutoscaleCooldown    = 5 * time.Minute
	DefaultAutoscaleInterval    = 10 * time.Second
	DefaultTargetValueThreshold = 0.01
	autoscaleUnsupported        = "not supported by nomadlike's built-in autoscaler"
)

// AutoscalePolicy is the policy block of a group's scaling block, in the
// Nomad Autoscaler's syntax, as nomadlike's built-in autoscaler runs it.
type AutoscalePolicy struct {
	Cooldown           time.Duration
	EvaluationInterval time.Duration
	// OnCheckError is "fail" (the default: a check without a value stops
	// the evaluation) or "ignore" (the other checks decide).
	OnCheckError string
	Checks       []*AutoscaleCheck
}

// AutoscaleCheck is one check block: a nomad-apm query and a strategy.
type AutoscaleCheck struct {
	Name string
	// Op is avg, min, max or sum; Metric is cpu (MHz), memory (MB),
	// cpu-allocated or memory-allocated (percent of the allocation's
	// resources): the query is Op_Metric.
	Op, Metric string
	// OnError overrides the policy's OnCheckError when set.
	OnError  string
	Strategy AutoscaleStrategy
}

// Query is the check's query as written (avg_cpu-allocated).
func (c *AutoscaleCheck) Query() string { return c.Op + "_" + c.Metric }

// AutoscaleStrategy is a check's strategy block. target-value uses Target,
// Threshold, MaxScaleUp and MaxScaleDown; threshold uses LowerBound,
// UpperBound and one of Delta, Percentage and Value.
type AutoscaleStrategy struct {
	Name                     string
	Target, Threshold        float64
	MaxScaleUp, MaxScaleDown *float64
	LowerBound, UpperBound   *float64
	Delta, Percentage, Value *float64
}

var (
	policyKeys   = []string{"cooldown", "evaluation_interval", "on_check_error", "check"}
	checkKeys    = []string{"source", "query", "on_error", "strategy"}
	targetKeys   = []string{"target", "threshold", "max_scale_up", "max_scale_down"}
	thresholdKey = []string{"lower_bound", "upper_bound", "delta", "percentage", "value"}
	// Keys of the Nomad Autoscaler that the built-in autoscaler refuses.
	unsupportedKeys = map[string]string{
		"target":                "a group policy targets its own group",
		"cooldown_on_scale_up":  "one cooldown applies to every direction",
		"query_window":          "each query reads the allocations' latest usage, as nomad-apm does",
		"query_window_offset":   "each query reads the allocations' latest usage",
		"group":                 "check groups are not run",
		"within_bounds_trigger": "a query yields one value, not a series",
	}
)

// ParseAutoscalePolicy reads a policy map (the policy block as the job
// specification decodes it: a nested block is a list of one-key maps
// {label: [body]}, as Nomad's; a plain {label: body} map is accepted too)
// into an AutoscalePolicy, with defaults. Each problem is a FieldError
// whose Path is relative to the policy (check[cpu].strategy[threshold].delta).
func ParseAutoscalePolicy(m map[string]any) (*AutoscalePolicy, []FieldError) {
	v := newValidator()
	p := &AutoscalePolicy{Cooldown: DefaultAutoscaleCooldown, EvaluationInterval: DefaultAutoscaleInterval, OnCheckError: "fail"}
	checkKnown(v, m, policyKeys)
	p.Cooldown = policyDuration(v, m, "cooldown", p.Cooldown)
	p.EvaluationInterval = policyDuration(v, m, "evaluation_interval", p.EvaluationInterval)
	if p.EvaluationInterval <= 0 {
		v.fail("evaluation_interval", "must be more than 0")
	}
	if s, ok := policyString(v, m, "on_check_error"); ok {
		p.OnCheckError = s
		checkOnError(v, "on_check_error", s)
	}
	for _, lb := range labeledBlocks(v, m, "check") {
		p.Checks = append(p.Checks, parseCheck(v.item("check", lb.label), lb.label, lb.body))
	}
	if len(p.Checks) == 0 {
		v.fail("check", "missing: the policy needs at least one check block")
	}
	if err := v.err(); err != nil {
		return nil, *v.errs
	}
	return p, nil
}

func parseCheck(v validator, name string, m map[string]any) *AutoscaleCheck {
	c := &AutoscaleCheck{Name: name}
	checkKnown(v, m, checkKeys)
	if src, ok := policyString(v, m, "source"); ok && src != AutoscaleSourceNomadAPM {
		v.fail("source", "%q is %s: use source = %q", src, autoscaleUnsupported, AutoscaleSourceNomadAPM)
	}
	if q, ok := policyString(v, m, "query"); !ok {
		v.fail("query", "missing: name a nomad-apm query such as avg_cpu-allocated")
	} else {
		c.Op, c.Metric = parseQuery(v, q)
	}
	if s, ok := policyString(v, m, "on_error"); ok {
		c.OnError = s
		checkOnError(v, "on_error", s)
	}
	strategies := labeledBlocks(v, m, "strategy")
	if len(strategies) != 1 {
		v.fail("strategy", "a check needs exactly one strategy block, got %d", len(strategies))
		return c
	}
	c.Strategy = parseStrategy(v.item("strategy", strategies[0].label), strategies[0].label, strategies[0].body)
	return c
}

// parseQuery splits a nomad-apm group query (avg_cpu-allocated).
func parseQuery(v validator, q string) (op, metric string) {
	op, metric, _ = strings.Cut(q, "_")
	switch op {
	case "avg", "min", "max", "sum":
	default:
		v.fail("query", "%q is %s: a query is OP_METRIC with OP avg, min, max or sum", q, autoscaleUnsupported)
		return "", ""
	}
	switch metric {
	case "cpu", "memory", "cpu-allocated", "memory-allocated":
	default:
		v.fail("query", "%q is %s: the metric is cpu, memory, cpu-allocated or memory-allocated", q, autoscaleUnsupported)
		return "", ""
	}
	return op, metric
}

func parseStrategy(v validator, name string, m map[string]any) AutoscaleStrategy {
	s := AutoscaleStrategy{Name: name}
	switch name {
	case AutoscaleStrategyTarget:
		checkKnown(v, m, targetKeys)
		t := policyNumber(v, m, "target")
		if t == nil {
			v.fail("target", "missing: the metric value to hold")
		} else if *t <= 0 {
			v.fail("target", "must be more than 0, got %g", *t)
		} else {
			s.Target = *t
		}
		s.Threshold = DefaultTargetValueThreshold
		if th := policyNumber(v, m, "threshold"); th != nil {
			s.Threshold = *th
		}
		s.MaxScaleUp, s.MaxScaleDown = policyNumber(v, m, "max_scale_up"), policyNumber(v, m, "max_scale_down")
	case AutoscaleStrategyThreshold:
		checkKnown(v, m, thresholdKey)
		s.LowerBound, s.UpperBound = policyNumber(v, m, "lower_bound"), policyNumber(v, m, "upper_bound")
		if s.LowerBound == nil && s.UpperBound == nil {
			v.fail("", "needs lower_bound, upper_bound or both")
		}
		if s.LowerBound != nil && s.UpperBound != nil && *s.LowerBound > *s.UpperBound {
			v.fail("lower_bound", "%g is more than upper_bound %g", *s.LowerBound, *s.UpperBound)
		}
		s.Delta, s.Percentage, s.Value = policyNumber(v, m, "delta"), policyNumber(v, m, "percentage"), policyNumber(v, m, "value")
		n := 0
		for _, x := range []*float64{s.Delta, s.Percentage, s.Value} {
			if x != nil {
				n++
			}
		}
		if n != 1 {
			v.fail("", "needs exactly one of delta, percentage and value, got %d", n)
		}
		if s.Value != nil && *s.Value < 0 {
			v.fail("value", "must be >= 0, got %g", *s.Value)
		}
	default:
		v.fail("", "strategy %q is %s: use %q or %q", name, autoscaleUnsupported, AutoscaleStrategyTarget, AutoscaleStrategyThreshold)
	}
	return s
}

func checkOnError(v validator, key, s string) {
	if s != "fail" && s != "ignore" {
		v.fail(key, "unknown value %q (want fail or ignore)", s)
	}
}

// checkKnown fails every key of m that is not in known.
func checkKnown(v validator, m map[string]any, known []string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if why, ok := unsupportedKeys[k]; ok && !contains(known, k) {
			v.fail(k, "%s: %s", autoscaleUnsupported, why)
		} else if !contains(known, k) {
			v.fail(k, "unknown key (want one of %s)", strings.Join(known, ", "))
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func policyString(v validator, m map[string]any, key string) (string, bool) {
	raw, ok := m[key]
	if !ok || raw == nil {
		return "", false
	}
	s, ok := raw.(string)
	if !ok {
		v.fail(key, "must be a string, got %T", raw)
		return "", false
	}
	return s, true
}

func policyDuration(v validator, m map[string]any, key string, def time.Duration) time.Duration {
	s, ok := policyString(v, m, key)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		v.fail(key, "%q is not a duration (such as \"30s\" or \"5m\")", s)
		return def
	}
	return d
}

func policyNumber(v validator, m map[string]any, key string) *float64 {
	raw, ok := m[key]
	if !ok || raw == nil {
		return nil
	}
	var f float64
	switch n := raw.(type) {
	case float64:
		f = n
	case int:
		f = float64(n)
	case int64:
		f = float64(n)
	default:
		v.fail(key, "must be a number, got %T", raw)
		return nil
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		v.fail(key, "must be a finite number")
		return nil
	}
	return &f
}

type labeledBody struct {
	label string
	body  map[string]any
}

// labeledBlocks reads the labeled blocks m[key]: a list of {label: [body]}
// maps (Nomad's decoding of HCL blocks), or one {label: body} map.
func labeledBlocks(v validator, m map[string]any, key string) []labeledBody {
	raw, ok := m[key]
	if !ok || raw == nil {
		return nil
	}
	var maps []map[string]any
	switch x := raw.(type) {
	case map[string]any:
		maps = []map[string]any{x}
	case []any:
		for _, e := range x {
			em, ok := e.(map[string]any)
			if !ok {
				v.fail(key, "must be a list of {label: body} objects, got an element of type %T", e)
				return nil
			}
			maps = append(maps, em)
		}
	default:
		v.fail(key, "must be a block (an object keyed by its label), got %T", raw)
		return nil
	}
	var out []labeledBody
	for _, em := range maps {
		labels := make([]string, 0, len(em))
		for l := range em {
			labels = append(labels, l)
		}
		sort.Strings(labels)
		for _, l := range labels {
			body, ok := blockBody(em[l])
			if !ok {
				v.item(key, l).fail("", "must be a block body (an object), got %T", em[l])
				continue
			}
			out = append(out, labeledBody{label: l, body: body})
		}
	}
	return out
}

// blockBody unwraps a block body: an object, or a list of one object.
func blockBody(raw any) (map[string]any, bool) {
	switch x := raw.(type) {
	case map[string]any:
		return x, true
	case []any:
		if len(x) == 1 {
			m, ok := x[0].(map[string]any)
			return m, ok
		}
	}
	return nil, false
}

// String describes the check for scaling event messages.
func (c *AutoscaleCheck) String() string {
	return fmt.Sprintf("check %q (%s, %s)", c.Name, c.Query(), c.Strategy.Name)
}
