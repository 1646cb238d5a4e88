package jobspec

import (
	"strconv"

	"github.com/hashicorp/hcl/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
)

var taskSpec = blockSpec{
	name: "task",
	fields: []field{
		{"driver", "Driver"},
		{"user", "User"},
		{"kill_timeout", "KillTimeout"},
		{"kill_signal", "KillSignal"},
		{"leader", "Leader"},
		{"shutdown_delay", "ShutdownDelay"},
	},
	attrs: []string{"env", "meta"},
	blocks: []hcl.BlockHeaderSchema{
		{Type: "config"},
		{Type: "env"},
		{Type: "meta"},
		{Type: "resources"},
		{Type: "constraint"},
		{Type: "affinity"},
		{Type: "service"},
		{Type: "template"},
		{Type: "artifact"},
		{Type: "lifecycle"},
		{Type: "logs"},
		{Type: "dispatch_payload"},
		{Type: "volume_mount"},
		{Type: "restart"},
		{Type: "identity"}, // workload identity (variable_keyring.go)
	},
	children: map[string]*blockSpec{
		"config": nil, "env": nil, "meta": nil, "resources": &resourcesSpec,
		"constraint": &constraintSpec, "affinity": &affinitySpec, "service": &serviceSpec,
		"template": &templateSpec, "artifact": &artifactSpec, "lifecycle": &lifecycleSpec,
		"logs": &logsSpec, "dispatch_payload": &dispatchPayloadSpec, "volume_mount": &volumeMountSpec,
		"restart": &restartSpec, "identity": &taskIdentitySpec,
	},
	extra: []typedAttr{strAttr("kind")},
	drop: []dropBlock{
		drop("action", &actionSpec, "name"), drop("consul", &consulSpec), drop("csi_plugin", &csiPluginSpec),
		drop("vault", &vaultSpec), drop("scaling", &taskScalingSpec, "name"),
		drop("schedule", &scheduleSpec), drop("secret", &secretSpec, "name"),
	},
}.build()

// taskIdentitySpec is a task's identity block: the default workload
// identity (nomadlike signs one identity per task; name only labels it).
var taskIdentitySpec = blockSpec{
	name: "identity",
	fields: []field{
		{"name", "Name"}, {"aud", "Audience"}, {"env", "Env"}, {"file", "File"}, {"ttl", "TTL"},
		{"change_mode", "ChangeMode"}, {"change_signal", "ChangeSignal"}, {"filepath", "Filepath"},
	},
}.build()

var resourcesSpec = blockSpec{
	name: "resources",
	fields: []field{
		{"cpu", "CPU"},
		{"cores", "Cores"},
		{"memory", "MemoryMB"},
		{"memory_max", "MemoryMaxMB"},
		{"disk", "DiskMB"},
	},
	blocks:   []hcl.BlockHeaderSchema{{Type: "network"}},
	children: map[string]*blockSpec{"network": &networkSpec},
	extra:    []typedAttr{numAttr("secrets"), numAttr("iops")},
	drop:     []dropBlock{drop("device", &deviceSpec, "name"), drop("numa", &numaSpec)},
}.build()

var lifecycleSpec = blockSpec{
	name:   "lifecycle",
	fields: []field{{"hook", "Hook"}, {"sidecar", "Sidecar"}},
}.build()

var logsSpec = blockSpec{
	name:   "logs",
	fields: []field{{"max_files", "MaxFiles"}, {"max_file_size", "MaxFileSizeMB"}, {"disabled", "Disabled"}},
}.build()

var dispatchPayloadSpec = blockSpec{
	name:   "dispatch_payload",
	fields: []field{{"file", "File"}},
}.build()

var volumeMountSpec = blockSpec{
	name: "volume_mount",
	fields: []field{
		{"volume", "Volume"},
		{"destination", "Destination"},
		{"read_only", "ReadOnly"},
		{"propagation_mode", "PropagationMode"},
	},
	extra: []typedAttr{strAttr("selinux_label")},
}.build()

var artifactSpec = blockSpec{
	name:     "artifact",
	fields:   []field{{"source", "GetterSource"}, {"destination", "RelativeDest"}, {"mode", "GetterMode"}},
	attrs:    []string{"options", "headers"},
	blocks:   []hcl.BlockHeaderSchema{{Type: "options"}, {Type: "headers"}},
	children: map[string]*blockSpec{"options": nil, "headers": nil},
	extra:    []typedAttr{boolAttr("chown")},
}.build()

var templateSpec = blockSpec{
	name: "template",
	fields: []field{
		{"data", "EmbeddedTmpl"},
		{"source", "SourcePath"},
		{"destination", "DestPath"},
		{"change_mode", "ChangeMode"},
		{"change_signal", "ChangeSignal"},
		{"perms", "Perms"},
		{"splay", "Splay"},
		{"env", "Envvars"},
		{"left_delimiter", "LeftDelim"},
		{"right_delimiter", "RightDelim"},
		{"once", "Once"},
		{"error_on_missing_key", "ErrMissingKey"},
	},
	blocks:   []hcl.BlockHeaderSchema{{Type: "change_script"}, {Type: "wait"}},
	children: map[string]*blockSpec{"change_script": &changeScriptSpec, "wait": &templateWaitSpec},
	extra: []typedAttr{
		numAttr("uid"), numAttr("gid"), durAttr("vault_grace"),
	},
}.build()

func (p *parser) decodeTask(block *hcl.Block, job *nomadlike.Job, tg *nomadlike.TaskGroup, groupPath string) *nomadlike.Task {
	t := &nomadlike.Task{Name: block.Labels[0]}
	path := item(groupPath, "Tasks", t.Name)
	p.ranges[path] = block.DefRange
	p.ranges[joinPath(path, "Name")] = block.LabelRanges[0]
	c := p.content(block.Body, taskSpec)
	p.decodeFields(c, taskSpec, path, t)
	t.Env = p.stringMap(c, "env", joinPath(path, "Env"))
	t.Meta = p.stringMap(c, "meta", joinPath(path, "Meta"))
	if b := p.single(c, "config"); b != nil {
		cpath := joinPath(path, "Config")
		p.ranges[cpath] = b.DefRange
		t.Config = p.freeForm(b.Body, cpath)
	}
	if b := p.single(c, "resources"); b != nil {
		t.Resources = p.resources(b, joinPath(path, "Resources"))
	}
	t.Constraints = p.constraints(c, path)
	t.Affinities = p.affinities(c, path)
	for i, b := range c.Blocks.OfType("service") {
		t.Services = append(t.Services, p.service(b, item(path, "Services", itoa(i)), job.ID+"-"+tg.Name+"-"+t.Name))
	}
	for i, b := range c.Blocks.OfType("template") {
		tpath := item(path, "Templates", itoa(i))
		p.ranges[tpath] = b.DefRange
		t.Templates = append(t.Templates, p.template(b, tpath))
	}
	for i, b := range c.Blocks.OfType("artifact") {
		apath := item(path, "Artifacts", itoa(i))
		p.ranges[apath] = b.DefRange
		a := &nomadlike.TaskArtifact{}
		ac := p.content(b.Body, artifactSpec)
		p.decodeFields(ac, artifactSpec, apath, a)
		a.GetterOptions = p.stringMap(ac, "options", joinPath(apath, "GetterOptions"))
		a.GetterHeaders = p.stringMap(ac, "headers", joinPath(apath, "GetterHeaders"))
		t.Artifacts = append(t.Artifacts, a)
	}
	if b := p.single(c, "lifecycle"); b != nil {
		lpath := joinPath(path, "Lifecycle")
		p.ranges[lpath] = b.DefRange
		t.Lifecycle = &nomadlike.TaskLifecycleConfig{}
		p.decodeFields(p.content(b.Body, lifecycleSpec), lifecycleSpec, lpath, t.Lifecycle)
	}
	if b := p.single(c, "logs"); b != nil {
		lpath := joinPath(path, "LogConfig")
		p.ranges[lpath] = b.DefRange
		t.LogConfig = &nomadlike.LogConfig{MaxFiles: nomadlike.DefaultLogMaxFiles, MaxFileSizeMB: nomadlike.DefaultLogMaxFileSizeMB}
		p.decodeFields(p.content(b.Body, logsSpec), logsSpec, lpath, t.LogConfig)
	}
	if b := p.single(c, "dispatch_payload"); b != nil {
		dpath := joinPath(path, "DispatchPayload")
		p.ranges[dpath] = b.DefRange
		t.DispatchPayload = &nomadlike.DispatchPayloadConfig{}
		p.decodeFields(p.content(b.Body, dispatchPayloadSpec), dispatchPayloadSpec, dpath, t.DispatchPayload)
	}
	for i, b := range c.Blocks.OfType("volume_mount") {
		vpath := item(path, "VolumeMounts", itoa(i))
		p.ranges[vpath] = b.DefRange
		vm := &nomadlike.VolumeMount{}
		p.decodeFields(p.content(b.Body, volumeMountSpec), volumeMountSpec, vpath, vm)
		t.VolumeMounts = append(t.VolumeMounts, vm)
	}
	if b := p.single(c, "identity"); b != nil {
		ipath := joinPath(path, "Identity")
		p.ranges[ipath] = b.DefRange
		t.Identity = &nomadlike.WorkloadIdentity{Name: nomadlike.DefaultIdentityName}
		p.decodeFields(p.content(b.Body, taskIdentitySpec), taskIdentitySpec, ipath, t.Identity)
	}
	if b := p.single(c, "restart"); b != nil {
		base := tg.RestartPolicy
		if base == nil {
			base = nomadlike.DefaultRestartPolicy(jobTypeOf(job))
		}
		rp := *base
		t.RestartPolicy = p.restart(b, &rp, joinPath(path, "RestartPolicy"))
	}
	return t
}

func (p *parser) resources(b *hcl.Block, path string) *nomadlike.Resources {
	p.ranges[path] = b.DefRange
	r := &nomadlike.Resources{}
	c := p.content(b.Body, resourcesSpec)
	p.decodeFields(c, resourcesSpec, path, r)
	for i, nb := range c.Blocks.OfType("network") {
		r.Networks = append(r.Networks, p.network(nb, item(path, "Networks", itoa(i))))
	}
	return r
}

func jobTypeOf(job *nomadlike.Job) string {
	if job.Type == "" {
		return nomadlike.JobTypeService
	}
	return job.Type
}

func itoa(i int) string { return strconv.Itoa(i) }

// template decodes a template block with its change_script and wait blocks.
func (p *parser) template(b *hcl.Block, path string) *nomadlike.Template {
	tmpl := &nomadlike.Template{}
	c := p.content(b.Body, templateSpec)
	p.decodeFields(c, templateSpec, path, tmpl)
	if sb := p.single(c, "change_script"); sb != nil {
		spath := joinPath(path, "ChangeScript")
		p.ranges[spath] = sb.DefRange
		tmpl.ChangeScript = &nomadlike.ChangeScript{}
		p.decodeFields(p.content(sb.Body, changeScriptSpec), changeScriptSpec, spath, tmpl.ChangeScript)
	}
	if wb := p.single(c, "wait"); wb != nil {
		wpath := joinPath(path, "Wait")
		p.ranges[wpath] = wb.DefRange
		tmpl.Wait = &nomadlike.WaitConfig{}
		p.decodeFields(p.content(wb.Body, templateWaitSpec), templateWaitSpec, wpath, tmpl.Wait)
	}
	return tmpl
}
