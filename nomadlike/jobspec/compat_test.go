package jobspec

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// implemented maps every item of the job grammar that nomadlike acts on to
// a test that shows it working, "TestName (package)". TestJobGrammarCovered
// fails for an item that is neither here nor in noEffect, and for a test
// that does not exist.
var implemented = map[string]struct{ test, note string }{
	"job.name":          {"TestBuild (taskenv)", "NOMAD_JOB_NAME"},
	"job.type":          {"TestSystemJobOnEveryEligibleNode (scheduler)", "service, batch, system and sysbatch"},
	"job.region":        {"TestBuild (taskenv)", "sets NOMAD_REGION only: nomadlike runs one region and forwards no jobs"},
	"job.namespace":     {"TestAllowNamespace (acl)", ""},
	"job.priority":      {"TestDequeuePriorityThenFIFO (broker)", "evaluation priority; no preemption"},
	"job.datacenters":   {"TestStatic (feasible)", ""},
	"job.node_pool":     {"TestStatic (feasible)", ""},
	"job.all_at_once":   {"TestEvaluate (plan)", ""},
	"job.meta":          {"TestBuild (taskenv)", "NOMAD_META_*"},
	"job.constraint":    {"TestConstraintFilteringBlocks (scheduler)", ""},
	"job.affinity":      {"TestSpreadAndAffinity (scheduler)", ""},
	"job.spread":        {"TestSpreadAndAffinity (scheduler)", ""},
	"job.periodic":      {"TestPeriodicLaunchesOnSchedule (server)", ""},
	"job.parameterized": {"TestDispatchJob (server)", ""},
	"job.reschedule":    {"TestRescheduleFailedAlloc (scheduler)", ""},
	"job.group":         {"TestRegisterAndRunBatch (client)", ""},

	"group.count": {"TestCountChange (reconcile)", ""},
	// deployments (issue #13)
	"job.update":               {"TestDeployRollingUpdateMaxParallel (scheduler)", "the default of every group's update block"},
	"group.update":             {"TestDeployRollingUpdateMaxParallel (scheduler)", "a service group with an update block (max_parallel > 0) rolls out through a deployment"},
	"update.max_parallel":      {"TestDeployRollingUpdateAgent (e2e)", "0 turns deployments off (all at once)"},
	"update.canary":            {"TestDeployCanaryPromoteAgent (e2e)", ""},
	"update.auto_promote":      {"TestWatcherAutoPromotesHealthyCanaries (deploywatch)", ""},
	"update.auto_revert":       {"TestWatcherFailureAutoReverts (deploywatch)", "to the latest stable version, registered as a new version"},
	"update.progress_deadline": {"TestWatcherFailureAutoReverts (deploywatch)", ""},
	"update.health_check":      {"TestDeploymentsWithNomadAPI (httpapi)", "manual: the allocation-health endpoint; checks and task_states: the client's health tracking"},
	"update.min_healthy_time":  {"TestHealthMachine (checks)", "applied by the client to checks and task_states health"},
	"update.healthy_deadline":  {"TestHealthMachine (checks)", "applied by the client to checks and task_states health"},
	// node drains (issue #13): the drainer paces on the migrate block
	"job.migrate":              {"TestParseMigrate (jobspec)", "the default of every service group's migrate block"},
	"group.migrate":            {"TestMigrateDrainPacedAgent (e2e)", "service groups; batch allocations wait for the drain deadline, system ones go last"},
	"migrate.max_parallel":     {"TestDecideMaxParallel (drainer)", "0 moves nothing before the drain deadline"},
	"migrate.health_check":     {"TestHealthStrategyOf (checks)", "checks or task_states, applied by the client"},
	"migrate.min_healthy_time": {"TestHealthStrategyOf (checks)", "applied by the client to the replacement's health"},
	"migrate.healthy_deadline": {"TestHealthStrategyOf (checks)", "an unhealthy verdict lets the drain go on, as in Nomad"},
	"group.meta":               {"TestBuild (taskenv)", "NOMAD_META_*"},
	"group.constraint":         {"TestConstraintFilteringBlocks (scheduler)", ""},
	"group.affinity":           {"TestSpreadAndAffinity (scheduler)", ""},
	"group.spread":             {"TestServiceSpreadsAcrossNodes (scheduler)", ""},
	"group.restart":            {"TestRestartPolicyThenFail (allocrunner)", ""},
	"group.reschedule":         {"TestRescheduleFailedAlloc (scheduler)", ""},
	"group.ephemeral_disk":     {"TestNeverOvercommits (scheduler)", "size only"},
	"group.network":            {"TestPortsWithoutCollisions (scheduler)", "host mode only"},
	"group.task":               {"TestRegisterAndRunBatch (client)", ""},
	"group.scaling":            {"TestAutoscaleCPUTarget (e2e)", "with nomadlike's built-in autoscaler (autoscaler.md)"},
	"scaling.min":              {"TestParseScalingErrors (jobspec)", "enforced on register, job scale and the autoscaler"},
	"scaling.max":              {"TestParseScalingErrors (jobspec)", "enforced on register, job scale and the autoscaler"},
	"scaling.enabled":          {"TestTickSkipsDisabled (autoscaler)", "false: the built-in autoscaler skips the group"},
	"scaling.type":             {"TestParseScalingBlock (jobspec)", `"horizontal" only`},
	"scaling.policy":           {"TestAutoscaleCPUTarget (e2e)", "nomad-apm checks, target-value and threshold strategies (autoscaler.md)"},
	// nomadlike only: not in Nomad's job specification (job-spec/depends_on.md).
	"group.depends_on":     {"TestPipelineAgent (e2e)", "nomadlike only; batch jobs"},
	"depends_on.group":     {"TestParseDependsOnErrors (jobspec)", "nomadlike only"},
	"depends_on.condition": {"TestDependsOnNeverEarly (scheduler)", "nomadlike only: success, failure or complete"},
	"job.depends_on":       {"TestQueueJobDependsOnAgent (e2e)", "nomadlike only: the job waits for other jobs of its namespace"},
	"depends_on.job":       {"TestParseJobDependsOn (jobspec)", "nomadlike only; job level"},
	"ephemeral_disk.size":  {"TestNeverOvercommits (scheduler)", "scheduled as disk"},

	// Host volumes (issue #17).
	"group.volume":             {"TestVolumeHostWriteAndReplacement (e2e)", "host volumes; type \"csi\" draws a warning"},
	"volume.type":              {"TestHostVolumes (feasible)", "\"host\"; \"csi\" has no effect"},
	"volume.source":            {"TestHostVolumePlacement (scheduler)", "a client host_volume name, or a dynamic host volume's (TestVolumeDynamicLifecycle, e2e)"},
	"volume.read_only":         {"TestHostVolumes (feasible)", ""},
	"volume.per_alloc":         {"TestHostVolumePerAlloc (scheduler)", ""},
	"task.volume_mount":        {"TestVolumeHostWriteAndReplacement (e2e)", "exec and containerd mount; raw_exec gets NOMAD_HOST_VOLUME_<name>"},
	"volume_mount.volume":      {"TestTaskMounts (allocrunner)", ""},
	"volume_mount.destination": {"TestHostVolumeDestinationSymlink (exec)", ""},
	"volume_mount.read_only":   {"TestHostVolumeReadOnly (exec)", "not enforced for raw_exec"},

	"network.mode": {"TestBridgeExecTwoTasks (e2e)", `host, bridge, none and cni/NAME (client/network)`},
	"network.port": {"TestPortsWithoutCollisions (scheduler)", ""},
	"port.static":  {"TestFitPortsNoCollisionsAndDeterministic (rank)", ""},
	// Bridge networking (nomadlike/client/network); host mode ignores these
	// with a warning.
	"network.hostname": {"TestBridgeExecTwoTasks (e2e)", "bridge, none and cni/NAME modes"},
	"network.dns":      {"TestResolvConf (network)", "bridge, none and cni/NAME modes"},
	"dns.servers":      {"TestResolvConf (network)", ""},
	"dns.searches":     {"TestResolvConf (network)", ""},
	"dns.options":      {"TestResolvConf (network)", ""},
	"network.cni":      {"TestCNIArgs (network)", "passed as CNI_ARGS"},
	"cni.args":         {"TestCNIArgs (network)", ""},
	"port.to":          {"TestBridgeExecTwoTasks (e2e)", "mapped from the host port in bridge and cni/NAME modes (portmap)"},

	"task.driver":            {"TestRegisterAndRunBatch (client)", "exec, raw_exec, containerd and plugins"},
	"task.user":              {"TestUser (exec)", ""},
	"task.config":            {"TestConformance (exec)", "per driver"},
	"task.env":               {"TestBuild (taskenv)", ""},
	"task.meta":              {"TestBuild (taskenv)", ""},
	"task.kill_timeout":      {"TestRawExecThroughPlugin (client)", ""},
	"task.kill_signal":       {"TestStopTask (exec)", ""},
	"task.leader":            {"TestLeaderAndSiblingFailure (allocrunner)", ""},
	"task.resources":         {"TestFit (rank)", ""},
	"task.constraint":        {"TestConstraintFilteringBlocks (scheduler)", ""},
	"task.affinity":          {"TestSpreadAndAffinity (scheduler)", ""},
	"task.template":          {"TestTemplateAndArtifact (allocrunner)", "rendered before the task starts, re-rendered when its Nomad data changes"},
	"task.artifact":          {"TestTemplateAndArtifact (allocrunner)", ""},
	"task.lifecycle":         {"TestLifecycleOrdering (allocrunner)", ""},
	"task.identity":          {"TestVarsWorkloadIdentity (e2e)", ""},
	"identity.name":          {"TestIdentityBlockDecode", "labels the sub claim"},
	"identity.aud":           {"TestIdentityBlockDecode", ""},
	"identity.env":           {"TestVarsWorkloadIdentity (e2e)", ""},
	"identity.file":          {"TestIdentityApply (client/identity)", ""},
	"identity.ttl":           {"TestIdentityRenewChangeModes (client/allocrunner)", "sets exp; the client renews the token at half its life"},
	"identity.change_mode":   {"TestIdentityRenewChangeModes (client/allocrunner)", "noop, signal, restart on renewal"},
	"identity.change_signal": {"TestIdentityRenewChangeModes (client/allocrunner)", ""},
	"identity.filepath":      {"TestIdentityWriteFilepath (client/identity)", "relative to the task directory; replaces secrets/nomad_token"},
	"task.logs":              {"TestTaskLogsCopyToRotatedFiles (logging)", ""},
	"task.dispatch_payload":  {"TestDispatchPayloadHook (allocrunner)", ""},
	"task.restart":           {"TestRestartPolicyThenFail (allocrunner)", ""},

	"resources.cpu":        {"TestFitScores (rank)", "MHz, as cgroup CPU shares"},
	"resources.memory":     {"TestCgroupLimitsAndStats (exec)", ""},
	"resources.memory_max": {"TestCgroupLimitsAndStats (exec)", ""},
	"resources.disk":       {"TestFit (rank)", "nomadlike extension, not in Nomad"},
	"resources.network":    {"TestFitPortsNoCollisionsAndDeterministic (rank)", "deprecated in Nomad; host mode"},

	"constraint.attribute":         {"TestConstraintFilteringBlocks (scheduler)", ""},
	"constraint.operator":          {"TestMatch (feasible)", ""},
	"constraint.value":             {"TestConstraintFilteringBlocks (scheduler)", ""},
	"constraint.distinct_hosts":    {"TestJobChecks (feasible)", ""},
	"constraint.distinct_property": {"TestJobChecks (feasible)", ""},
	"constraint.regexp":            {"TestMatch (feasible)", ""},
	"constraint.version":           {"TestMatch (feasible)", ""},
	"constraint.semver":            {"TestMatch (feasible)", ""},
	"constraint.set_contains":      {"TestMatch (feasible)", ""},
	"constraint.set_contains_all":  {"TestMatch (feasible)", ""},
	"constraint.set_contains_any":  {"TestMatch (feasible)", ""},
	"affinity.attribute":           {"TestSpreadAndAffinity (scheduler)", ""},
	"affinity.operator":            {"TestMatch (feasible)", ""},
	"affinity.value":               {"TestSpreadAndAffinity (scheduler)", ""},
	"affinity.weight":              {"TestScores (rank)", ""},
	"affinity.regexp":              {"TestMatch (feasible)", ""},
	"affinity.version":             {"TestMatch (feasible)", ""},
	"affinity.semver":              {"TestMatch (feasible)", ""},
	"affinity.set_contains":        {"TestMatch (feasible)", ""},
	"affinity.set_contains_all":    {"TestMatch (feasible)", ""},
	"affinity.set_contains_any":    {"TestMatch (feasible)", ""},
	"spread.attribute":             {"TestServiceSpreadsAcrossNodes (scheduler)", ""},
	"spread.weight":                {"TestScores (rank)", ""},
	"spread.target":                {"TestSpreadAndAffinity (scheduler)", ""},
	"target.percent":               {"TestScores (rank)", ""},

	"restart.attempts":          {"TestRestartTracker (allocrunner)", ""},
	"restart.interval":          {"TestRestartTracker (allocrunner)", ""},
	"restart.delay":             {"TestRestartTracker (allocrunner)", ""},
	"restart.mode":              {"TestRestartTracker (allocrunner)", ""},
	"reschedule.attempts":       {"TestReconcileReschedule (reconcile)", ""},
	"reschedule.interval":       {"TestReconcileReschedule (reconcile)", ""},
	"reschedule.delay":          {"TestReconcileReschedule (reconcile)", ""},
	"reschedule.delay_function": {"TestReconcileReschedule (reconcile)", ""},
	"reschedule.max_delay":      {"TestReconcileReschedule (reconcile)", ""},
	"reschedule.unlimited":      {"TestReconcileReschedule (reconcile)", ""},

	"periodic.cron":                {"TestPeriodicLaunchesOnSchedule (server)", ""},
	"periodic.crons":               {"TestPeriodicLaunchesOnSchedule (server)", "exactly one expression; more is an error"},
	"periodic.enabled":             {"TestPeriodicChild (nomadlike)", ""},
	"periodic.prohibit_overlap":    {"TestPeriodicProhibitOverlap (server)", ""},
	"periodic.time_zone":           {"TestNext (periodic)", ""},
	"parameterized.payload":        {"TestDispatchJob (server)", ""},
	"parameterized.meta_required":  {"TestDispatchJob (server)", ""},
	"parameterized.meta_optional":  {"TestDispatchJob (server)", ""},
	"parameterized.max_concurrent": {"TestDispatchMaxConcurrent (server)", "nomadlike only: at most N dispatched children run at once, the rest wait FIFO"},
	"dispatch_payload.file":        {"TestDispatchPayloadHook (allocrunner)", ""},

	"lifecycle.hook":                {"TestLifecycleOrdering (allocrunner)", ""},
	"lifecycle.sidecar":             {"TestLifecycleOrdering (allocrunner)", ""},
	"logs.max_files":                {"TestTaskLogsCopyToRotatedFiles (logging)", ""},
	"logs.max_file_size":            {"TestTaskLogsCopyToRotatedFiles (logging)", ""},
	"logs.disabled":                 {"TestTaskLogsDisabled (logging)", ""},
	"artifact.source":               {"TestGet (getter)", "http(s) and file sources the agent allows; no git::, s3:: or other go-getter schemes"},
	"artifact.destination":          {"TestGet (getter)", "in the task directory or ../alloc"},
	"artifact.mode":                 {"TestGet (getter)", ""},
	"artifact.options":              {"TestGet (getter)", "checksum (and archive=false)"},
	"artifact.headers":              {"TestGet (getter)", ""},
	"template.data":                 {"TestRender (render)", "Go text/template with env, nomadVar, nomadVarList, nomadVarExists, nomadService and nomadServices; no Consul or Vault functions"},
	"template.change_mode":          {"TestChangeModes (tmplwatch)", ""},
	"template.change_signal":        {"TestChangeModes (tmplwatch)", ""},
	"template.change_script":        {"TestChangeScript (tmplwatch)", "run inside the task through the driver's exec"},
	"template.splay":                {"TestSplaySeeded (tmplwatch)", ""},
	"template.wait":                 {"TestWaitCoalesces (tmplwatch)", "a task's templates share one wait: the largest min and max among them"},
	"template.once":                 {"TestOnce (tmplwatch)", ""},
	"template.error_on_missing_key": {"TestErrorOnMissingKey (render)", ""},
	"change_script.command":         {"TestChangeScript (tmplwatch)", ""},
	"change_script.args":            {"TestChangeScript (tmplwatch)", ""},
	"change_script.timeout":         {"TestChangeScript (tmplwatch)", "default 5s"},
	"change_script.fail_on_error":   {"TestChangeScript (tmplwatch)", "kills the task, which fails"},
	"wait.min":                      {"TestWaitCoalesces (tmplwatch)", ""},
	"wait.max":                      {"TestWaitCoalesces (tmplwatch)", ""},
	"template.source":               {"TestRender (render)", ""},
	"template.destination":          {"TestRender (render)", ""},
	"template.env":                  {"TestRender (render)", ""},
	"template.perms":                {"TestRender (render)", ""},
	"template.left_delimiter":       {"TestRender (render)", ""},
	"template.right_delimiter":      {"TestRender (render)", ""},

	// Service discovery (issue #13, nomadlike/client/services).
	"group.service":        {"TestRegistrations (services)", "registered in the servers' catalog while the allocation runs"},
	"task.service":         {"TestCatalogAgent (e2e)", "registered in the servers' catalog while the task runs"},
	"group.shutdown_delay": {"TestShutdownDelayAfterPreKill (allocrunner)", "after the services are deregistered"},
	"task.shutdown_delay":  {"TestCatalogAgent (e2e)", "after the services are deregistered"},
	"service.name":         {"TestCatalogAgent (e2e)", ""},
	"service.port":         {"TestRegistrations (services)", "a port label or a number"},
	"service.tags":         {"TestCatalogAgent (e2e)", ""},
	"service.canary_tags":  {"TestRegistrations (services)", ""},
	"service.address":      {"TestRegistrations (services)", ""},
	"service.address_mode": {"TestRegistrations (services)", `"auto", "host" and "driver" give the host address and port, "alloc" the mapped port`},
	"service.provider":     {"TestRegistrations (services)", `"nomad"; "consul" registers in nomadlike's catalog too (there is no Consul)`},
	"service.meta":         {"TestRegistrations (services)", "kept in the job; not in the catalog, as in Nomad's own catalog (its ServiceRegistration has no meta)"},
	// Health checks (issue #13): run by the client's check runner.
	"service.check":                  {"TestProbesAgainstRealServers (checks)", ""},
	"service.check_restart":          {"TestCheckRestartThroughPolicy (allocrunner)", "for every check of the service"},
	"service.task":                   {"TestScriptCheckExitCodes (checks)", "the task a group service's script checks run in"},
	"check.name":                     {"TestParseCheckFields (jobspec)", ""},
	"check.type":                     {"TestProbesAgainstRealServers (checks)", "http, tcp, grpc and script"},
	"check.command":                  {"TestScriptCheckExitCodes (checks)", ""},
	"check.args":                     {"TestScriptCheckExitCodes (checks)", ""},
	"check.path":                     {"TestProbesAgainstRealServers (checks)", ""},
	"check.protocol":                 {"TestHTTPProbeConnections (checks)", "http or https"},
	"check.port":                     {"TestProbesAgainstRealServers (checks)", ""},
	"check.address_mode":             {"TestParseCheckFields (jobspec)", "every mode checks the allocation's host address"},
	"check.interval":                 {"TestProbesAgainstRealServers (checks)", ""},
	"check.timeout":                  {"TestProbesAgainstRealServers (checks)", ""},
	"check.initial_status":           {"TestThresholds (checks)", ""},
	"check.method":                   {"TestProbesAgainstRealServers (checks)", ""},
	"check.header":                   {"TestProbesAgainstRealServers (checks)", ""},
	"check.body":                     {"TestProbesAgainstRealServers (checks)", ""},
	"check.task":                     {"TestScriptCheckExitCodes (checks)", ""},
	"check.grpc_service":             {"TestProbesAgainstRealServers (checks)", ""},
	"check.grpc_use_tls":             {"TestProbesAgainstRealServers (checks)", ""},
	"check.tls_server_name":          {"TestHTTPProbeConnections (checks)", ""},
	"check.tls_skip_verify":          {"TestHTTPProbeConnections (checks)", ""},
	"check.success_before_passing":   {"TestThresholds (checks)", ""},
	"check.failures_before_critical": {"TestThresholds (checks)", ""},
	"check.on_update":                {"TestHealthMachine (checks)", ""},
	"check.check_restart":            {"TestCheckRestartThroughPolicy (allocrunner)", ""},
	"check_restart.limit":            {"TestCheckRestartThroughPolicy (allocrunner)", ""},
	"check_restart.grace":            {"TestCheckRestartThroughPolicy (allocrunner)", ""},
	"check_restart.ignore_warnings":  {"TestCheckRestartThroughPolicy (allocrunner)", ""},
}

// notPlanned are parts of Nomad's job files nomadlike refuses, with why.
var notPlanned = map[string]string{
	"periodic.crons (two or more)": "nomadlike runs one schedule per job: an error names the attribute",
	"HCL1 job files (-hcl1)":       "only HCL2 job files are read",
}

func TestJobGrammarCovered(t *testing.T) {
	tests := repoTests(t)
	seen := map[string]bool{}
	for _, it := range schemaItems() {
		seen[it.Key] = true
		impl, isImpl := implemented[it.Key]
		switch {
		case it.Warned && isImpl:
			t.Errorf("%s is both implemented (%s) and in noEffect", it.Key, impl.test)
		case it.Warned:
		case it.Dropped:
			t.Errorf("%s is dropped by the decoder but not in noEffect: it must draw a warning", it.Key)
		case !isImpl:
			t.Errorf("%s is neither in implemented (with the test that covers it) nor in noEffect", it.Key)
		default:
			name, _, _ := strings.Cut(impl.test, " ")
			if !tests[name] {
				t.Errorf("%s names test %s, which does not exist", it.Key, impl.test)
			}
		}
	}
	for key := range noEffect {
		if !seen[key] {
			t.Errorf("noEffect lists %s, which the grammar does not have", key)
		}
	}
	for key := range implemented {
		if !seen[key] {
			t.Errorf("implemented lists %s, which the grammar does not have", key)
		}
	}
}

var testFunc = regexp.MustCompile(`(?m)^func (Test\w+)\(`)

// repoTests returns the names of the test functions in the repository.
func repoTests(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "../.." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range testFunc.FindAllSubmatch(b, -1) {
			out[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const compatPage = "../../website/compatibility.md"

// Markers around the generated table in website/compatibility.md.
const (
	tableBegin = "<!-- BEGIN jobspec table: generated by TestCompatibilityTable, run go test ./nomadlike/jobspec -update -->"
	tableEnd   = "<!-- END jobspec table -->"
)

// TestCompatibilityTable checks the table of website/compatibility.md
// against the grammar, noEffect and implemented; -update rewrites it.
func TestCompatibilityTable(t *testing.T) {
	page, err := os.ReadFile(compatPage)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := bytes.Cut(page, []byte(tableBegin))
	_, after, ok2 := bytes.Cut(rest, []byte(tableEnd))
	if !ok1 || !ok2 {
		t.Fatalf("%s has no %q ... %q markers", compatPage, tableBegin, tableEnd)
	}
	table := compatTable()
	want := string(before) + tableBegin + "\n" + table + tableEnd + string(after)
	if updating() {
		if err := os.WriteFile(compatPage, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(page) != want {
		t.Errorf("%s is out of date; run go test ./nomadlike/jobspec -update and review the diff", compatPage)
	}
}

func compatTable() string {
	var b strings.Builder
	b.WriteString("| Job file item | Status | Notes |\n|---|---|---|\n")
	for _, it := range schemaItems() {
		name := "`" + it.Key + "`"
		if it.Block {
			name += " block"
		}
		switch impl, ok := implemented[it.Key]; {
		case it.Warned:
			fmt.Fprintf(&b, "| %s | warns (no effect) | %s |\n", name, escapeCell(noEffect[it.Key]))
		case ok:
			note := impl.note
			if note != "" {
				note += "; "
			}
			fmt.Fprintf(&b, "| %s | works | %stested by %s |\n", name, escapeCell(note), impl.test)
		}
	}
	keys := make([]string, 0, len(notPlanned))
	for k := range notPlanned {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "| %s | not planned | %s |\n", k, escapeCell(notPlanned[k]))
	}
	return b.String()
}

// updating reports whether -update was given (parse_test.go defines it).
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func escapeCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// TestJobSpecPagesMarkNoEffect: the website/job-spec page of a block names
// each of its items that has no effect in nomadlike on a line saying so,
// and the page of a block that has no effect as a whole says so.
func TestJobSpecPagesMarkNoEffect(t *testing.T) {
	const dir = "../../website/job-spec/"
	pageOf := func(block string) string {
		if block == "port" {
			block = "network"
		}
		return dir + block + ".md"
	}
	for key := range noEffect {
		block, item, _ := strings.Cut(key, ".")
		if page, err := os.ReadFile(pageOf(item)); err == nil && !bytes.Contains(page, []byte("has no effect in nomadlike")) {
			t.Errorf("%s does not say the block has no effect in nomadlike (%s)", pageOf(item), key)
		}
		page, err := os.ReadFile(pageOf(block))
		if err != nil {
			continue
		}
		found := false
		for _, line := range strings.Split(string(page), "\n") {
			if strings.Contains(line, "`"+item+"`") && strings.Contains(strings.ToLower(line), "no effect") {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s has no line naming `%s` with \"no effect\" (%s)", pageOf(block), item, key)
		}
	}
}
