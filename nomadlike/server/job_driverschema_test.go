package server

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// execSchema is an exec-like task config schema as a node publishes it.
var execSchema = json.RawMessage(`{"Fields":[{"Name":"args","Kind":"list","Elem":{"Kind":"string"}},{"Name":"command","Kind":"string","Required":true},{"Name":"pids_limit","Kind":"int","Min":-9223372036854775808,"Max":9223372036854775807}]}`)

// TestJobDriverConfigSchema: validate, plan and register refuse a task
// config the driver's published schema refuses, naming the job path, and
// store nothing; a driver without a schema is accepted with a warning.
func TestJobDriverConfigSchema(t *testing.T) {
	s := clockServer(t, newFakeClock(t0))
	registerNodes(t, s, 1, func(n *nomadlike.Node) { n.Drivers["exec"].ConfigSchema = execSchema })
	group := fixture.BatchJob(1).TaskGroups[0]
	prefix := `group "` + group.Name + `" task "` + group.Tasks[0].Name + `" `
	cases := []struct {
		name   string
		config map[string]any
		err    string
	}{
		{"valid", map[string]any{"command": "/bin/true", "pids_limit": 10}, ""},
		{"number for string", map[string]any{"command": 42}, prefix + `config.command: must be a string, got 42`},
		{"typo", map[string]any{"command": "x", "agrs": []any{"a"}}, prefix + `config.agrs: unknown key (did you mean "args"?)`},
		{"missing", map[string]any{}, prefix + `config.command: required`},
		{"fraction", map[string]any{"command": "x", "pids_limit": 1.5}, prefix + `config.pids_limit: must be a whole number, got 1.5`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := fixture.BatchJob(1)
			job.ID = "schema-" + strings.ReplaceAll(tc.name, " ", "-")
			job.TaskGroups[0].Tasks[0].Config = tc.config
			_, verr := s.ValidateJob(job)
			_, perr := s.PlanJob(job, false)
			_, _, _, rerr := s.RegisterJob(job, false, 0)
			for call, err := range map[string]error{"validate": verr, "plan": perr, "register": rerr} {
				if tc.err == "" {
					if err != nil {
						t.Errorf("%s = %v, want no error", call, err)
					}
					continue
				}
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, nomadlike.ErrValidation) {
					t.Errorf("%s = %v, want a validation error with %q", call, err, tc.err)
				}
			}
			stored, err := s.State().JobByID(nil, job.Namespace, job.ID)
			if err != nil {
				t.Fatal(err)
			}
			if (stored != nil) != (tc.err == "") {
				t.Errorf("stored job = %v after register error %v", stored != nil, rerr)
			}
		})
	}

	t.Run("driver without a schema is accepted with a warning", func(t *testing.T) {
		job := fixture.BatchJob(1)
		job.ID = "schema-raw"
		job.TaskGroups[0].Tasks[0].Driver = "raw_exec"
		job.TaskGroups[0].Tasks[0].Config = map[string]any{"whatever": 1}
		want := `config could not be checked: no node has published a config schema for driver "raw_exec"`
		w, err := s.ValidateJob(job)
		if err != nil || !strings.Contains(w, want) {
			t.Errorf("ValidateJob = %q, %v; want a warning %q", w, err, want)
		}
		plan, err := s.PlanJob(job, false)
		if err != nil || !strings.Contains(plan.Warnings, want) {
			t.Errorf("PlanJob warnings = %v, %v; want %q", plan, err, want)
		}
	})
}
