package jobspec

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
)

var jobSpec = blockSpec{
	name: "job",
	fields: []field{
		{"region", "Region"},
		{"namespace", "Namespace"},
		{"name", "Name"},
		{"type", "Type"},
		{"priority", "Priority"},
		{"datacenters", "Datacenters"},
		{"node_pool", "NodePool"},
		{"all_at_once", "AllAtOnce"},
	},
	attrs: []string{"meta"},
	blocks: []hcl.BlockHeaderSchema{
		{Type: "group", LabelNames: []string{"name"}},
		{Type: "meta"},
		{Type: "constraint"},
		{Type: "affinity"},
		{Type: "spread"},
		{Type: "update"},
		{Type: "migrate"},
		{Type: "periodic"},
		{Type: "parameterized"},
		{Type: "reschedule"},
		{Type: "depends_on"}, // nomadlike only (depends_on.go)
	},
	children: map[string]*blockSpec{
		"depends_on": &dependsOnSpec,
		"group":      &groupSpec, "meta": nil, "constraint": &constraintSpec, "affinity": &affinitySpec,
		"spread": &spreadSpec, "update": &updateSpec, "migrate": &migrateSpec, "periodic": &periodicSpec,
		"parameterized": &parameterizedSpec, "reschedule": &rescheduleSpec,
	},
	extra: []typedAttr{strAttr("vault_token"), strAttr("consul_token")},
	drop: []dropBlock{
		drop("multiregion", &multiregionSpec), drop("ui", &uiSpec),
		drop("vault", &vaultSpec), drop("consul", &consulSpec), drop("secret", &secretSpec, "name"),
	},
}.build()

var groupSpec = blockSpec{
	name: "group",
	fields: []field{
		{"count", "Count"},
		{"shutdown_delay", "ShutdownDelay"},
	},
	attrs: []string{"meta"},
	blocks: []hcl.BlockHeaderSchema{
		{Type: "task", LabelNames: []string{"name"}},
		{Type: "meta"},
		{Type: "constraint"},
		{Type: "affinity"},
		{Type: "spread"},
		{Type: "restart"},
		{Type: "reschedule"},
		{Type: "update"},
		{Type: "migrate"},
		{Type: "ephemeral_disk"},
		{Type: "network"},
		{Type: "service"},
		{Type: "volume", LabelNames: []string{"name"}},
		{Type: "depends_on"}, // nomadlike only
		{Type: "scaling"},
	},
	children: map[string]*blockSpec{
		"depends_on": &dependsOnSpec,
		"task":       &taskSpec, "meta": nil, "constraint": &constraintSpec, "affinity": &affinitySpec,
		"spread": &spreadSpec, "restart": &restartSpec, "reschedule": &rescheduleSpec,
		"update": &updateSpec, "migrate": &migrateSpec, "ephemeral_disk": &ephemeralDiskSpec, "network": &networkSpec,
		"service": &serviceSpec, "volume": &volumeSpec, "scaling": &groupScalingSpec,
	},
	extra: []typedAttr{
		durAttr("max_client_disconnect"), durAttr("stop_after_client_disconnect"),
		boolAttr("prevent_reschedule_on_lost"),
	},
	drop: []dropBlock{
		drop("consul", &consulSpec), drop("disconnect", &disconnectSpec),
		drop("vault", &vaultSpec), drop("secret", &secretSpec, "name"),
	},
}.build()

// dependsOnSpec is nomadlike's dependency block (not in Nomad's grammar):
// in a group it names a group, at job level a job (depends_on.go).
var dependsOnSpec = blockSpec{
	name:   "depends_on",
	fields: []field{{"group", "Group"}, {"job", "Job"}, {"condition", "Condition"}},
}.build()

var ephemeralDiskSpec = blockSpec{
	name:   "ephemeral_disk",
	fields: []field{{"size", "SizeMB"}, {"sticky", "Sticky"}, {"migrate", "Migrate"}},
}.build()

var volumeSpec = blockSpec{
	name:   "volume",
	fields: []field{{"type", "Type"}, {"source", "Source"}, {"read_only", "ReadOnly"}, {"per_alloc", "PerAlloc"}},
	extra:  []typedAttr{boolAttr("sticky"), strAttr("attachment_mode"), strAttr("access_mode")},
	drop:   []dropBlock{drop("mount_options", &mountOptionsSpec)},
}.build()

// decodeJob decodes the job block. The job's type is read before its blocks
// because the defaults of restart, reschedule and update depend on it.
func (p *parser) decodeJob(block *hcl.Block) *nomadlike.Job {
	job := &nomadlike.Job{ID: block.Labels[0]}
	p.jobRange = block.DefRange
	p.ranges[""] = block.DefRange
	p.ranges["ID"] = block.LabelRanges[0]
	c := p.content(block.Body, jobSpec)
	p.decodeFields(c, jobSpec, "", job)
	job.Meta = p.stringMap(c, "meta", "Meta")
	jobType := job.Type
	if jobType == "" {
		jobType = nomadlike.JobTypeService
	}

	job.Constraints = p.constraints(c, "")
	job.Affinities = p.affinities(c, "")
	job.Spreads = p.spreads(c, "")
	if b := p.single(c, "update"); b != nil {
		job.Update = p.update(b, nomadlike.DefaultUpdateStrategy(), "Update")
	}
	if b := p.single(c, "migrate"); b != nil {
		job.Migrate = p.migrate(b, nomadlike.DefaultMigrateStrategy(), "Migrate")
	}
	if b := p.single(c, "periodic"); b != nil {
		job.Periodic = p.periodic(b)
	}
	if b := p.single(c, "parameterized"); b != nil {
		job.ParameterizedJob = p.parameterized(b)
	}
	job.DependsOn = p.jobDependsOn(c) // nomadlike only (depends_on.go)
	var reschedule *nomadlike.ReschedulePolicy
	if b := p.single(c, "reschedule"); b != nil {
		reschedule = p.reschedule(b, nomadlike.DefaultReschedulePolicy(jobType), "")
	}
	for _, gb := range c.Blocks.OfType("group") {
		job.TaskGroups = append(job.TaskGroups, p.decodeGroup(gb, job, jobType, reschedule))
	}
	return job
}

func (p *parser) decodeGroup(block *hcl.Block, job *nomadlike.Job, jobType string, jobReschedule *nomadlike.ReschedulePolicy) *nomadlike.TaskGroup {
	tg := &nomadlike.TaskGroup{Name: block.Labels[0], Count: 1}
	path := item("", "TaskGroups", tg.Name)
	p.ranges[path] = block.DefRange
	p.ranges[joinPath(path, "Name")] = block.LabelRanges[0]
	c := p.content(block.Body, groupSpec)
	p.decodeFields(c, groupSpec, path, tg)
	tg.Meta = p.stringMap(c, "meta", joinPath(path, "Meta"))
	tg.Constraints = p.constraints(c, path)
	tg.Affinities = p.affinities(c, path)
	tg.Spreads = p.spreads(c, path)

	if b := p.single(c, "restart"); b != nil {
		tg.RestartPolicy = p.restart(b, nomadlike.DefaultRestartPolicy(jobType), joinPath(path, "RestartPolicy"))
	}
	reschedule := nomadlike.DefaultReschedulePolicy(jobType)
	if jobReschedule != nil {
		r := *jobReschedule
		reschedule = &r
		tg.ReschedulePolicy = reschedule
	}
	if b := p.single(c, "reschedule"); b != nil {
		tg.ReschedulePolicy = p.reschedule(b, reschedule, joinPath(path, "ReschedulePolicy"))
	}
	if b := p.single(c, "update"); b != nil {
		base := nomadlike.DefaultUpdateStrategy()
		if job.Update != nil {
			u := *job.Update
			base = &u
		}
		tg.Update = p.update(b, base, joinPath(path, "Update"))
	}
	if b := p.single(c, "migrate"); b != nil {
		base := nomadlike.DefaultMigrateStrategy()
		if job.Migrate != nil {
			m := *job.Migrate
			base = &m
		}
		tg.Migrate = p.migrate(b, base, joinPath(path, "Migrate"))
	}
	if b := p.single(c, "ephemeral_disk"); b != nil {
		disk := &nomadlike.EphemeralDisk{SizeMB: nomadlike.DefaultDiskMB}
		dpath := joinPath(path, "EphemeralDisk")
		p.ranges[dpath] = b.DefRange
		dc := p.content(b.Body, ephemeralDiskSpec)
		p.decodeFields(dc, ephemeralDiskSpec, dpath, disk)
		tg.EphemeralDisk = disk
	}
	for i, b := range c.Blocks.OfType("network") {
		tg.Networks = append(tg.Networks, p.network(b, item(path, "Networks", itoa(i))))
	}
	for i, b := range c.Blocks.OfType("service") {
		tg.Services = append(tg.Services, p.service(b, item(path, "Services", itoa(i)), job.ID+"-"+tg.Name))
	}
	for _, b := range c.Blocks.OfType("volume") {
		name := b.Labels[0]
		vpath := item(path, "Volumes", name)
		if _, dup := tg.Volumes[name]; dup {
			p.errorAt(b.DefRange, "Duplicate volume block", "The group already has a volume named %q.", name)
			continue
		}
		p.ranges[vpath] = b.DefRange
		vol := &nomadlike.VolumeRequest{Name: name}
		vc := p.content(b.Body, volumeSpec)
		p.decodeFields(vc, volumeSpec, vpath, vol)
		if tg.Volumes == nil {
			tg.Volumes = map[string]*nomadlike.VolumeRequest{}
		}
		tg.Volumes[name] = vol
	}
	tg.DependsOn = p.groupDependsOn(c, path) // nomadlike only (depends_on.go)
	if b := p.single(c, "scaling"); b != nil {
		_, countSet := c.Attributes["count"]
		p.scaling(b, tg, countSet, joinPath(path, "Scaling"))
	}
	for _, b := range c.Blocks.OfType("task") {
		tg.Tasks = append(tg.Tasks, p.decodeTask(b, job, tg, path))
	}
	return tg
}
