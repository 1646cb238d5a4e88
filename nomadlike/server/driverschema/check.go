package driverschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/nomadlike/nomadlike/drivers/schema"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// Schemas are the task config schemas the nodes published, by driver name.
// A driver may have several (nodes running different driver versions).
type Schemas map[string][]*schema.Schema

// FromNodes collects the distinct schemas the nodes' drivers published,
// in node ID order (the first node publishing a version comes first). A
// schema that does not decode is skipped. It allocates per distinct
// schema, not per node: nodes are read, never changed.
func FromNodes(nodes []*nomadlike.Node) Schemas {
	if !slices.IsSortedFunc(nodes, func(a, b *nomadlike.Node) int { return strings.Compare(a.ID, b.ID) }) {
		nodes = slices.SortedFunc(slices.Values(nodes), func(a, b *nomadlike.Node) int { return strings.Compare(a.ID, b.ID) })
	}
	out := Schemas{}
	seen := map[string][]json.RawMessage{} // by driver: every distinct raw schema met
	for _, n := range nodes {
		for name, info := range n.Drivers {
			if info == nil || len(info.ConfigSchema) == 0 || slices.ContainsFunc(seen[name], func(r json.RawMessage) bool {
				return bytes.Equal(r, info.ConfigSchema)
			}) {
				continue
			}
			seen[name] = append(seen[name], info.ConfigSchema)
			var s schema.Schema
			if err := json.Unmarshal(info.ConfigSchema, &s); err != nil {
				continue
			}
			out[name] = append(out[name], &s)
		}
	}
	return out
}

// Check checks every task's Config against the schemas of its driver. A
// config passes when one of the driver's schemas accepts it; otherwise the
// error is a *nomadlike.ValidationError with a line per problem of the first
// schema, at the task's path ("group \"g\" task \"t\" config.seconds").
// Tasks of a driver without a schema are listed in the warnings.
func Check(job *nomadlike.Job, schemas Schemas) (warnings []string, err error) {
	var errs []nomadlike.FieldError
	unchecked := map[string][]string{}
	for _, tg := range job.TaskGroups {
		for _, t := range tg.Tasks {
			where := fmt.Sprintf("group %q task %q", tg.Name, t.Name)
			list := schemas[t.Driver]
			if len(list) == 0 {
				unchecked[t.Driver] = append(unchecked[t.Driver], where)
				continue
			}
			errs = append(errs, checkTask(where, t, list)...)
		}
	}
	drivers := make([]string, 0, len(unchecked))
	for d := range unchecked {
		drivers = append(drivers, d)
	}
	sort.Strings(drivers)
	for _, d := range drivers {
		warnings = append(warnings, fmt.Sprintf("%s: config could not be checked: no node has published a config schema for driver %q",
			strings.Join(unchecked[d], ", "), d))
	}
	if len(errs) > 0 {
		return warnings, &nomadlike.ValidationError{Errors: errs}
	}
	return warnings, nil
}

func checkTask(where string, t *nomadlike.Task, list []*schema.Schema) []nomadlike.FieldError {
	raw, err := json.Marshal(t.Config)
	if err != nil {
		return []nomadlike.FieldError{{Path: where + " config", Message: "cannot encode: " + err.Error()}}
	}
	var first error
	for _, s := range list {
		err := s.Check(raw, "config")
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	var se schema.Errors
	if !errors.As(first, &se) {
		return []nomadlike.FieldError{{Path: where + " config", Message: first.Error()}}
	}
	out := make([]nomadlike.FieldError, len(se))
	for i, fe := range se {
		out[i] = nomadlike.FieldError{Path: where + " " + fe.Path, Message: fe.Problem}
	}
	return out
}
