package jobspec

// Reasons shared by several entries of noEffect.
const (
	reasonMesh    = "nomadlike has no Consul service mesh"
	reasonVault   = "nomadlike has no Vault integration: no token or secret reaches the task"
	reasonConsul  = "nomadlike has no Consul integration"
	reasonScaling = "nomadlike scales task groups, not tasks: a task's scaling block (vertical scaling, Nomad Enterprise) is not read"
	reasonDisc    = "nomadlike has no disconnected-client handling: the allocations of a node that misses " +
		"its heartbeats are marked lost and replaced"
	reasonRender = "templates re-render whenever their data changes; a restart renders from the data already watched and fetches nothing again"
	reasonVolume = "nomadlike has host volumes only (static and mkdir dynamic ones), without CSI or volume access modes"
	reasonDisk   = "a replacement allocation starts with an empty alloc/data directory"
	reasonSecret = "nomadlike fetches no secrets: ${secret.NAME.KEY} stays unresolved"
)

// noEffect names the items of Nomad's job specification that nomadlike
// accepts and does not act on, keyed "block.item", with the reason given in
// the warning. Items inside a listed block draw no warning of their own.
// website/compatibility.md is generated from this table and the schema
// (see TestCompatibilityTable).
var noEffect = map[string]string{
	"job.multiregion":  "nomadlike has one region: the job is not deployed to other regions",
	"job.ui":           "nomadlike has no web UI",
	"job.vault":        reasonVault,
	"job.consul":       reasonConsul,
	"job.vault_token":  reasonVault,
	"job.consul_token": reasonConsul,
	"job.secret":       reasonSecret,
	"group.secret":     reasonSecret,
	"task.secret":      reasonSecret,

	"update.stagger":                     "nomadlike paces rollouts by health, not by a fixed stagger",
	"group.consul":                       reasonConsul,
	"group.vault":                        reasonVault,
	"group.disconnect":                   reasonDisc,
	"group.max_client_disconnect":        reasonDisc,
	"group.stop_after_client_disconnect": reasonDisc,
	"group.prevent_reschedule_on_lost":   reasonDisc,
	"volume.sticky":                      reasonVolume + ": a replacement is placed wherever the host volume is",
	"volume.attachment_mode":             reasonVolume,
	"volume.access_mode":                 reasonVolume,
	"volume.mount_options":               reasonVolume,
	"volume_mount.propagation_mode":      "volume mounts are always private (rprivate)",
	"volume_mount.selinux_label":         "nomadlike does not relabel volumes for SELinux",
	"ephemeral_disk.sticky":              reasonDisk,
	"ephemeral_disk.migrate":             reasonDisk,

	"network.mbits": "bandwidth is not scheduled (Nomad deprecated mbits too)",
	"port.host_network": "nomadlike has no host networks: the port is on the node's " +
		"fingerprinted address",
	"port.ignore_collision": "ports are always checked for collisions",

	// Service discovery (issue #13): the service block registers in the
	// servers' catalog and its checks run on the client; these parts of it
	// do nothing.
	"service.canary_meta":           "the catalog keeps no service metadata (as Nomad's own catalog)",
	"service.enable_tag_override":   reasonConsul,
	"service.cluster":               reasonConsul,
	"service.kind":                  reasonConsul,
	"service.identity":              "services get no workload identity of their own (tasks do)",
	"service.tagged_addresses":      "the catalog keeps one address per instance",
	"service.weights":               "instances are not weighted: DNS SRV weights are all 1",
	"service.connect":               reasonMesh,
	"check.failures_before_warning": "checks go from passing to critical; there is no warning threshold",
	"check.expose":                  reasonMesh,
	"check.notes":                   "check notes are not kept",
	"service.on_update":             "set on_update on each check: the service-level default is not read",

	"task.consul":     reasonConsul,
	"task.vault":      reasonVault,
	"task.csi_plugin": "nomadlike has no CSI support",
	"task.action":     "nomadlike has no job actions",
	"task.scaling":    reasonScaling,
	"task.schedule":   "nomadlike has no time-based task schedules: the task runs all the time",
	"task.kind":       reasonConsul,

	"resources.cores":   "nomadlike does not reserve or pin whole cores: only cpu (MHz) is scheduled",
	"resources.device":  "nomadlike has no device plugins",
	"resources.numa":    "nomadlike does not schedule by NUMA node",
	"resources.secrets": "the secrets directory is not size-limited",
	"resources.iops":    "IOPS are not scheduled (Nomad deprecated iops too)",

	"template.vault_grace":     reasonVault,
	"template.uid":             "rendered files are owned by the agent's user",
	"template.gid":             "rendered files are owned by the agent's user",
	"restart.render_templates": reasonRender,

	"artifact.chown": "fetched files are owned by the agent's user",
}
