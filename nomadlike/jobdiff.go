package nomadlike

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// Diff types of JobDiff, TaskGroupDiff, TaskDiff, ObjectDiff and FieldDiff.
const (
	DiffTypeNone    = "None"
	DiffTypeAdded   = "Added"
	DiffTypeDeleted = "Deleted"
	DiffTypeEdited  = "Edited"
)

// JobDiff is the difference between the registered job and a candidate.
type JobDiff struct {
	Type       string           `json:"Type"`
	ID         string           `json:"ID"`
	Fields     []*FieldDiff     `json:"Fields"`
	Objects    []*ObjectDiff    `json:"Objects"`
	TaskGroups []*TaskGroupDiff `json:"TaskGroups"`
}

// TaskGroupDiff is the difference of one group; Updates counts the planned
// changes by kind ("create", "destroy", "in-place update", ...).
type TaskGroupDiff struct {
	Type    string            `json:"Type"`
	Name    string            `json:"Name"`
	Fields  []*FieldDiff      `json:"Fields"`
	Objects []*ObjectDiff     `json:"Objects"`
	Tasks   []*TaskDiff       `json:"Tasks"`
	Updates map[string]uint64 `json:"Updates"`
}

// TaskDiff is the difference of one task.
type TaskDiff struct {
	Type        string        `json:"Type"`
	Name        string        `json:"Name"`
	Fields      []*FieldDiff  `json:"Fields"`
	Objects     []*ObjectDiff `json:"Objects"`
	Annotations []string      `json:"Annotations"`
}

// ObjectDiff is the difference of a nested object.
type ObjectDiff struct {
	Type    string        `json:"Type"`
	Name    string        `json:"Name"`
	Fields  []*FieldDiff  `json:"Fields"`
	Objects []*ObjectDiff `json:"Objects"`
}

// FieldDiff is the difference of one field.
type FieldDiff struct {
	Type        string   `json:"Type"`
	Name        string   `json:"Name"`
	Old         string   `json:"Old"`
	New         string   `json:"New"`
	Annotations []string `json:"Annotations"`
}

// serverFields are set by the servers, not by the user: a diff ignores them.
var serverFields = map[string]bool{
	"Status": true, "StatusDescription": true, "Stable": true, "Version": true, "SubmitTime": true,
	"CreateIndex": true, "ModifyIndex": true, "JobModifyIndex": true,
	"Outcome": true, // batch and CI (nomadlike/outcome.go)
}

// Diff returns what changes from j to next (either may be nil: j is nil
// for a new job, next for a deleted one), in Nomad's JobDiff shape: job
// fields, nested objects flattened to fields, task groups and tasks matched
// by name. Fields the servers set (status, version, indexes, ...) are left
// out. Job plans, version histories and deployments use it.
func (j *Job) Diff(next *Job) *JobDiff {
	old, new := j, next
	o, n := toMap(old), toMap(new)
	d := &JobDiff{}
	switch {
	case old == nil && new == nil:
		d.Type = DiffTypeNone
		return d
	case old == nil:
		d.ID, d.Type = new.ID, DiffTypeAdded
	case new == nil:
		d.ID, d.Type = old.ID, DiffTypeDeleted
	default:
		d.ID = new.ID
	}
	skip := map[string]bool{"TaskGroups": true}
	for k := range serverFields {
		skip[k] = true
	}
	d.Fields, d.Objects = diffObject(o, n, skip)
	oldGroups, newGroups := byName(o["TaskGroups"]), byName(n["TaskGroups"])
	for _, name := range unionKeys(oldGroups, newGroups) {
		d.TaskGroups = append(d.TaskGroups, diffGroup(name, oldGroups[name], newGroups[name]))
	}
	if d.Type == "" {
		d.Type = DiffTypeNone
		if len(d.Fields) > 0 || len(d.Objects) > 0 {
			d.Type = DiffTypeEdited
		}
		for _, g := range d.TaskGroups {
			if g.Type != DiffTypeNone {
				d.Type = DiffTypeEdited
			}
		}
	}
	return d
}

func diffGroup(name string, o, n map[string]any) *TaskGroupDiff {
	g := &TaskGroupDiff{Name: name, Type: presence(o, n)}
	g.Fields, g.Objects = diffObject(o, n, map[string]bool{"Tasks": true, "Name": true})
	oldTasks, newTasks := byName(o["Tasks"]), byName(n["Tasks"])
	changed := len(g.Fields) > 0 || len(g.Objects) > 0
	for _, tn := range unionKeys(oldTasks, newTasks) {
		t := &TaskDiff{Name: tn, Type: presence(oldTasks[tn], newTasks[tn])}
		t.Fields, t.Objects = diffObject(oldTasks[tn], newTasks[tn], map[string]bool{"Name": true})
		if t.Type == DiffTypeNone && (len(t.Fields) > 0 || len(t.Objects) > 0) {
			t.Type = DiffTypeEdited
		}
		if t.Type != DiffTypeNone {
			changed = true
		}
		g.Tasks = append(g.Tasks, t)
	}
	if g.Type == DiffTypeNone && changed {
		g.Type = DiffTypeEdited
	}
	return g
}

// presence is Added, Deleted or None (to be refined to Edited).
func presence(o, n map[string]any) string {
	switch {
	case o == nil && n != nil:
		return DiffTypeAdded
	case o != nil && n == nil:
		return DiffTypeDeleted
	}
	return DiffTypeNone
}

// diffObject compares two JSON objects: scalars become fields, nested
// objects and lists become objects whose fields are flattened paths.
func diffObject(o, n map[string]any, skip map[string]bool) ([]*FieldDiff, []*ObjectDiff) {
	var fields []*FieldDiff
	var objects []*ObjectDiff
	for _, k := range unionKeys(o, n) {
		if skip[k] {
			continue
		}
		ov, nv := o[k], n[k]
		if isComposite(ov) || isComposite(nv) {
			of, nf := map[string]string{}, map[string]string{}
			flatten("", ov, of)
			flatten("", nv, nf)
			fs := diffFlat(of, nf)
			if len(fs) == 0 {
				continue
			}
			objects = append(objects, &ObjectDiff{Name: k, Type: objectType(ov, nv), Fields: fs})
			continue
		}
		if f := diffScalar(k, ov, nv); f != nil {
			fields = append(fields, f)
		}
	}
	return fields, objects
}

func objectType(o, n any) string {
	switch {
	case isEmpty(o) && !isEmpty(n):
		return DiffTypeAdded
	case !isEmpty(o) && isEmpty(n):
		return DiffTypeDeleted
	}
	return DiffTypeEdited
}

func diffFlat(o, n map[string]string) []*FieldDiff {
	var out []*FieldDiff
	for _, k := range unionKeys(o, n) {
		ov, oOK := o[k]
		nv, nOK := n[k]
		switch {
		case oOK && nOK && ov == nv:
		case oOK && nOK:
			out = append(out, &FieldDiff{Type: DiffTypeEdited, Name: k, Old: ov, New: nv})
		case nOK:
			out = append(out, &FieldDiff{Type: DiffTypeAdded, Name: k, New: nv})
		default:
			out = append(out, &FieldDiff{Type: DiffTypeDeleted, Name: k, Old: ov})
		}
	}
	return out
}

func diffScalar(name string, o, n any) *FieldDiff {
	os, ns := scalarString(o), scalarString(n)
	switch {
	case os == ns:
		return nil
	case o == nil || os == "":
		return &FieldDiff{Type: DiffTypeAdded, Name: name, New: ns}
	case n == nil || ns == "":
		return &FieldDiff{Type: DiffTypeDeleted, Name: name, Old: os}
	}
	return &FieldDiff{Type: DiffTypeEdited, Name: name, Old: os, New: ns}
}

func flatten(prefix string, v any, out map[string]string) {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			flatten(join(k), e, out)
		}
	case []any:
		for i, e := range t {
			flatten(prefix+"["+strconv.Itoa(i)+"]", e, out)
		}
	case nil:
	default:
		key := prefix
		if key == "" {
			key = "(value)"
		}
		if s := scalarString(t); s != "" {
			out[key] = s
		}
	}
}

func scalarString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	default:
		return fmt.Sprint(t)
	}
}

func isComposite(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	}
	return false
}

// toMap turns a job (or any struct) into its JSON object form; nil for nil.
func toMap(v *Job) map[string]any {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil
	}
	return m
}

// byName indexes a JSON list of objects by their "Name".
func byName(v any) map[string]map[string]any {
	out := map[string]map[string]any{}
	list, _ := v.([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			name, _ := m["Name"].(string)
			out[name] = m
		}
	}
	return out
}

func unionKeys[V any](a, b map[string]V) []string {
	seen := map[string]bool{}
	var out []string
	for k := range a {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for k := range b {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
