package agent

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
)

// Nomad agent settings that nomadlike accepts so that a Nomad agent
// configuration loads unchanged, and warns about: each warning names the
// setting, its file:line:col and "has no effect in nomadlike" with the
// reason. Anything that is neither decoded nor in these tables is still an
// error with its position. The contents of a block listed here are not
// checked: the whole block has no effect.

// noEffect describes one ignored setting: an attribute, a block (with its
// number of labels), or a map that may be written either way.
type noEffect struct {
	kind   noEffectKind
	labels int
	why    string
}

type noEffectKind int

const (
	attr noEffectKind = iota
	block
	attrOrBlock
)

const (
	whyLogFile    = "nomadlike logs to stderr only (use the service manager's log rotation)"
	whyLeave      = "nomadlike has no gossip membership to leave; a stopped server stays a raft peer until `operator raft remove-peer`"
	whyServerGC   = "nomadlike deletes expired ACL tokens one hour after they expire; the threshold is fixed"
	whyRaftTuning = "nomadlike's raft settings are fixed"
	whyEnterprise = "a Nomad Enterprise feature nomadlike does not have"
	whyNetworking = "nomadlike has no host networks: ports are on the node's fingerprinted address"
	whyResources  = "nomadlike fingerprints the host's resources; only reserved { } changes what it offers"
)

// topNoEffect are Nomad's top-level settings without effect here.
var topNoEffect = map[string]noEffect{
	"log_file":                  {kind: attr, why: whyLogFile},
	"log_rotate_bytes":          {kind: attr, why: whyLogFile},
	"log_rotate_duration":       {kind: attr, why: whyLogFile},
	"log_rotate_max_files":      {kind: attr, why: whyLogFile},
	"enable_syslog":             {kind: attr, why: whyLogFile},
	"syslog_facility":           {kind: attr, why: whyLogFile},
	"leave_on_interrupt":        {kind: attr, why: whyLeave},
	"leave_on_terminate":        {kind: attr, why: whyLeave},
	"http_api_response_headers": {kind: attrOrBlock, why: "the HTTP API sets no configurable response headers"},
	"consul":                    {kind: block, why: "nomadlike has no Consul integration: no service registration, no Consul discovery"},
	"vault":                     {kind: block, why: "nomadlike has no Vault integration"},
	"autopilot":                 {kind: block, why: "nomadlike has no autopilot: dead servers are removed with `operator raft remove-peer`"},
	"audit":                     {kind: block, why: whyEnterprise},
	"reporting":                 {kind: block, why: whyEnterprise},
	"sentinel":                  {kind: block, why: whyEnterprise},
	"keyring":                   {kind: block, labels: 1, why: "the root keys are wrapped with server.encrypt (previous_encrypt to change it); KMS and Vault transit wrappers are not supported"},
}

// serverNoEffect are Nomad's server settings without effect here.
var serverNoEffect = map[string]noEffect{
	"authoritative_region":          {kind: attr, why: "nomadlike runs a single region"},
	"redundancy_zone":               {kind: attr, why: whyEnterprise},
	"upgrade_version":               {kind: attr, why: whyEnterprise},
	"non_voting_server":             {kind: attr, why: whyEnterprise},
	"license_path":                  {kind: attr, why: whyEnterprise},
	"raft_protocol":                 {kind: attr, why: "nomadlike always speaks raft protocol 3"},
	"protocol_version":              {kind: attr, why: "nomadlike has no gossip protocol to version"},
	"enable_event_broker":           {kind: attr, why: "nomadlike has no event broker to turn off"},
	"raft_multiplier":               {kind: attr, why: whyRaftTuning},
	"raft_boltdb":                   {kind: block, why: whyRaftTuning},
	"raft_logstore":                 {kind: block, why: whyRaftTuning},
	"rejoin_after_leave":            {kind: attr, why: "a restarted server always rejoins with its raft state"},
	"start_join":                    {kind: attr, why: "nomadlike has no gossip; use server_join.retry_join with RPC addresses"},
	"csi_volume_claim_gc_interval":  {kind: attr, why: "nomadlike has no CSI volumes"},
	"csi_volume_claim_gc_threshold": {kind: attr, why: "nomadlike has no CSI volumes"},
	"csi_plugin_gc_threshold":       {kind: attr, why: "nomadlike has no CSI volumes"},
	"acl_token_gc_threshold":        {kind: attr, why: whyServerGC},
	"root_key_gc_interval":          {kind: attr, why: "nomadlike has no keyring"},
	"root_key_gc_threshold":         {kind: attr, why: "nomadlike has no keyring"},
	"root_key_rotation_threshold":   {kind: attr, why: "nomadlike has no keyring"},
	"event_buffer_size":             {kind: attr, why: "nomadlike has no event buffer to size"},
	"job_max_priority":              {kind: attr, why: "job priorities are 1 to 100"},
	"job_default_priority":          {kind: attr, why: "the default job priority is 50"},
	"job_max_source_size":           {kind: attr, why: "nomadlike does not store job sources"},
	"job_tracked_versions":          {kind: attr, why: "nomadlike keeps its own number of job versions"},
	"deploy_query_rate_limit":       {kind: attr, why: "nomadlike has no deployment watcher to rate-limit"},
	"oidc_issuer":                   {kind: attr, why: "nomadlike has no workload identities"},
	"default_scheduler_config":      {kind: block, why: "the scheduler configuration is not read from the agent configuration; set it with operator scheduler set-config"},
	"plan_rejection_tracker":        {kind: block, why: "nomadlike does not track plan rejections per node"},
	"search":                        {kind: block, why: "search is by prefix only; there is nothing to tune"},
	"client_introduction":           {kind: block, why: "clients authenticate with their node secret; there are no introduction tokens"},
}

// clientNoEffect are Nomad's client settings without effect here.
var clientNoEffect = map[string]noEffect{
	"state_dir":                          {kind: attr, why: "client state is kept under data_dir/client"},
	"alloc_dir":                          {kind: attr, why: "allocation directories are kept under data_dir/client"},
	"alloc_mounts_dir":                   {kind: attr, why: "nomadlike has no unveil file isolation"},
	"common_plugin_dir":                  {kind: attr, why: "nomadlike has no CSI or device plugins"},
	"chroot_env":                         {kind: attrOrBlock, why: "the exec driver builds its own root filesystem"},
	"network_speed":                      {kind: attr, why: "nomadlike does not schedule network bandwidth"},
	"preferred_address_family":           {kind: attr, why: "the node address is the interface's first IPv4 address"},
	"cpu_total_compute":                  {kind: attr, why: whyResources},
	"memory_total_mb":                    {kind: attr, why: whyResources},
	"disk_total_mb":                      {kind: attr, why: whyResources},
	"disk_free_mb":                       {kind: attr, why: whyResources},
	"reservable_cores":                   {kind: attr, why: "nomadlike does not reserve CPU cores"},
	"client_min_port":                    {kind: attr, why: "plugins talk to the client over unix sockets, not TCP ports"},
	"client_max_port":                    {kind: attr, why: "plugins talk to the client over unix sockets, not TCP ports"},
	"cpu_disable_dmidecode":              {kind: attr, why: "nomadlike does not run dmidecode"},
	"min_dynamic_port":                   {kind: attr, why: "dynamic ports come from the fixed range 20000-32000"},
	"max_dynamic_port":                   {kind: attr, why: "dynamic ports come from the fixed range 20000-32000"},
	"max_kill_timeout":                   {kind: attr, why: "the client does not cap a task's kill_timeout"},
	"disable_remote_exec":                {kind: attr, why: "`alloc exec` is governed by ACLs only"},
	"bridge_network_subnet_ipv6":         {kind: attr, why: "the bridge network is IPv4 only"},
	"bridge_network_hairpin_mode":        {kind: attr, why: "hairpin mode is always on for the bridge network"},
	"host_network":                       {kind: block, labels: 1, why: whyNetworking},
	"bind_wildcard_default_host_network": {kind: attr, why: whyNetworking},
	"gc_volumes_on_node_gc":              {kind: attr, why: "dynamic host volumes are removed only by volume delete, not when their node is garbage collected"},
	"no_host_uuid":                       {kind: attr, why: "the node ID is random and kept in the client's state"},
	"cgroup_parent":                      {kind: attr, why: "the exec driver places tasks in its own cgroup tree"},
	"nomad_service_discovery":            {kind: attr, why: "service registration is always on (service catalog, issue #13)"},
	"intro_token":                        {kind: attr, why: "clients authenticate with their node secret; there are no introduction tokens"},
	"template":                           {kind: block, why: "templates are rendered once with built-in settings; nothing in this block is read"},
	"drain_on_shutdown":                  {kind: block, why: "a stopping client leaves its tasks running for the next start"},
	"users":                              {kind: block, why: "nomadlike has no dynamic workload users"},
}

// acceptNoEffect checks that body holds only settings of table (anything
// else is an error with its position) and returns a warning for each one
// set, in file order, prefixed with where ("server.").
func acceptNoEffect(body hcl.Body, where string, table map[string]noEffect) ([]string, hcl.Diagnostics) {
	if body == nil {
		return nil, nil
	}
	schema := &hcl.BodySchema{}
	for _, name := range sortedKeys(table) {
		it := table[name]
		if it.kind != block {
			schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: name})
		}
		if it.kind != attr {
			labels := make([]string, it.labels)
			for i := range labels {
				labels[i] = "name"
			}
			schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: name, LabelNames: labels})
		}
	}
	content, diags := body.Content(schema)
	type hit struct {
		name string
		rng  hcl.Range
	}
	var hits []hit
	for name, a := range content.Attributes {
		hits = append(hits, hit{name, a.NameRange})
	}
	for _, b := range content.Blocks {
		hits = append(hits, hit{b.Type, b.TypeRange})
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].rng.Start.Byte < hits[j].rng.Start.Byte })
	warnings := make([]string, 0, len(hits))
	for _, h := range hits {
		warnings = append(warnings, noEffectWarning(h.rng, where+h.name, table[h.name].why))
	}
	return warnings, diags
}

// noEffectWarning is the text of one warning: file:line:col, the setting,
// "has no effect in nomadlike" and why.
func noEffectWarning(rng hcl.Range, setting, why string) string {
	return fmt.Sprintf("%s:%d:%d: %s has no effect in nomadlike: %s", rng.Filename, rng.Start.Line, rng.Start.Column, setting, why)
}

// nomadWarnings are the warnings of config_nomad.go's tables (the other
// blocks' are logged where their feature starts).
func (c *Config) nomadWarnings() []string {
	out := append([]string(nil), c.Warnings...)
	out = append(out, c.Server.Warnings...)
	return append(out, c.Client.Warnings...)
}

// AllWarnings returns every warning the configuration files produced
// (settings accepted for Nomad compatibility that have no effect), each
// with its file:line:col.
func (c *Config) AllWarnings() []string {
	out := c.nomadWarnings()
	out = append(out, c.TelemetryWarnings...)
	out = append(out, c.ACL.Warnings...)
	out = append(out, c.Client.ArtifactWarnings...)
	return out
}
