package ui

import (
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// maxDiffLines caps the changes the job page lists per version.
const maxDiffLines = 60

// versionRow is a job version with what changed from the one before it.
type versionRow struct {
	Job     *nomadlike.Job
	Changes []diffLine
	More    bool // more changes than maxDiffLines
}

// diffLine is one changed field, its path from the job down ("group web ›
// task app › Config › args").
type diffLine struct {
	Path, Type, Old, New string
}

// versionRows pairs versions (newest first) with diffs, where diffs[i] is
// what changed from versions[i+1] to versions[i] (Nomad's versions API).
func versionRows(versions []*nomadlike.Job, diffs []*api.JobDiff) []versionRow {
	rows := make([]versionRow, 0, len(versions))
	for i, v := range versions {
		row := versionRow{Job: v}
		if i < len(diffs) && diffs[i] != nil {
			d := diffs[i]
			var lines []diffLine
			lines = fieldLines(lines, "", d.Fields)
			lines = objectLines(lines, "", d.Objects)
			for _, tg := range d.TaskGroups {
				p := "group " + tg.Name
				if tg.Type == api.DiffTypeAdded || tg.Type == api.DiffTypeDeleted {
					lines = append(lines, diffLine{Path: p, Type: tg.Type})
					continue
				}
				lines = fieldLines(lines, p, tg.Fields)
				lines = objectLines(lines, p, tg.Objects)
				for _, t := range tg.Tasks {
					tp := p + " › task " + t.Name
					if t.Type == api.DiffTypeAdded || t.Type == api.DiffTypeDeleted {
						lines = append(lines, diffLine{Path: tp, Type: t.Type})
						continue
					}
					lines = fieldLines(lines, tp, t.Fields)
					lines = objectLines(lines, tp, t.Objects)
				}
			}
			if len(lines) > maxDiffLines {
				lines, row.More = lines[:maxDiffLines], true
			}
			row.Changes = lines
		}
		rows = append(rows, row)
	}
	return rows
}

func fieldLines(out []diffLine, path string, fields []*api.FieldDiff) []diffLine {
	for _, f := range fields {
		if f.Type == api.DiffTypeNone || f.Type == "" {
			continue
		}
		out = append(out, diffLine{Path: join(path, f.Name), Type: f.Type, Old: f.Old, New: f.New})
	}
	return out
}

func objectLines(out []diffLine, path string, objs []*api.ObjectDiff) []diffLine {
	for _, o := range objs {
		if o.Type == api.DiffTypeNone || o.Type == "" {
			continue
		}
		p := join(path, o.Name)
		out = fieldLines(out, p, o.Fields)
		out = objectLines(out, p, o.Objects)
	}
	return out
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + " › " + name
}
