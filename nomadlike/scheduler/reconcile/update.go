package reconcile

import (
	"maps"
	"reflect"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// TasksUpdated reports whether moving an allocation of group from job old
// to job cur needs a new allocation (a destructive update): anything a task
// sees changed (driver, user, config, env, meta, artifacts, templates,
// resources, networks, disk, volumes, lifecycle, kill and log settings).
// Changes only the scheduler or the servers read (count, update and
// reschedule strategy, constraints, affinities, spreads, services,
// priority) are applied in place.
func TasksUpdated(cur, old *nomadlike.Job, group string) bool {
	a, b := cur.LookupTaskGroup(group), old.LookupTaskGroup(group)
	if a == nil || b == nil {
		return true
	}
	if !maps.Equal(cur.Meta, old.Meta) || !maps.Equal(a.Meta, b.Meta) {
		return true
	}
	if diskMB(a) != diskMB(b) || !reflect.DeepEqual(a.Networks, b.Networks) ||
		!reflect.DeepEqual(a.Volumes, b.Volumes) {
		return true
	}
	if len(a.Tasks) != len(b.Tasks) {
		return true
	}
	for _, at := range a.Tasks {
		bt := b.LookupTask(at.Name)
		if bt == nil || taskUpdated(at, bt) {
			return true
		}
	}
	return false
}

func diskMB(tg *nomadlike.TaskGroup) int {
	if tg.EphemeralDisk == nil {
		return 0
	}
	return tg.EphemeralDisk.SizeMB
}

func taskUpdated(a, b *nomadlike.Task) bool {
	switch {
	case a.Driver != b.Driver, a.User != b.User, a.KillSignal != b.KillSignal,
		a.KillTimeout != b.KillTimeout, a.Leader != b.Leader:
		return true
	case !reflect.DeepEqual(a.Config, b.Config):
		return true
	case !maps.Equal(a.Env, b.Env), !maps.Equal(a.Meta, b.Meta):
		return true
	case !reflect.DeepEqual(a.Artifacts, b.Artifacts), !reflect.DeepEqual(a.Templates, b.Templates):
		return true
	case !reflect.DeepEqual(a.Resources, b.Resources):
		return true
	case !reflect.DeepEqual(a.VolumeMounts, b.VolumeMounts), !reflect.DeepEqual(a.Lifecycle, b.Lifecycle):
		return true
	case !reflect.DeepEqual(a.LogConfig, b.LogConfig), !reflect.DeepEqual(a.DispatchPayload, b.DispatchPayload):
		return true
	}
	return false
}
