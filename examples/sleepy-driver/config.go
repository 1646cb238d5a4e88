package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
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

// maxSeconds bounds a sleep to a year.
const maxSeconds = 365 * 24 * 3600

// decodeStrict decodes raw into v refusing unknown keys; errors name the
// field under prefix ("config.seconds: ...").
func decodeStrict(prefix string, raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr):
		return fmt.Errorf("%s.%s: must be a %s, got a JSON %s", prefix, typeErr.Field, typeErr.Type, typeErr.Value)
	default:
		// "json: unknown field \"x\"" becomes "config.x: unknown field".
		var name string
		if _, scanErr := fmt.Sscanf(err.Error(), "json: unknown field %q", &name); scanErr == nil {
			return fmt.Errorf("%s.%s: unknown field", prefix, name)
		}
		return fmt.Errorf("%s: %w", prefix, err)
	}
}

// parseTaskConfig decodes and checks a task's config.
func parseTaskConfig(raw json.RawMessage) (taskConfig, error) {
	var c taskConfig
	if err := decodeStrict("config", raw, &c); err != nil {
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
