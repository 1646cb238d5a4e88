package nomadlike

import "time"

// Lifecycle hooks.
const (
	TaskLifecycleHookPrestart  = "prestart"
	TaskLifecycleHookPoststart = "poststart"
	TaskLifecycleHookPoststop  = "poststop"
)

// TaskLifecycleConfig runs a task before, beside or after the main tasks.
type TaskLifecycleConfig struct {
	Hook    string `json:"Hook"`
	Sidecar bool   `json:"Sidecar"`
}

// LogConfig bounds a task's rotated log files.
type LogConfig struct {
	MaxFiles      int  `json:"MaxFiles"`
	MaxFileSizeMB int  `json:"MaxFileSizeMB"`
	Disabled      bool `json:"Disabled"`
}

// TaskArtifact is a file the client fetches into the task dir before start.
type TaskArtifact struct {
	GetterSource  string            `json:"GetterSource"`
	GetterOptions map[string]string `json:"GetterOptions"`
	GetterHeaders map[string]string `json:"GetterHeaders"`
	GetterMode    string            `json:"GetterMode"`
	RelativeDest  string            `json:"RelativeDest"`
}

// Template is a file rendered into the task dir before start.
type Template struct {
	SourcePath   string        `json:"SourcePath"`
	DestPath     string        `json:"DestPath"`
	EmbeddedTmpl string        `json:"EmbeddedTmpl"`
	ChangeMode   string        `json:"ChangeMode"`
	ChangeSignal string        `json:"ChangeSignal"`
	Splay        time.Duration `json:"Splay"`
	Perms        string        `json:"Perms"`
	LeftDelim    string        `json:"LeftDelim"`
	RightDelim   string        `json:"RightDelim"`
	Envvars      bool          `json:"Envvars"`
	// ChangeScript is run inside the task when ChangeMode is "script".
	ChangeScript *ChangeScript `json:"ChangeScript,omitempty"`
	// Wait coalesces changes: a re-render waits until the data has been
	// quiet for Min, but no longer than Max.
	Wait *WaitConfig `json:"Wait,omitempty"`
	// Once renders the template before the first start and never again.
	Once bool `json:"Once,omitempty"`
	// ErrMissingKey fails the render when a template indexes a map (a
	// variable's items) with a key it does not have.
	ErrMissingKey bool `json:"ErrMissingKey,omitempty"`
}

// ChangeScript is a template's change_script block (Nomad's shape).
type ChangeScript struct {
	Command     string        `json:"Command"`
	Args        []string      `json:"Args"`
	Timeout     time.Duration `json:"Timeout"`
	FailOnError bool          `json:"FailOnError"`
}

// WaitConfig is a template's wait block (Nomad's shape).
type WaitConfig struct {
	Min time.Duration `json:"Min"`
	Max time.Duration `json:"Max"`
}

// DispatchPayloadConfig names the file a dispatched payload is written to.
type DispatchPayloadConfig struct {
	File string `json:"File"`
}

// VolumeRequest is a group-level request for a host or CSI volume.
type VolumeRequest struct {
	Name     string `json:"Name"`
	Type     string `json:"Type"`
	Source   string `json:"Source"`
	ReadOnly bool   `json:"ReadOnly"`
	PerAlloc bool   `json:"PerAlloc"`
}

// VolumeMount mounts a group volume into a task.
type VolumeMount struct {
	Volume          string `json:"Volume"`
	Destination     string `json:"Destination"`
	ReadOnly        bool   `json:"ReadOnly"`
	PropagationMode string `json:"PropagationMode"`
}

// Service registers a task or group with service discovery.
type Service struct {
	Name        string            `json:"Name"`
	TaskName    string            `json:"TaskName"`
	PortLabel   string            `json:"PortLabel"`
	AddressMode string            `json:"AddressMode"`
	Address     string            `json:"Address"`
	Tags        []string          `json:"Tags"`
	CanaryTags  []string          `json:"CanaryTags"`
	Checks      []*ServiceCheck   `json:"Checks"`
	Provider    string            `json:"Provider"`
	Meta        map[string]string `json:"Meta"`
	// CheckRestart applies to every check of the service that sets none.
	CheckRestart *CheckRestart `json:"CheckRestart"`
}

// CheckRestart restarts a task whose check keeps failing
// (nomadlike/client/checks).
type CheckRestart struct {
	// Limit is the number of consecutive failures that restart the task
	// (0: never).
	Limit int `json:"Limit"`
	// Grace ignores failures for this long after the task (re)starts.
	Grace time.Duration `json:"Grace"`
	// IgnoreWarnings counts a warning as passing.
	IgnoreWarnings bool `json:"IgnoreWarnings"`
}

// ServiceCheck is a health check of a service.
type ServiceCheck struct {
	Name          string              `json:"Name"`
	Type          string              `json:"Type"`
	Command       string              `json:"Command"`
	Args          []string            `json:"Args"`
	Path          string              `json:"Path"`
	Protocol      string              `json:"Protocol"`
	PortLabel     string              `json:"PortLabel"`
	AddressMode   string              `json:"AddressMode"`
	Interval      time.Duration       `json:"Interval"`
	Timeout       time.Duration       `json:"Timeout"`
	InitialStatus string              `json:"InitialStatus"`
	Method        string              `json:"Method"`
	Header        map[string][]string `json:"Header"`
	Body          string              `json:"Body"`
	TaskName      string              `json:"TaskName"`
	// Run by the client's check runner (nomadlike/client/checks).
	GRPCService            string        `json:"GRPCService"`
	GRPCUseTLS             bool          `json:"GRPCUseTLS"`
	TLSServerName          string        `json:"TLSServerName"`
	TLSSkipVerify          bool          `json:"TLSSkipVerify"`
	SuccessBeforePassing   int           `json:"SuccessBeforePassing"`
	FailuresBeforeCritical int           `json:"FailuresBeforeCritical"`
	OnUpdate               string        `json:"OnUpdate"`
	CheckRestart           *CheckRestart `json:"CheckRestart"`
}

// Copy returns a deep copy of the template.
func (t *Template) Copy() *Template {
	if t == nil {
		return nil
	}
	c := *t
	if t.ChangeScript != nil {
		cs := *t.ChangeScript
		cs.Args = append([]string(nil), t.ChangeScript.Args...)
		c.ChangeScript = &cs
	}
	c.Wait = copyPtr(t.Wait)
	return &c
}

// Check on_update modes: how a check counts for deployment health.
const (
	CheckOnUpdateRequireHealthy = "require_healthy"
	CheckOnUpdateIgnoreWarnings = "ignore_warnings"
	CheckOnUpdateIgnore         = "ignore"
)
