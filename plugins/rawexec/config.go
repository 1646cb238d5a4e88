package rawexec

import (
	"encoding/json"
	"errors"

	"github.com/nomadlike/nomadlike/drivers/schema"
)

// PluginConfig is the plugin "raw_exec" { config { ... } } block.
type PluginConfig struct {
	// Enabled must be true for the driver to run tasks (default false).
	Enabled bool `json:"enabled"`
	// NoCgroups is accepted for compatibility with Nomad agent files. This
	// driver never puts tasks in cgroups; it tracks them by process group.
	NoCgroups bool `json:"no_cgroups"`
}

// TaskConfig is a raw_exec task's config block.
type TaskConfig struct {
	// Command is the program to run: an absolute path, a path relative to
	// the task directory, or a name looked up in the task's PATH. Required.
	Command string `json:"command" schema:"required"`
	// Args are the program's arguments.
	Args []string `json:"args"`
}

func parsePluginConfig(raw json.RawMessage) (PluginConfig, error) {
	var c PluginConfig
	err := schema.Decode(raw, "config", &c)
	return c, err
}

// taskSchema is the task config schema the driver publishes in its Info.
var taskSchema = schema.MustOf(TaskConfig{})

func parseTaskConfig(raw json.RawMessage) (TaskConfig, error) {
	var c TaskConfig
	if err := schema.Decode(raw, "config", &c); err != nil {
		return c, err
	}
	if c.Command == "" {
		return c, errors.New("config.command: required")
	}
	return c, nil
}

// TaskConfigSchema publishes the task config schema (drivers.SchemaPublisher).
func (d *Driver) TaskConfigSchema() *schema.Schema { return taskSchema }
