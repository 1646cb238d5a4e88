package nomadlike

import (
	"fmt"
	"path"
	"strings"
	"time"
)

// Validate returns every problem with the job at once as a *ValidationError,
// each located by its field path, or nil. It expects a canonicalized job.
func (j *Job) Validate() error {
	v := newValidator()
	if j.ID == "" {
		v.fail("ID", "missing job ID")
	} else {
		checkJobID(v, j)
	}
	if j.Name == "" {
		v.fail("Name", "missing job name")
	} else {
		checkName(v, "Name", j.Name, jobNameRule)
	}
	if j.Namespace != "" { // "" is the default namespace
		if p := namespaceProblem(j.Namespace); p != "" {
			v.fail("Namespace", "%s", p)
		}
	}
	if j.Region != "" {
		checkName(v, "Region", j.Region, labelRule)
	}
	checkMetaKeys(v, "Meta", j.Meta)
	switch j.Type {
	case JobTypeService, JobTypeBatch, JobTypeSystem, JobTypeSysBatch:
	default:
		v.fail("Type", "unknown job type %q (want service, batch, system or sysbatch)", j.Type)
	}
	if j.Priority < MinPriority || j.Priority > MaxPriority {
		v.fail("Priority", "must be between %d and %d, got %d", MinPriority, MaxPriority, j.Priority)
	}
	if len(j.Datacenters) == 0 {
		v.fail("Datacenters", "must list at least one datacenter")
	}
	for i, dc := range j.Datacenters {
		checkName(v.item("Datacenters", fmt.Sprint(i)), "", dc, labelRule)
	}
	for i, c := range j.Constraints {
		validateConstraint(v.item("Constraints", fmt.Sprint(i)), c)
	}
	for i, a := range j.Affinities {
		validateAffinity(v.item("Affinities", fmt.Sprint(i)), a)
	}
	for i, s := range j.Spreads {
		validateSpread(v.item("Spreads", fmt.Sprint(i)), s)
	}
	if len(j.TaskGroups) == 0 {
		v.fail("TaskGroups", "job needs at least one task group")
	}
	groups := map[string]bool{}
	for i, tg := range j.TaskGroups {
		key := fmt.Sprint(i)
		if tg != nil {
			key = pathKey(tg.Name, i)
		}
		gv := v.item("TaskGroups", key)
		if tg == nil {
			gv.fail("", "must not be null")
			continue
		}
		if tg.Name == "" {
			gv.fail("Name", "missing task group name")
		} else if groups[tg.Name] {
			gv.fail("Name", "duplicate task group %q", tg.Name)
		} else {
			checkName(gv, "Name", tg.Name, labelRule)
		}
		groups[tg.Name] = true
		tg.validate(gv, j)
	}
	if j.Periodic != nil {
		pv := v.at("Periodic")
		if j.Type != JobTypeBatch && j.Type != JobTypeSysBatch {
			pv.fail("", "periodic is only allowed for batch and sysbatch jobs, not %q", j.Type)
		}
		if j.Periodic.Enabled && strings.TrimSpace(j.Periodic.Spec) == "" {
			pv.fail("Spec", "must not be empty")
		}
		if j.Periodic.SpecType != PeriodicSpecCron {
			pv.fail("SpecType", "unknown spec type %q (want cron)", j.Periodic.SpecType)
		}
		if j.Periodic.TimeZone != "" {
			if _, err := time.LoadLocation(j.Periodic.TimeZone); err != nil {
				pv.fail("TimeZone", "unknown time zone %q", j.Periodic.TimeZone)
			}
		}
	}
	if p := j.ParameterizedJob; p != nil {
		pv := v.at("ParameterizedJob")
		if j.Type != JobTypeBatch && j.Type != JobTypeSysBatch {
			pv.fail("", "parameterized is only allowed for batch and sysbatch jobs, not %q", j.Type)
		}
		if p.MaxConcurrent < 0 {
			pv.fail("MaxConcurrent", "must not be negative, got %d", p.MaxConcurrent) // nomadlike's max_concurrent
		}
		switch p.Payload {
		case DispatchPayloadForbidden, DispatchPayloadOptional, DispatchPayloadRequired:
		default:
			pv.fail("Payload", "unknown payload requirement %q (want optional, required or forbidden)", p.Payload)
		}
		req := map[string]bool{}
		for _, k := range p.MetaRequired {
			req[k] = true
		}
		for _, k := range p.MetaOptional {
			if req[k] {
				pv.fail("MetaOptional", "key %q is also in MetaRequired", k)
			}
		}
		if j.Periodic != nil {
			pv.fail("", "a job cannot be both periodic and parameterized")
		}
	}
	if u := j.Update; u != nil {
		validateUpdate(v.at("Update"), u)
	}
	if m := j.Migrate; m != nil {
		validateMigrate(v.at("Migrate"), m) // migrate.go
	}
	validateDependsOn(v, j) // nomadlike's depends_on (pipeline.go)

	// nomadlike's job-level depends_on (pipeline_jobs.go)
	validateJobDependsOn(v, j)
	return v.err()
}

func (tg *TaskGroup) validate(v validator, j *Job) {
	checkMetaKeys(v, "Meta", tg.Meta)
	if tg.Count < 0 {
		v.fail("Count", "must be >= 0, got %d", tg.Count)
	}
	if (j.Type == JobTypeSystem || j.Type == JobTypeSysBatch) && tg.Count > 1 {
		v.fail("Count", "a %s job runs one allocation per node; count must be 0 or 1", j.Type)
	}
	tg.validateScaling(v)
	if len(tg.Tasks) == 0 {
		v.fail("Tasks", "task group needs at least one task")
	}
	for i, c := range tg.Constraints {
		validateConstraint(v.item("Constraints", fmt.Sprint(i)), c)
	}
	for i, a := range tg.Affinities {
		validateAffinity(v.item("Affinities", fmt.Sprint(i)), a)
	}
	for i, s := range tg.Spreads {
		validateSpread(v.item("Spreads", fmt.Sprint(i)), s)
	}
	if rp := tg.RestartPolicy; rp != nil {
		validateRestart(v.at("RestartPolicy"), rp)
	}
	if rp := tg.ReschedulePolicy; rp != nil {
		validateReschedule(v.at("ReschedulePolicy"), rp)
	}
	if tg.EphemeralDisk != nil && tg.EphemeralDisk.SizeMB < 0 {
		v.at("EphemeralDisk").fail("SizeMB", "must be >= 0")
	}
	if u := tg.Update; u != nil {
		validateUpdate(v.at("Update"), u)
	}
	if m := tg.Migrate; m != nil {
		validateMigrate(v.at("Migrate"), m) // migrate.go
	}
	validateNetworks(v, "Networks", tg.Networks)
	if len(tg.Networks) > 1 {
		v.fail("Networks", "only one group network is allowed")
	}
	for name, vol := range tg.Volumes {
		vv := v.item("Volumes", name)
		if vol == nil {
			vv.fail("", "must not be null")
			continue
		}
		switch vol.Type {
		case "host", "csi":
		default:
			vv.fail("Type", "unknown volume type %q (want host or csi)", vol.Type)
		}
		if vol.Source == "" {
			vv.fail("Source", "must not be empty")
		}
		if vol.PerAlloc && (j.Type == JobTypeSystem || j.Type == JobTypeSysBatch) { // as Nomad's
			vv.fail("PerAlloc", "volume cannot be per_alloc for system or sysbatch jobs")
		}
	}
	ports := groupPortLabels(tg)
	for i, s := range tg.Services {
		validateService(v.item("Services", fmt.Sprint(i)), s, ports)
	}

	tasks := map[string]bool{}
	leaders := 0
	for i, t := range tg.Tasks {
		key := fmt.Sprint(i)
		if t != nil {
			key = pathKey(t.Name, i)
		}
		tv := v.item("Tasks", key)
		if t == nil {
			tv.fail("", "must not be null")
			continue
		}
		if t.Name == "" {
			tv.fail("Name", "missing task name")
		} else if tasks[t.Name] {
			tv.fail("Name", "duplicate task %q", t.Name)
		} else {
			checkName(tv, "Name", t.Name, labelRule)
		}
		tasks[t.Name] = true
		if t.Leader {
			leaders++
		}
		t.validate(tv, tg, j, ports)
	}
	if leaders > 1 {
		v.fail("Tasks", "only one task may be the leader, %d are", leaders)
	}
	// A disk smaller than the logs' maximum is a warning (CheckWarnings), as
	// Nomad accepts it.
}

func groupPortLabels(tg *TaskGroup) map[string]bool {
	labels := map[string]bool{}
	for _, n := range tg.Networks {
		if n == nil {
			continue
		}
		for _, p := range n.Ports() {
			labels[p.Label] = true
		}
	}
	return labels
}

func (t *Task) validate(v validator, tg *TaskGroup, j *Job, groupPorts map[string]bool) {
	checkMetaKeys(v, "Meta", t.Meta)
	if t.Driver == "" {
		v.fail("Driver", "missing driver")
	}
	if t.Resources == nil {
		v.fail("Resources", "missing resources")
	} else {
		validateResources(v.at("Resources"), t.Resources)
	}
	if t.KillTimeout < 0 {
		v.fail("KillTimeout", "must be >= 0")
	}
	if t.ShutdownDelay < 0 {
		v.fail("ShutdownDelay", "must be >= 0")
	}
	if lc := t.LogConfig; lc != nil {
		if lc.MaxFiles < 1 {
			v.at("LogConfig").fail("MaxFiles", "must be >= 1")
		}
		if lc.MaxFileSizeMB < 1 {
			v.at("LogConfig").fail("MaxFileSizeMB", "must be >= 1")
		}
	}
	if lc := t.Lifecycle; lc != nil {
		switch lc.Hook {
		case TaskLifecycleHookPrestart, TaskLifecycleHookPoststart, TaskLifecycleHookPoststop:
		default:
			v.at("Lifecycle").fail("Hook", "unknown hook %q (want prestart, poststart or poststop)", lc.Hook)
		}
		if lc.Sidecar && lc.Hook == TaskLifecycleHookPoststop {
			v.at("Lifecycle").fail("Sidecar", "a poststop task cannot be a sidecar")
		}
	}
	if rp := t.RestartPolicy; rp != nil {
		validateRestart(v.at("RestartPolicy"), rp)
	}
	for i, c := range t.Constraints {
		cv := v.item("Constraints", fmt.Sprint(i))
		validateConstraint(cv, c)
		if c != nil && (c.Operand == ConstraintDistinctHosts || c.Operand == ConstraintDistinctProperty) {
			cv.fail("Operand", "%s is only allowed on a job or group", c.Operand)
		}
	}
	for i, a := range t.Affinities {
		validateAffinity(v.item("Affinities", fmt.Sprint(i)), a)
	}
	for i, a := range t.Artifacts {
		av := v.item("Artifacts", fmt.Sprint(i))
		if a == nil || a.GetterSource == "" {
			av.fail("GetterSource", "must not be empty")
			continue
		}
		if escapesAllocDir(a.RelativeDest) {
			av.fail("RelativeDest", "%q escapes the allocation directory", a.RelativeDest)
		}
		switch a.GetterMode {
		case "", "any", "file", "dir":
		default:
			av.fail("GetterMode", "unknown mode %q (want any, file or dir)", a.GetterMode)
		}
	}
	validateIdentity(v.at("Identity"), t.Identity) // workload identity renewal (identity_validate.go)
	dests := map[string]bool{}
	for i, tmpl := range t.Templates {
		tv := v.item("Templates", fmt.Sprint(i))
		if tmpl == nil {
			tv.fail("", "must not be null")
			continue
		}
		if tmpl.SourcePath == "" && tmpl.EmbeddedTmpl == "" {
			tv.fail("", "needs a source or data")
		}
		if tmpl.DestPath == "" {
			tv.fail("DestPath", "must not be empty")
		} else if escapesDir(tmpl.DestPath) {
			tv.fail("DestPath", "%q escapes the allocation directory", tmpl.DestPath)
		} else if dests[tmpl.DestPath] {
			tv.fail("DestPath", "another template also renders to %q", tmpl.DestPath)
		}
		dests[tmpl.DestPath] = true
		switch tmpl.ChangeMode {
		case "", "noop", "restart", "signal", "script":
		default:
			tv.fail("ChangeMode", "unknown change mode %q (want noop, restart, signal or script)", tmpl.ChangeMode)
		}
		if tmpl.ChangeMode == "signal" && tmpl.ChangeSignal == "" {
			tv.fail("ChangeSignal", "must be set when ChangeMode is signal")
		}
		validateTemplateChange(tv, tmpl)
	}
	if dp := t.DispatchPayload; dp != nil {
		if j.ParameterizedJob == nil {
			v.at("DispatchPayload").fail("", "only allowed in a parameterized job")
		}
		if dp.File == "" || escapesDir(dp.File) {
			v.at("DispatchPayload").fail("File", "must be a relative path inside the task directory")
		}
	}
	for i, vm := range t.VolumeMounts {
		vv := v.item("VolumeMounts", fmt.Sprint(i))
		if vm == nil {
			vv.fail("", "must not be null")
			continue
		}
		if _, ok := tg.Volumes[vm.Volume]; !ok {
			vv.fail("Volume", "no group volume named %q", vm.Volume)
		}
		if vm.Destination == "" {
			vv.fail("Destination", "must not be empty")
		} else if !validMountDestination(vm.Destination) { // host volumes (hostvolume.go)
			vv.fail("Destination", "%q must be a path inside the task: not \"/\", without \"..\"", vm.Destination)
		}
	}
	ports := groupPorts
	if t.Resources != nil && len(t.Resources.Networks) > 0 {
		ports = map[string]bool{}
		for k := range groupPorts {
			ports[k] = true
		}
		for _, n := range t.Resources.Networks {
			if n == nil {
				continue
			}
			for _, p := range n.Ports() {
				ports[p.Label] = true
			}
		}
	}
	for i, s := range t.Services {
		validateService(v.item("Services", fmt.Sprint(i)), s, ports)
	}
}

func validateService(v validator, s *Service, ports map[string]bool) {
	if s == nil {
		v.fail("", "must not be null")
		return
	}
	if s.Name == "" {
		v.fail("Name", "must not be empty")
	} else if strings.ContainsAny(s.Name, " ._") && !strings.Contains(s.Name, "${") {
		v.fail("Name", "service name %q may only contain letters, digits and dashes", s.Name)
	}
	if s.PortLabel != "" && !ports[s.PortLabel] && !isNumeric(s.PortLabel) {
		v.fail("PortLabel", "no port labelled %q in the group or task network", s.PortLabel)
	}
	switch s.Provider {
	case "", "nomad", "consul":
	default:
		v.fail("Provider", "unknown provider %q (want nomad or consul)", s.Provider)
	}
	for i, c := range s.Checks {
		cv := v.item("Checks", fmt.Sprint(i))
		if c == nil {
			cv.fail("", "must not be null")
			continue
		}
		switch c.Type {
		case "http", "tcp", "script", "grpc":
		default:
			cv.fail("Type", "unknown check type %q (want http, tcp, script or grpc)", c.Type)
		}
		if c.Type == "http" && c.Path == "" {
			cv.fail("Path", "an http check needs a path")
		}
		if c.Type == "script" && c.Command == "" {
			cv.fail("Command", "a script check needs a command")
		}
		if c.Interval <= 0 {
			cv.fail("Interval", "must be > 0")
		}
		if c.Timeout <= 0 {
			cv.fail("Timeout", "must be > 0")
		}
		if c.PortLabel != "" && !ports[c.PortLabel] && !isNumeric(c.PortLabel) {
			cv.fail("PortLabel", "no port labelled %q in the group or task network", c.PortLabel)
		}
		validateCheckRun(cv, c)
	}
	validateCheckRestart(v.at("CheckRestart"), s.CheckRestart)
}

// validateCheckRun checks the fields the client's check runner reads
// (issue #13).
func validateCheckRun(v validator, c *ServiceCheck) {
	switch c.OnUpdate {
	case "", CheckOnUpdateRequireHealthy, CheckOnUpdateIgnoreWarnings, CheckOnUpdateIgnore:
	default:
		v.fail("OnUpdate", "unknown on_update %q (want require_healthy, ignore_warnings or ignore)", c.OnUpdate)
	}
	switch c.InitialStatus {
	case "", "passing", "warning", "critical":
	default:
		v.fail("InitialStatus", "unknown initial_status %q (want passing, warning or critical)", c.InitialStatus)
	}
	if c.SuccessBeforePassing < 0 {
		v.fail("SuccessBeforePassing", "must be >= 0")
	}
	if c.FailuresBeforeCritical < 0 {
		v.fail("FailuresBeforeCritical", "must be >= 0")
	}
	if c.Protocol != "" && c.Protocol != "http" && c.Protocol != "https" {
		v.fail("Protocol", "unknown protocol %q (want http or https)", c.Protocol)
	}
	validateCheckRestart(v.at("CheckRestart"), c.CheckRestart)
}

func validateCheckRestart(v validator, cr *CheckRestart) {
	if cr == nil {
		return
	}
	if cr.Limit < 0 {
		v.fail("Limit", "must be >= 0")
	}
	if cr.Grace < 0 {
		v.fail("Grace", "must be >= 0")
	}
}

func validateRestart(v validator, rp *RestartPolicy) {
	if rp.Attempts < 0 {
		v.fail("Attempts", "must be >= 0")
	}
	if rp.Delay < 0 {
		v.fail("Delay", "must be >= 0")
	}
	switch rp.Mode {
	case RestartPolicyModeDelay, RestartPolicyModeFail:
	default:
		v.fail("Mode", "unknown mode %q (want delay or fail)", rp.Mode)
	}
	if rp.Attempts > 0 && rp.Interval > 0 && time.Duration(rp.Attempts)*rp.Delay > rp.Interval {
		v.fail("Interval", "%s is shorter than %d attempts x %s delay", rp.Interval, rp.Attempts, rp.Delay)
	}
}

func validateReschedule(v validator, rp *ReschedulePolicy) {
	if rp.Attempts < 0 {
		v.fail("Attempts", "must be >= 0")
	}
	if rp.Delay < 0 {
		v.fail("Delay", "must be >= 0")
	}
	switch rp.DelayFunction {
	case "", DelayFunctionConstant, DelayFunctionExponential, DelayFunctionFibonacci:
	default:
		v.fail("DelayFunction", "unknown delay function %q (want constant, exponential or fibonacci)", rp.DelayFunction)
	}
	if rp.DelayFunction != DelayFunctionConstant && rp.DelayFunction != "" && rp.MaxDelay > 0 && rp.MaxDelay < rp.Delay {
		v.fail("MaxDelay", "must be >= Delay (%s)", rp.Delay)
	}
	if rp.Unlimited && rp.Attempts > 0 {
		v.fail("Attempts", "must be 0 when Unlimited is true")
	}
}

func validateUpdate(v validator, u *UpdateStrategy) {
	if u.MaxParallel < 0 {
		v.fail("MaxParallel", "must be >= 0")
	}
	if u.Canary < 0 {
		v.fail("Canary", "must be >= 0")
	}
	switch u.HealthCheck {
	case "", "checks", "task_states", "manual":
	default:
		v.fail("HealthCheck", "unknown health check %q (want checks, task_states or manual)", u.HealthCheck)
	}
	if u.HealthyDeadline > 0 && u.MinHealthyTime >= u.HealthyDeadline {
		v.fail("MinHealthyTime", "must be less than HealthyDeadline (%s)", u.HealthyDeadline)
	}
	if u.ProgressDeadline != 0 && u.ProgressDeadline < u.HealthyDeadline {
		v.fail("ProgressDeadline", "must be 0 or >= HealthyDeadline (%s)", u.HealthyDeadline)
	}
}

// escapesDir reports whether a relative path would leave its base directory.
func escapesDir(p string) bool {
	if p == "" {
		return false
	}
	if strings.Contains(p, "${") {
		// Interpolated at runtime; the client re-checks the rendered path.
		return false
	}
	if path.IsAbs(p) {
		// Nomad treats absolute destinations as relative to the task dir.
		p = strings.TrimLeft(p, "/")
	}
	c := path.Clean(p)
	return c == ".." || strings.HasPrefix(c, "../")
}

func isNumeric(s string) bool {
	if s == "" {
		return false
	}
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			return false
		}
	}
	return true
}

// validateTemplateChange checks a template's change_script, wait and splay.
func validateTemplateChange(tv validator, tmpl *Template) {
	if tmpl.ChangeMode == "script" && (tmpl.ChangeScript == nil || tmpl.ChangeScript.Command == "") {
		tv.fail("ChangeScript", "a command must be set when ChangeMode is script")
	}
	if cs := tmpl.ChangeScript; cs != nil && cs.Timeout < 0 {
		tv.at("ChangeScript").fail("Timeout", "must not be negative")
	}
	if tmpl.Splay < 0 {
		tv.fail("Splay", "must not be negative")
	}
	if w := tmpl.Wait; w != nil {
		if w.Min < 0 || w.Max < 0 {
			tv.at("Wait").fail("", "min and max must not be negative")
		} else if w.Max != 0 && w.Min > w.Max {
			tv.at("Wait").fail("Min", "%s is greater than max %s", w.Min, w.Max)
		}
	}
}
