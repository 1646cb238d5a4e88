package nomadlike

import (
	"fmt"
	"maps"
	"regexp"
	"strconv"
)

// Dynamic host volumes (issue #17, Nomad 1.10+): a volume the servers
// record and a client creates on request (`volume create` with
// type = "host"). The client's built-in "mkdir" plugin makes a directory
// <host_volumes_dir>/<ID>; once ready, the volume is one of the node's
// Node.HostVolumes under its Name (with ID set), so jobs claim it with
// volume "x" { type = "host", source = "NAME" } like a static one.

// Host volume states, as Nomad's api.HostVolumeState. Deleted is
// nomadlike's: the delete was accepted and the client is removing the
// directory; the volume leaves the state when it reports that done.
const (
	HostVolumeStatePending = "pending"
	HostVolumeStateReady   = "ready"
	HostVolumeStateDeleted = "deleted"
)

// HostVolumePluginMkdir is the built-in plugin: a directory.
const HostVolumePluginMkdir = "mkdir"

// HostVolume is a dynamic host volume. Its JSON decodes into
// github.com/hashicorp/nomad/api.HostVolume.
type HostVolume struct {
	Namespace string `json:"Namespace"`
	ID        string `json:"ID"`
	Name      string `json:"Name"`
	PluginID  string `json:"PluginID"`
	NodePool  string `json:"NodePool"`
	NodeID    string `json:"NodeID"`

	Constraints []*Constraint `json:"Constraints,omitempty"`

	RequestedCapacityMinBytes int64 `json:"RequestedCapacityMinBytes"`
	RequestedCapacityMaxBytes int64 `json:"RequestedCapacityMaxBytes"`
	CapacityBytes             int64 `json:"CapacityBytes"`

	RequestedCapabilities []*HostVolumeCapability `json:"RequestedCapabilities"`
	Parameters            map[string]string       `json:"Parameters,omitempty"`

	HostPath string `json:"HostPath"`
	State    string `json:"State"`
	// StatusDescription is nomadlike's: why the client could not create
	// the pending volume yet (it retries).
	StatusDescription string `json:"StatusDescription,omitempty"`

	CreateIndex uint64 `json:"CreateIndex"`
	CreateTime  int64  `json:"CreateTime"`
	ModifyIndex uint64 `json:"ModifyIndex"`
	ModifyTime  int64  `json:"ModifyTime"`

	// Allocations are the non-terminal allocations claiming the volume,
	// filled in by the read endpoints (not stored).
	Allocations []*AllocListStub `json:"Allocations,omitempty"`
}

// HostVolumeCapability is a requested attachment and access mode.
type HostVolumeCapability struct {
	AttachmentMode string `json:"AttachmentMode"`
	AccessMode     string `json:"AccessMode"`
}

// HostVolumeStub is a volume's list entry (api.HostVolumeStub).
type HostVolumeStub struct {
	Namespace     string `json:"Namespace"`
	ID            string `json:"ID"`
	Name          string `json:"Name"`
	PluginID      string `json:"PluginID"`
	NodePool      string `json:"NodePool"`
	NodeID        string `json:"NodeID"`
	CapacityBytes int64  `json:"CapacityBytes"`
	State         string `json:"State"`
	CreateIndex   uint64 `json:"CreateIndex"`
	CreateTime    int64  `json:"CreateTime"`
	ModifyIndex   uint64 `json:"ModifyIndex"`
	ModifyTime    int64  `json:"ModifyTime"`
}

// Stub returns the volume's list entry.
func (v *HostVolume) Stub() *HostVolumeStub {
	return &HostVolumeStub{Namespace: v.Namespace, ID: v.ID, Name: v.Name, PluginID: v.PluginID,
		NodePool: v.NodePool, NodeID: v.NodeID, CapacityBytes: v.CapacityBytes, State: v.State,
		CreateIndex: v.CreateIndex, CreateTime: v.CreateTime, ModifyIndex: v.ModifyIndex, ModifyTime: v.ModifyTime}
}

// Copy returns a deep copy (Allocations are shared: they are read-only
// stubs).
func (v *HostVolume) Copy() *HostVolume {
	if v == nil {
		return nil
	}
	c := *v
	c.Constraints = make([]*Constraint, 0, len(v.Constraints))
	for _, con := range v.Constraints {
		if con != nil {
			cc := *con
			c.Constraints = append(c.Constraints, &cc)
		}
	}
	c.RequestedCapabilities = nil
	for _, cp := range v.RequestedCapabilities {
		if cp != nil {
			cc := *cp
			c.RequestedCapabilities = append(c.RequestedCapabilities, &cc)
		}
	}
	c.Parameters = maps.Clone(v.Parameters)
	return &c
}

// The mkdir plugin's parameters.
const (
	HostVolumeParamMode = "mode"
	HostVolumeParamUID  = "uid"
	HostVolumeParamGID  = "gid"
)

var octalMode = regexp.MustCompile(`^0?[0-7]{3,4}$`)

// ValidateHostVolumeCreate checks a create request's volume: a good name,
// plugin "mkdir", capacities, constraints and the plugin's parameters.
// Errors name the field (Volume.Name, Volume.Parameters["mode"], ...).
func ValidateHostVolumeCreate(v *HostVolume) error {
	val := newValidator().at("Volume")
	if v == nil {
		val.fail("", "is required")
		return val.err()
	}
	if v.Name == "" {
		val.fail("Name", "is required")
	} else {
		checkName(val, "Name", v.Name, idRule)
	}
	switch v.PluginID {
	case "":
		val.fail("PluginID", "is required (the built-in plugin is %q)", HostVolumePluginMkdir)
	case HostVolumePluginMkdir:
	default:
		val.fail("PluginID", "unknown plugin %q: nomadlike has the built-in %q plugin only", v.PluginID, HostVolumePluginMkdir)
	}
	if v.RequestedCapacityMinBytes < 0 {
		val.fail("RequestedCapacityMinBytes", "must not be negative")
	}
	if v.RequestedCapacityMaxBytes < 0 {
		val.fail("RequestedCapacityMaxBytes", "must not be negative")
	}
	if v.RequestedCapacityMaxBytes > 0 && v.RequestedCapacityMinBytes > v.RequestedCapacityMaxBytes {
		val.fail("RequestedCapacityMaxBytes", "%d is less than the minimum %d", v.RequestedCapacityMaxBytes, v.RequestedCapacityMinBytes)
	}
	for i, c := range v.Constraints {
		if c == nil {
			val.fail(fmt.Sprintf("Constraints[%d]", i), "must not be null")
			continue
		}
		validateConstraint(val.at(fmt.Sprintf("Constraints[%d]", i)), c)
	}
	validateHostVolumeParams(val, v.Parameters)
	return val.err()
}

func validateHostVolumeParams(val validator, params map[string]string) {
	for _, k := range sortedKeys(params) {
		p := val.item("Parameters", strconv.Quote(k))
		s := params[k]
		switch k {
		case HostVolumeParamMode:
			if !octalMode.MatchString(s) {
				p.fail("", "%q is not an octal mode such as \"0755\"", s)
			} else if m, _ := strconv.ParseUint(s, 8, 32); m&0o7000 != 0 {
				p.fail("", "%q sets setuid, setgid or sticky bits; only permission bits are allowed", s)
			}
		case HostVolumeParamUID, HostVolumeParamGID:
			if n, err := strconv.ParseUint(s, 10, 32); err != nil || n >= 1<<31 {
				p.fail("", "%q is not a numeric ID", s)
			}
		default:
			p.fail("", "unknown parameter of the %q plugin (it takes %q, %q and %q)", HostVolumePluginMkdir,
				HostVolumeParamMode, HostVolumeParamUID, HostVolumeParamGID)
		}
	}
}

// HostVolumeMode returns the directory mode of the volume's parameters
// (default 0755); the parameters are validated.
func HostVolumeMode(params map[string]string) uint32 {
	if m, err := strconv.ParseUint(params[HostVolumeParamMode], 8, 32); err == nil {
		return uint32(m)
	}
	return 0o755
}

// HostVolumeOwner returns the uid and gid of the volume's parameters, -1
// when unset (the directory keeps the agent's).
func HostVolumeOwner(params map[string]string) (uid, gid int) {
	uid, gid = -1, -1
	if n, err := strconv.Atoi(params[HostVolumeParamUID]); err == nil {
		uid = n
	}
	if n, err := strconv.Atoi(params[HostVolumeParamGID]); err == nil {
		gid = n
	}
	return uid, gid
}

// ClaimsHostVolume reports whether allocation a, not finished on its
// client (a stopped allocation whose tasks still run counts), claims the
// node host volume name: a host volume request of its group whose source,
// per_alloc applied, is name.
func (a *Allocation) ClaimsHostVolume(name string) bool {
	if a == nil || a.Job == nil || a.ClientTerminalStatus() {
		return false
	}
	tg := a.Job.LookupTaskGroup(a.TaskGroup)
	if tg == nil {
		return false
	}
	for _, req := range tg.Volumes {
		if req != nil && req.Type == VolumeTypeHost && req.HostVolumeSource(a.Index()) == name {
			return true
		}
	}
	return false
}
