package acl

import "sort"

// Coarse-grained policy dispositions (the `policy = "..."` field).
const (
	PolicyDeny  = "deny"
	PolicyRead  = "read"
	PolicyList  = "list"
	PolicyWrite = "write"
	PolicyScale = "scale"
)

// Namespace capabilities, with Nomad's names.
const (
	NamespaceCapabilityDeny                 = "deny"
	NamespaceCapabilityListJobs             = "list-jobs"
	NamespaceCapabilityParseJob             = "parse-job"
	NamespaceCapabilityReadJob              = "read-job"
	NamespaceCapabilitySubmitJob            = "submit-job"
	NamespaceCapabilityDispatchJob          = "dispatch-job"
	NamespaceCapabilityReadLogs             = "read-logs"
	NamespaceCapabilityReadFS               = "read-fs"
	NamespaceCapabilityAllocExec            = "alloc-exec"
	NamespaceCapabilityAllocNodeExec        = "alloc-node-exec"
	NamespaceCapabilityAllocLifecycle       = "alloc-lifecycle"
	NamespaceCapabilitySentinelOverride     = "sentinel-override"
	NamespaceCapabilityCSIRegisterPlugin    = "csi-register-plugin"
	NamespaceCapabilityCSIWriteVolume       = "csi-write-volume"
	NamespaceCapabilityCSIReadVolume        = "csi-read-volume"
	NamespaceCapabilityCSIListVolume        = "csi-list-volume"
	NamespaceCapabilityCSIMountVolume       = "csi-mount-volume"
	NamespaceCapabilityHostVolumeCreate     = "host-volume-create"
	NamespaceCapabilityHostVolumeRegister   = "host-volume-register"
	NamespaceCapabilityHostVolumeRead       = "host-volume-read"
	NamespaceCapabilityHostVolumeWrite      = "host-volume-write"
	NamespaceCapabilityHostVolumeDelete     = "host-volume-delete"
	NamespaceCapabilityListScalingPolicies  = "list-scaling-policies"
	NamespaceCapabilityReadScalingPolicy    = "read-scaling-policy"
	NamespaceCapabilityReadJobScaling       = "read-job-scaling"
	NamespaceCapabilityScaleJob             = "scale-job"
	NamespaceCapabilitySubmitRecommendation = "submit-recommendation"
)

// Host volume capabilities.
const (
	HostVolumeCapabilityDeny           = "deny"
	HostVolumeCapabilityMountReadOnly  = "mount-readonly"
	HostVolumeCapabilityMountReadWrite = "mount-readwrite"
)

// Variable capabilities (the capabilities of a variables path block) and the
// operations AllowVariableOperation checks.
const (
	VariablesCapabilityList    = "list"
	VariablesCapabilityRead    = "read"
	VariablesCapabilityWrite   = "write"
	VariablesCapabilityDestroy = "destroy"
	VariablesCapabilityDeny    = "deny"
)

// capSet is a set of capabilities of one kind as a bit mask; bit 0 is always
// deny.
type capSet uint64

const denyBit capSet = 1

func (s capSet) denied() bool { return s&denyBit != 0 }

// merge is the union of two sets, except that deny wins: a set holding
// deny holds nothing else.
func (s capSet) merge(o capSet) capSet {
	u := s | o
	if u.denied() {
		return denyBit
	}
	return u
}

// allows reports whether the set grants bit and holds no deny.
func (s capSet) allows(bit capSet) bool {
	return bit != 0 && !s.denied() && s&bit == bit
}

// capKind is one vocabulary of capabilities: their names, the shorthand
// policies that expand into them, and what each capability implies.
type capKind struct {
	what     string // "namespace", "host_volume", "variables path"
	names    []string
	bits     map[string]capSet
	policies map[string][]string
	implies  map[string][]string
}

func newCapKind(what string, names []string, policies, implies map[string][]string) *capKind {
	k := &capKind{what: what, names: names, bits: map[string]capSet{}, policies: policies, implies: implies}
	for i, n := range names {
		k.bits[n] = 1 << i
	}
	return k
}

// expand returns the sorted, de-duplicated capabilities granted by policy
// (may be "") and caps together with everything they imply.
func (k *capKind) expand(policy string, caps []string) []string {
	seen := map[string]bool{}
	var todo []string
	todo = append(todo, k.policies[policy]...)
	todo = append(todo, caps...)
	for len(todo) > 0 {
		c := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if seen[c] {
			continue
		}
		seen[c] = true
		todo = append(todo, k.implies[c]...)
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// set turns capability names into a capSet; ok is false if a name is unknown.
func (k *capKind) set(caps []string) (capSet, string, bool) {
	var s capSet
	for _, c := range caps {
		b, ok := k.bits[c]
		if !ok {
			return 0, c, false
		}
		s |= b
	}
	if s.denied() {
		s = denyBit
	}
	return s, "", true
}

var namespaceReadCaps = []string{
	NamespaceCapabilityListJobs,
	NamespaceCapabilityParseJob,
	NamespaceCapabilityReadJob,
	NamespaceCapabilityCSIListVolume,
	NamespaceCapabilityCSIReadVolume,
	NamespaceCapabilityListScalingPolicies,
	NamespaceCapabilityReadScalingPolicy,
	NamespaceCapabilityReadJobScaling,
	NamespaceCapabilityHostVolumeRead,
}

var namespaceKind = newCapKind("namespace",
	[]string{
		NamespaceCapabilityDeny, // bit 0
		NamespaceCapabilityListJobs,
		NamespaceCapabilityParseJob,
		NamespaceCapabilityReadJob,
		NamespaceCapabilitySubmitJob,
		NamespaceCapabilityDispatchJob,
		NamespaceCapabilityReadLogs,
		NamespaceCapabilityReadFS,
		NamespaceCapabilityAllocExec,
		NamespaceCapabilityAllocNodeExec,
		NamespaceCapabilityAllocLifecycle,
		NamespaceCapabilitySentinelOverride,
		NamespaceCapabilityCSIRegisterPlugin,
		NamespaceCapabilityCSIWriteVolume,
		NamespaceCapabilityCSIReadVolume,
		NamespaceCapabilityCSIListVolume,
		NamespaceCapabilityCSIMountVolume,
		NamespaceCapabilityHostVolumeCreate,
		NamespaceCapabilityHostVolumeRegister,
		NamespaceCapabilityHostVolumeRead,
		NamespaceCapabilityHostVolumeWrite,
		NamespaceCapabilityHostVolumeDelete,
		NamespaceCapabilityListScalingPolicies,
		NamespaceCapabilityReadScalingPolicy,
		NamespaceCapabilityReadJobScaling,
		NamespaceCapabilityScaleJob,
		NamespaceCapabilitySubmitRecommendation,
	},
	map[string][]string{
		PolicyDeny: {NamespaceCapabilityDeny},
		PolicyRead: namespaceReadCaps,
		PolicyWrite: append(append([]string{}, namespaceReadCaps...),
			NamespaceCapabilityScaleJob,
			NamespaceCapabilitySubmitJob,
			NamespaceCapabilityDispatchJob,
			NamespaceCapabilityReadLogs,
			NamespaceCapabilityReadFS,
			NamespaceCapabilityAllocExec,
			NamespaceCapabilityAllocLifecycle,
			NamespaceCapabilityCSIMountVolume,
			NamespaceCapabilityCSIWriteVolume,
			NamespaceCapabilitySubmitRecommendation,
			NamespaceCapabilityHostVolumeCreate,
			NamespaceCapabilityHostVolumeRegister,
			NamespaceCapabilityHostVolumeWrite,
			NamespaceCapabilityHostVolumeDelete,
		),
		PolicyScale: {
			NamespaceCapabilityListScalingPolicies,
			NamespaceCapabilityReadScalingPolicy,
			NamespaceCapabilityReadJobScaling,
			NamespaceCapabilityScaleJob,
		},
	},
	map[string][]string{
		NamespaceCapabilityListJobs:       {NamespaceCapabilityCSIListVolume},
		NamespaceCapabilityReadJob:        {NamespaceCapabilityCSIReadVolume},
		NamespaceCapabilityReadFS:         {NamespaceCapabilityReadLogs},
		NamespaceCapabilityCSIWriteVolume: {NamespaceCapabilityCSIReadVolume},
		NamespaceCapabilityCSIReadVolume:  {NamespaceCapabilityCSIListVolume},
		NamespaceCapabilityCSIMountVolume: {NamespaceCapabilityCSIReadVolume},
		NamespaceCapabilityHostVolumeCreate: {
			NamespaceCapabilityHostVolumeRead,
		},
		NamespaceCapabilityHostVolumeRegister: {
			NamespaceCapabilityHostVolumeRead,
			NamespaceCapabilityHostVolumeCreate,
		},
		NamespaceCapabilityHostVolumeWrite: {
			NamespaceCapabilityHostVolumeRead,
			NamespaceCapabilityHostVolumeCreate,
			NamespaceCapabilityHostVolumeRegister,
			NamespaceCapabilityHostVolumeDelete,
		},
	},
)

var hostVolumeKind = newCapKind("host_volume",
	[]string{HostVolumeCapabilityDeny, HostVolumeCapabilityMountReadOnly, HostVolumeCapabilityMountReadWrite},
	map[string][]string{
		PolicyDeny:  {HostVolumeCapabilityDeny},
		PolicyRead:  {HostVolumeCapabilityMountReadOnly},
		PolicyWrite: {HostVolumeCapabilityMountReadOnly, HostVolumeCapabilityMountReadWrite},
	},
	map[string][]string{
		HostVolumeCapabilityMountReadWrite: {HostVolumeCapabilityMountReadOnly},
	},
)

var variablesKind = newCapKind("variables path",
	[]string{
		VariablesCapabilityDeny,
		VariablesCapabilityList,
		VariablesCapabilityRead,
		VariablesCapabilityWrite,
		VariablesCapabilityDestroy,
	},
	nil,
	map[string][]string{
		VariablesCapabilityRead:  {VariablesCapabilityList},
		VariablesCapabilityWrite: {VariablesCapabilityList},
	},
)

// level is a coarse policy for the rules without capabilities (node, agent,
// operator, quota, plugin).
type level uint8

const (
	levelNone level = iota
	levelList
	levelRead
	levelWrite
	levelDeny // wins over every other level when merged
)

func parseLevel(p string) level {
	switch p {
	case PolicyDeny:
		return levelDeny
	case PolicyList:
		return levelList
	case PolicyRead:
		return levelRead
	case PolicyWrite:
		return levelWrite
	}
	return levelNone
}

// merge keeps deny, otherwise the higher level.
func (l level) merge(o level) level {
	if l == levelDeny || o == levelDeny {
		return levelDeny
	}
	return max(l, o)
}

// atLeast reports whether l grants want (and is not deny).
func (l level) atLeast(want level) bool { return l != levelDeny && l >= want }
