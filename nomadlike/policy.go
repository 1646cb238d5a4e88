package nomadlike

import "time"

// Restart modes.
const (
	RestartPolicyModeDelay = "delay"
	RestartPolicyModeFail  = "fail"
)

// Reschedule delay functions.
const (
	DelayFunctionConstant    = "constant"
	DelayFunctionExponential = "exponential"
	DelayFunctionFibonacci   = "fibonacci"
)

// RestartPolicy says how the client restarts a failed task in place.
type RestartPolicy struct {
	Attempts        int           `json:"Attempts"`
	Interval        time.Duration `json:"Interval"`
	Delay           time.Duration `json:"Delay"`
	Mode            string        `json:"Mode"`
	RenderTemplates bool          `json:"RenderTemplates"`
}

// ReschedulePolicy says how the servers replace a failed allocation elsewhere.
type ReschedulePolicy struct {
	Attempts      int           `json:"Attempts"`
	Interval      time.Duration `json:"Interval"`
	Delay         time.Duration `json:"Delay"`
	DelayFunction string        `json:"DelayFunction"`
	MaxDelay      time.Duration `json:"MaxDelay"`
	Unlimited     bool          `json:"Unlimited"`
}

// UpdateStrategy controls rolling updates of service jobs.
type UpdateStrategy struct {
	Stagger          time.Duration `json:"Stagger"`
	MaxParallel      int           `json:"MaxParallel"`
	HealthCheck      string        `json:"HealthCheck"`
	MinHealthyTime   time.Duration `json:"MinHealthyTime"`
	HealthyDeadline  time.Duration `json:"HealthyDeadline"`
	ProgressDeadline time.Duration `json:"ProgressDeadline"`
	AutoRevert       bool          `json:"AutoRevert"`
	AutoPromote      bool          `json:"AutoPromote"`
	Canary           int           `json:"Canary"`
}

// Periodic spec types.
const PeriodicSpecCron = "cron"

// PeriodicConfig makes a batch job launch children on a cron schedule.
type PeriodicConfig struct {
	Enabled         bool   `json:"Enabled"`
	Spec            string `json:"Spec"`
	SpecType        string `json:"SpecType"`
	ProhibitOverlap bool   `json:"ProhibitOverlap"`
	TimeZone        string `json:"TimeZone"`
}

// Dispatch payload requirements.
const (
	DispatchPayloadForbidden = "forbidden"
	DispatchPayloadOptional  = "optional"
	DispatchPayloadRequired  = "required"
)

// ParameterizedJobConfig makes a job a template run through dispatch.
type ParameterizedJobConfig struct {
	Payload      string   `json:"Payload"`
	MetaRequired []string `json:"MetaRequired"`
	MetaOptional []string `json:"MetaOptional"`
	// MaxConcurrent (nomadlike's extension) is how many dispatched children
	// of the job run at once; further dispatches wait in line, oldest first
	// (see DispatchQueue). 0 means no limit.
	MaxConcurrent int `json:"MaxConcurrent,omitempty"`
}

// DefaultRestartPolicy returns Nomad's restart defaults for a job type.
func DefaultRestartPolicy(jobType string) *RestartPolicy {
	if jobType == JobTypeBatch || jobType == JobTypeSysBatch {
		return &RestartPolicy{Attempts: 3, Interval: 24 * time.Hour, Delay: 15 * time.Second, Mode: RestartPolicyModeFail}
	}
	return &RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: RestartPolicyModeFail}
}

// DefaultReschedulePolicy returns Nomad's reschedule defaults for a job type;
// system jobs are never rescheduled and get nil.
func DefaultReschedulePolicy(jobType string) *ReschedulePolicy {
	switch jobType {
	case JobTypeBatch:
		return &ReschedulePolicy{Attempts: 1, Interval: 24 * time.Hour, Delay: 5 * time.Second, DelayFunction: DelayFunctionConstant}
	case JobTypeService:
		return &ReschedulePolicy{Delay: 30 * time.Second, DelayFunction: DelayFunctionExponential, MaxDelay: time.Hour, Unlimited: true}
	}
	return nil
}

// DefaultUpdateStrategy returns Nomad's update defaults for service jobs.
func DefaultUpdateStrategy() *UpdateStrategy {
	return &UpdateStrategy{
		Stagger:          30 * time.Second,
		MaxParallel:      1,
		HealthCheck:      "checks",
		MinHealthyTime:   10 * time.Second,
		HealthyDeadline:  5 * time.Minute,
		ProgressDeadline: 10 * time.Minute,
	}
}

// NextDelay returns how long to wait before the next reschedule attempt given
// the delay of the previous one (0 for the first).
func (p *ReschedulePolicy) NextDelay(prev time.Duration, attempt int) time.Duration {
	if prev == 0 || p.DelayFunction == DelayFunctionConstant || p.DelayFunction == "" {
		return p.Delay
	}
	var d time.Duration
	switch p.DelayFunction {
	case DelayFunctionExponential:
		d = prev * 2
	case DelayFunctionFibonacci:
		// Approximation over the previous delay keeps this stateless.
		d = prev + prev*618/1000
	default:
		d = p.Delay
	}
	if p.MaxDelay > 0 && d > p.MaxDelay {
		d = p.MaxDelay
	}
	return d
}
