package nomadlike

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestParseAutoscalePolicy reads policies in both JSON shapes (Nomad's
// list of {label: [body]} and a plain {label: body}) and names each
// problem by its path in the policy.
func TestParseAutoscalePolicy(t *testing.T) {
	cases := []struct {
		name, json string
		want       string // "" for no error, else a substring of the one error
	}{
		{"nomad shape", `{"evaluation_interval":"5s","check":[{"mem":[{"query":"max_memory-allocated",
			"strategy":[{"threshold":[{"lower_bound":80,"delta":1}]}]}]}]}`, ""},
		{"plain map shape", `{"check":{"cpu":{"source":"nomad-apm","query":"avg_cpu","strategy":{"target-value":{"target":400}}}}}`, ""},
		{"no check", `{"cooldown":"1m"}`, "check: missing"},
		{"bad duration", `{"cooldown":"soon","check":{"c":{"query":"avg_cpu","strategy":{"target-value":{"target":1}}}}}`,
			`cooldown: "soon" is not a duration`},
		{"threshold without action", `{"check":{"c":{"query":"avg_cpu","strategy":{"threshold":{"lower_bound":1}}}}}`,
			"check[c].strategy[threshold]: needs exactly one of delta, percentage and value, got 0"},
		{"threshold two actions", `{"check":{"c":{"query":"avg_cpu","strategy":{"threshold":{"upper_bound":1,"delta":-1,"value":2}}}}}`,
			"got 2"},
		{"target missing", `{"check":{"c":{"query":"avg_cpu","strategy":{"target-value":{}}}}}`,
			"check[c].strategy[target-value].target: missing"},
		{"unsupported target block", `{"target":{"x":{}},"check":{"c":{"query":"avg_cpu","strategy":{"target-value":{"target":1}}}}}`,
			"target: not supported by nomadlike's built-in autoscaler"},
		{"two strategies", `{"check":{"c":{"query":"avg_cpu","strategy":[{"target-value":[{"target":1}]},{"threshold":[{"value":1,"lower_bound":1}]}]}}}`,
			"check[c].strategy: a check needs exactly one strategy block, got 2"},
		{"bad on_error", `{"check":{"c":{"query":"avg_cpu","on_error":"panic","strategy":{"target-value":{"target":1}}}}}`,
			`check[c].on_error: unknown value "panic"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal([]byte(tc.json), &m); err != nil {
				t.Fatal(err)
			}
			p, errs := ParseAutoscalePolicy(m)
			var got []string
			for _, e := range errs {
				got = append(got, e.Path+": "+e.Message)
			}
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Fatalf("ParseAutoscalePolicy = %q, want no error", got)
			case tc.want == "":
				if len(p.Checks) != 1 || p.Cooldown != DefaultAutoscaleCooldown {
					t.Errorf("ParseAutoscalePolicy = %+v", p)
				}
			case len(got) != 1 || !strings.Contains(got[0], tc.want):
				t.Errorf("ParseAutoscalePolicy errors = %q, want one containing %q", got, tc.want)
			}
		})
	}
	p, _ := ParseAutoscalePolicy(map[string]any{"evaluation_interval": "5s", "check": map[string]any{"c": map[string]any{
		"query": "avg_cpu", "strategy": map[string]any{"target-value": map[string]any{"target": 1.0}}}}})
	if p.EvaluationInterval != 5*time.Second || p.Checks[0].Strategy.Threshold != DefaultTargetValueThreshold || p.OnCheckError != "fail" {
		t.Errorf("defaults: %+v", p)
	}
}
