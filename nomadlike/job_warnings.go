package nomadlike

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// NoEffect ends the message of every warning about a setting nomadlike
// accepts and does not act on.
const NoEffect = "has no effect in nomadlike"

// Warnings returns what is worth telling the submitter of a canonicalized
// job without refusing it: the fields set to something nomadlike does not
// act on (see IgnoredFields) and the checks Nomad does not make (see
// CheckWarnings). Servers return them in the Warnings of register and plan
// answers, one per line as FieldError.String gives it.
func (j *Job) Warnings() []FieldError {
	return append(j.IgnoredFields(), j.CheckWarnings()...)
}

// IgnoredFields lists the fields of a canonicalized job that hold something
// other than their default and that nomadlike does not act on, each with
// its path ("TaskGroups[web].Volumes") and a message ending in NoEffect.
func (j *Job) IgnoredFields() []FieldError {
	var out []FieldError
	v := validator{errs: &out}
	ignored := func(v validator, field string, set bool) {
		if set {
			v.fail(field, NoEffect)
		}
	}
	for _, tg := range j.TaskGroups {
		if tg == nil {
			continue
		}
		gv := v.item("TaskGroups", tg.Name)
		for _, name := range sortedVolumeNames(tg.Volumes) { // host volumes work; CSI ones do not (issue #17)
			ignored(gv.item("Volumes", name), "Type", tg.Volumes[name].Type == "csi")
		}
		if d := tg.EphemeralDisk; d != nil {
			ignored(gv.at("EphemeralDisk"), "Sticky", d.Sticky)
			ignored(gv.at("EphemeralDisk"), "Migrate", d.Migrate)
		}
		ignoredNetworks(gv, tg.Networks, true, ignored)
		for _, t := range tg.Tasks {
			if t != nil {
				t.ignoredFields(gv.item("Tasks", t.Name), ignored)
			}
		}
	}
	return out
}

func ignoredNetworks(v validator, nets []*NetworkResource, group bool, ignored func(validator, string, bool)) {
	for i, n := range nets {
		if n == nil {
			continue
		}
		nv := v.item("Networks", fmt.Sprint(i))
		// hostname, dns, cni and to act only in a group network of its own
		// namespace; a task's network and host mode ignore them.
		noEff := !group || !IsolatedMode(n.Mode)
		ignored(nv, "Hostname", noEff && n.Hostname != "")
		ignored(nv, "DNS", noEff && n.DNS != nil)
		ignored(nv, "CNI", noEff && n.CNI != nil)
		ignored(nv, "MBits", n.MBits != 0)
		for _, p := range append(append([]Port(nil), n.ReservedPorts...), n.DynamicPorts...) {
			pv := nv.item("Ports", p.Label)
			ignored(pv, "HostNetwork", p.HostNetwork != "" && p.HostNetwork != "default")
			ignored(pv, "To", noEff && p.To != 0)
		}
	}
}

func (t *Task) ignoredFields(v validator, ignored func(validator, string, bool)) {
	for i, vm := range t.VolumeMounts {
		if vm != nil {
			ignored(v.item("VolumeMounts", fmt.Sprint(i)), "PropagationMode", vm.PropagationMode != "" && vm.PropagationMode != "private")
		}
	}
	if r := t.Resources; r != nil {
		ignored(v.at("Resources"), "Cores", r.Cores != 0)
		ignoredNetworks(v.at("Resources"), r.Networks, false, ignored)
	}
	if rp := t.RestartPolicy; rp != nil {
		ignored(v.at("RestartPolicy"), "RenderTemplates", rp.RenderTemplates)
	}
}

// CheckWarnings reports what Nomad accepts and nomadlike would handle
// differently: a network mode other than host, an ephemeral disk smaller
// than the tasks' logs may grow, and an artifact destination in the
// allocation directory but outside the task's directory and alloc/.
func (j *Job) CheckWarnings() []FieldError {
	var out []FieldError
	v := validator{errs: &out}
	for _, tg := range j.TaskGroups {
		if tg == nil {
			continue
		}
		gv := v.item("TaskGroups", tg.Name)
		for i, n := range tg.Networks {
			if n != nil && n.Mode == NetworkModeNone && len(n.Ports()) > 0 {
				gv.item("Networks", fmt.Sprint(i)).fail("Mode", `mode "none" has only a loopback interface: its ports are reserved on the host but nothing forwards them`)
			}
		}
		logMB := 0
		for _, t := range tg.Tasks {
			if t == nil {
				continue
			}
			if t.LogConfig != nil && !t.LogConfig.Disabled {
				logMB += t.LogConfig.MaxFiles * t.LogConfig.MaxFileSizeMB
			}
			for i, a := range t.Artifacts {
				if a != nil {
					artifactWarnings(gv.item("Tasks", t.Name).item("Artifacts", fmt.Sprint(i)), a)
				}
			}
		}
		if d := tg.EphemeralDisk; d != nil && d.SizeMB > 0 && logMB > d.SizeMB {
			gv.at("EphemeralDisk").fail("SizeMB", "%d MB is less than the %d MB the tasks' logs may use", d.SizeMB, logMB)
		}
	}
	return out
}

// artifactGetterOptions are the artifact options the client reads.
var artifactGetterOptions = map[string]bool{"checksum": true, "archive": true}

func artifactWarnings(v validator, a *TaskArtifact) {
	if artifactOutsideTask(a.RelativeDest) {
		v.fail("RelativeDest", "%q is outside the task directory and the shared alloc directory: the client refuses to fetch into it", a.RelativeDest)
	}
	if scheme := artifactScheme(a.GetterSource); scheme != "" {
		v.fail("GetterSource", "source scheme %q is not supported: the client fetches http, https and file sources only, and fails the task", scheme)
	}
	keys := make([]string, 0, len(a.GetterOptions))
	for k := range a.GetterOptions {
		if !artifactGetterOptions[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		v.item("GetterOptions", k).fail("", "option %q %s: only checksum and archive are read", k, NoEffect)
	}
}

// artifactScheme returns the scheme or go-getter forcing prefix ("git" for
// "git::https://...") of a source the client cannot fetch, or "".
func artifactScheme(src string) string {
	if strings.Contains(src, "${") {
		return ""
	}
	if forced, _, ok := strings.Cut(src, "::"); ok && !strings.Contains(forced, "/") {
		return forced
	}
	scheme, _, ok := strings.Cut(src, "://")
	if !ok || strings.Contains(scheme, "/") {
		return ""
	}
	switch strings.ToLower(scheme) {
	case "http", "https", "file":
		return ""
	}
	return scheme
}

// artifactOutsideTask reports whether a destination relative to the task
// directory leaves it for somewhere other than the shared alloc directory
// (../alloc). Interpolated destinations are checked by the client.
func artifactOutsideTask(dest string) bool {
	if dest == "" || strings.Contains(dest, "${") || escapesAllocDir(dest) {
		return false
	}
	c := path.Clean(path.Join("alloc/task", strings.TrimLeft(dest, "/")))
	return !strings.HasPrefix(c+"/", "alloc/task/") && !strings.HasPrefix(c+"/", "alloc/alloc/")
}

// escapesAllocDir reports whether a destination relative to a task
// directory leaves the allocation directory, as Nomad checks it.
func escapesAllocDir(dest string) bool {
	if strings.Contains(dest, "${") {
		return false
	}
	c := path.Clean(path.Join("alloc/task", strings.TrimLeft(dest, "/")))
	return c != "alloc" && !strings.HasPrefix(c, "alloc/")
}
