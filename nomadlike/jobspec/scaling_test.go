package jobspec_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
)

// scalingSrc is a service job whose group "web" has the given lines
// before its task.
func scalingSrc(lines string) string {
	return "job \"web\" {\n  group \"web\" {\n" + lines + "\n    task \"t\" {\n      driver = \"raw_exec\"\n    }\n  }\n}\n"
}

const cpuPolicy = `    scaling {
      min = 1
      max = 4
      policy {
        cooldown            = "2s"
        evaluation_interval = "2s"
        check "cpu" {
          source = "nomad-apm"
          query  = "avg_cpu-allocated"
          strategy "target-value" {
            target = 50
          }
        }
      }
    }`

// TestParseScalingBlock decodes a group's scaling block into Nomad's
// ScalingPolicy shape (a policy map whose blocks are lists of
// {label: [body]}); a group without count takes min.
func TestParseScalingBlock(t *testing.T) {
	job, err := jobspec.Parse("web.nomad.hcl", []byte(scalingSrc(cpuPolicy)), &jobspec.ParseOptions{Environ: []string{}})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	tg := job.LookupTaskGroup("web")
	s := tg.Scaling
	if s == nil || s.Min == nil || *s.Min != 1 || s.Max == nil || *s.Max != 4 || !s.IsEnabled() {
		t.Fatalf("Scaling = %+v, want min 1, max 4, enabled", s)
	}
	if tg.Count != 1 {
		t.Errorf("Count = %d, want min 1", tg.Count)
	}
	if s.ID != nomadlike.ScalingPolicyID("default", "web", "web") || s.Type != "horizontal" || s.Target["Group"] != "web" {
		t.Errorf("ID, Type, Target = %q, %q, %v", s.ID, s.Type, s.Target)
	}
	want := map[string]any{
		"cooldown": "2s", "evaluation_interval": "2s",
		"check": []any{map[string]any{"cpu": []any{map[string]any{
			"source": "nomad-apm", "query": "avg_cpu-allocated",
			"strategy": []any{map[string]any{"target-value": []any{map[string]any{"target": 50.0}}}},
		}}}},
	}
	if !reflect.DeepEqual(s.Policy, want) {
		t.Errorf("Policy = %#v\nwant %#v", s.Policy, want)
	}
	p, errs := nomadlike.ParseAutoscalePolicy(s.Policy)
	if len(errs) > 0 || len(p.Checks) != 1 || p.Checks[0].Strategy.Target != 50 || p.EvaluationInterval.Seconds() != 2 {
		t.Errorf("ParseAutoscalePolicy = %+v, %v", p, errs)
	}
}

// TestParseScalingErrors: bounds, unknown keys and what the built-in
// autoscaler does not run are errors at their file:line:col.
func TestParseScalingErrors(t *testing.T) {
	cases := []struct {
		name, lines, want string
	}{
		{"count over max", "    count = 5\n" + `    scaling {` + "\n      max = 3\n    }",
			`web.nomad.hcl:3:13: TaskGroups[web].Count: 5 is more than the scaling block's max 3`},
		{"count under min", "    count = 1\n    scaling {\n      min = 2\n      max = 3\n    }",
			`web.nomad.hcl:3:13: TaskGroups[web].Count: 1 is less than the scaling block's min 2`},
		{"min over max", "    scaling {\n      min = 4\n      max = 3\n    }",
			`web.nomad.hcl:4:13: TaskGroups[web].Scaling.Min: 4 is more than max 3`},
		{"no max", "    scaling {\n      min = 1\n    }",
			`web.nomad.hcl:3:5: TaskGroups[web].Scaling.Max: missing`},
		{"unknown source", strings.Replace(cpuPolicy, `"nomad-apm"`, `"prometheus"`, 1),
			`web.nomad.hcl:10:20: TaskGroups[web].Scaling.Policy.check[cpu].source: "prometheus" is not supported by nomadlike's built-in autoscaler`},
		{"unknown strategy", strings.Replace(cpuPolicy, `"target-value"`, `"pass-through"`, 1),
			`web.nomad.hcl:12:20: TaskGroups[web].Scaling.Policy.check[cpu].strategy[pass-through]: strategy "pass-through" is not supported`},
		{"unknown key", strings.Replace(cpuPolicy, `target = 50`, `target = 50`+"\n            targte = 5", 1),
			`web.nomad.hcl:14:13: Unsupported argument: An argument named "targte" is not expected here.`},
		{"unsupported query", strings.Replace(cpuPolicy, `avg_cpu-allocated`, `avg_gpu`, 1),
			`web.nomad.hcl:11:20: TaskGroups[web].Scaling.Policy.check[cpu].query: "avg_gpu" is not supported`},
		{"target block", strings.Replace(cpuPolicy, `evaluation_interval = "2s"`, `evaluation_interval = "2s"`+"\n        target \"aws-asg\" {\n          x = 1\n        }", 1),
			`web.nomad.hcl:9:9: TaskGroups[web].Scaling.Policy.target: not supported by nomadlike's built-in autoscaler: a group policy targets its own group`},
		{"query window", strings.Replace(cpuPolicy, `query  = "avg_cpu-allocated"`, `query  = "avg_cpu-allocated"`+"\n          query_window = \"1m\"", 1),
			`web.nomad.hcl:12:26: TaskGroups[web].Scaling.Policy.check[cpu].query_window: not supported by nomadlike's built-in autoscaler`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := jobspec.Parse("web.nomad.hcl", []byte(scalingSrc(tc.lines)), &jobspec.ParseOptions{Environ: []string{}})
			var perr *jobspec.Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse() = %v, want a *jobspec.Error", err)
			}
			var got []string
			for _, d := range perr.Diagnostics {
				got = append(got, d.String())
			}
			if len(got) != 1 || !strings.HasPrefix(got[0], tc.want) {
				t.Errorf("diagnostics %q,\nwant one starting %q", got, tc.want)
			}
		})
	}
}
