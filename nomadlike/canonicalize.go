package nomadlike

import "time"

// Canonicalize fills the defaults Nomad applies to a submitted job, in place.
// It is idempotent and never overrides a value the user set.
func (j *Job) Canonicalize() {
	if j.Region == "" {
		j.Region = DefaultRegion
	}
	if j.Namespace == "" {
		j.Namespace = DefaultNamespace
	}
	if j.Name == "" {
		j.Name = j.ID
	}
	if j.Type == "" {
		j.Type = JobTypeService
	}
	if j.Priority == 0 {
		j.Priority = DefaultPriority
	}
	if len(j.Datacenters) == 0 {
		j.Datacenters = []string{"*"}
	}
	if j.NodePool == "" {
		j.NodePool = DefaultNodePool
	}
	for _, d := range j.DependsOn { // nomadlike's job-level depends_on
		if d != nil && d.Condition == "" {
			d.Condition = DependsSuccess
		}
	}
	if j.Periodic != nil && j.Periodic.SpecType == "" {
		j.Periodic.SpecType = PeriodicSpecCron
	}
	if j.ParameterizedJob != nil && j.ParameterizedJob.Payload == "" {
		j.ParameterizedJob.Payload = DispatchPayloadOptional
	}
	for _, tg := range j.TaskGroups {
		if tg != nil {
			tg.canonicalize(j)
		}
	}
}

func (tg *TaskGroup) canonicalize(j *Job) {
	for _, d := range tg.DependsOn { // nomadlike's depends_on
		if d != nil && d.Condition == "" {
			d.Condition = DependsSuccess
		}
	}
	if tg.RestartPolicy == nil {
		tg.RestartPolicy = DefaultRestartPolicy(j.Type)
	}
	if tg.ReschedulePolicy == nil {
		tg.ReschedulePolicy = DefaultReschedulePolicy(j.Type)
	}
	if tg.EphemeralDisk == nil {
		tg.EphemeralDisk = &EphemeralDisk{SizeMB: DefaultDiskMB}
	}
	if j.Type == JobTypeService && tg.Update == nil && j.Update != nil {
		u := *j.Update
		tg.Update = &u
	}
	tg.canonicalizeScaling(j)
	if j.Type == JobTypeService && tg.Migrate == nil { // migrate.go
		tg.Migrate = DefaultMigrateStrategy()
		if j.Migrate != nil {
			m := *j.Migrate
			tg.Migrate = &m
		}
	}
	for _, t := range tg.Tasks {
		if t != nil {
			t.canonicalize(tg)
		}
	}
}

func (t *Task) canonicalize(tg *TaskGroup) {
	if t.Resources == nil {
		t.Resources = &Resources{}
	}
	if t.Resources.CPU == 0 && t.Resources.Cores == 0 {
		t.Resources.CPU = DefaultCPU
	}
	if t.Resources.MemoryMB == 0 {
		t.Resources.MemoryMB = DefaultMemoryMB
	}
	if t.LogConfig == nil {
		t.LogConfig = &LogConfig{MaxFiles: DefaultLogMaxFiles, MaxFileSizeMB: DefaultLogMaxFileSizeMB}
	}
	if t.KillTimeout == 0 {
		t.KillTimeout = 5 * time.Second
	}
	if t.RestartPolicy == nil && tg.RestartPolicy != nil {
		rp := *tg.RestartPolicy
		t.RestartPolicy = &rp
	}
	for _, a := range t.Artifacts {
		if a.GetterMode == "" {
			a.GetterMode = "any"
		}
		if a.RelativeDest == "" {
			a.RelativeDest = "local/"
		}
	}
	for _, tmpl := range t.Templates {
		if tmpl.ChangeMode == "" {
			tmpl.ChangeMode = "restart"
		}
		if tmpl.Perms == "" {
			tmpl.Perms = "0644"
		}
		if tmpl.Splay == 0 {
			tmpl.Splay = 5 * time.Second
		}
	}
}
