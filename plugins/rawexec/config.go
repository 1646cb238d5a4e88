package rawexec

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
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
	Command string `json:"command"`
	// Args are the program's arguments.
	Args []string `json:"args"`
}

var (
	pluginFields = []string{"enabled", "no_cgroups"}
	taskFields   = []string{"command", "args"}
)

// decodeStrict decodes raw into v, rejecting fields not in known; errors
// name the field as prefix.field.
func decodeStrict(raw json.RawMessage, prefix string, known []string, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage(`{}`)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return fmt.Errorf("%s: must be an object: %w", prefix, err)
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ok := false
		for _, k := range known {
			ok = ok || k == name
		}
		if !ok {
			return fmt.Errorf("%s.%s: unknown field", prefix, name)
		}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%s.%s: must be %s, got %s", prefix, te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		}
		return fmt.Errorf("%s: %w", prefix, err)
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "slice":
		return "a list"
	case "bool":
		return "a bool"
	case "string":
		return "a string"
	default:
		return goKind
	}
}

func parsePluginConfig(raw json.RawMessage) (PluginConfig, error) {
	var c PluginConfig
	err := decodeStrict(raw, "config", pluginFields, &c)
	return c, err
}

func parseTaskConfig(raw json.RawMessage) (TaskConfig, error) {
	var c TaskConfig
	if err := decodeStrict(raw, "config", taskFields, &c); err != nil {
		return c, err
	}
	if c.Command == "" {
		return c, errors.New("config.command: required")
	}
	return c, nil
}
