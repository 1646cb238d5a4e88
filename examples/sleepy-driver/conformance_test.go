package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/drivertest"
)

// TestMain lets the test binary be the plugin process the suite launches.
func TestMain(m *testing.M) {
	drivertest.ServeIfPlugin(func(l hclog.Logger) drivers.Driver { return newDriver(l) })
	os.Exit(m.Run())
}

// TestConformance runs the SDK's conformance suite: sleepy runs no shell,
// so it runs the lifecycle and recovery cases (the others say skipped).
func TestConformance(t *testing.T) {
	drivertest.Run(t, drivertest.Harness{
		Plugin:       drivertest.SelfPlugin(driverName),
		PluginConfig: json.RawMessage(`{"enabled": true}`),
		Task: func(spec drivertest.Task) json.RawMessage {
			raw, _ := json.Marshal(taskConfig{Seconds: spec.Duration.Seconds(), Line: spec.Line, Fail: spec.Fail})
			return raw
		},
		FailCode:  1,
		BadConfig: json.RawMessage(`{"seconds": 1, "lien": "typo"}`),
		BadField:  `config.lien: unknown key (did you mean "line"?)`,
	})
}

func TestTaskConfigErrorsNameTheField(t *testing.T) {
	cases := []struct {
		name, raw, want string
	}{
		{"unknown key", `{"seconds": 1, "lien": "x"}`, `config.lien: unknown key (did you mean "line"?)`},
		{"seconds not a number", `{"seconds": "ten"}`, `config.seconds: must be a number, got "ten"`},
		{"negative seconds", `{"seconds": -1}`, "config.seconds: must be between 0 and"},
		{"fail not a bool", `{"fail": "yes"}`, `config.fail: must be a boolean, got "yes"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseTaskConfig(json.RawMessage(tc.raw))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("parseTaskConfig(%s) = %v, want an error containing %q", tc.raw, err, tc.want)
			}
		})
	}
}
