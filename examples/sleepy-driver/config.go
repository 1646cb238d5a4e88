package main

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/nomadlike/nomadlike/drivers/schema"
)

// pluginConfig is the agent's plugin "sleepy" { config { ... } } block.
type pluginConfig struct {
	// Enabled must be true for the driver to report itself healthy.
	Enabled bool `json:"enabled"`
}

// taskConfig is a task's config block.
type taskConfig struct {
	// Seconds is how long the task sleeps (0 or more; fractions allowed).
	Seconds float64 `json:"seconds"`
	// Line is written, with a newline, to the task's stdout log at start.
	Line string `json:"line"`
	// Fail makes the task exit with code 1 instead of 0.
	Fail bool `json:"fail"`
}

// taskSchema is the task config schema the driver publishes
// (drivers.SchemaPublisher): the servers check every sleepy task's config
// against it at job validate, plan and run, before any client sees it.
var taskSchema = schema.MustOf(taskConfig{})

// maxSeconds bounds a sleep to a year.
const maxSeconds = 365 * 24 * 3600

// parseTaskConfig decodes and checks a task's config.
func parseTaskConfig(raw json.RawMessage) (taskConfig, error) {
	var c taskConfig
	if err := schema.Decode(raw, "config", &c); err != nil {
		return c, err
	}
	if c.Seconds < 0 || c.Seconds > maxSeconds || math.IsNaN(c.Seconds) {
		return c, fmt.Errorf("config.seconds: must be between 0 and %d, got %v", maxSeconds, c.Seconds)
	}
	return c, nil
}

func (c taskConfig) duration() time.Duration {
	return time.Duration(c.Seconds * float64(time.Second))
}

// exitCode is the code the task exits with when it is not stopped.
func (c taskConfig) exitCode() int {
	if c.Fail {
		return 1
	}
	return 0
}
