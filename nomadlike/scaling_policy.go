package nomadlike

import (
	"crypto/sha256"
	"fmt"
	"maps"
)

// ScalingPolicyTypeHorizontal is the type of a group's scaling policy:
// it changes the group's count (Nomad's "horizontal").
const ScalingPolicyTypeHorizontal = "horizontal"

// Scaling target keys (Nomad's ScalingTargetNamespace, ...Job, ...Group).
const (
	ScalingTargetNamespace = "Namespace"
	ScalingTargetJob       = "Job"
	ScalingTargetGroup     = "Group"
)

// ScalingPolicy is a task group's scaling block (Nomad's ScalingPolicy):
// the bounds every count change is held to and, when Enabled, the
// autoscaler policy nomadlike's built-in autoscaler runs (Policy, in the
// Nomad Autoscaler's syntax; see ParseAutoscalePolicy). ID, Namespace,
// Type and Target are set by Canonicalize; CreateIndex and ModifyIndex
// are the job's when the policy is read.
type ScalingPolicy struct {
	ID          string            `json:"ID"`
	Namespace   string            `json:"Namespace"`
	Type        string            `json:"Type"`
	Target      map[string]string `json:"Target"`
	Min         *int64            `json:"Min"`
	Max         *int64            `json:"Max"`
	Policy      map[string]any    `json:"Policy"`
	Enabled     *bool             `json:"Enabled"`
	CreateIndex uint64            `json:"CreateIndex"`
	ModifyIndex uint64            `json:"ModifyIndex"`
}

// ScalingPolicyStub is a policy in a list (Nomad's ScalingPolicyListStub).
type ScalingPolicyStub struct {
	ID          string            `json:"ID"`
	Enabled     bool              `json:"Enabled"`
	Type        string            `json:"Type"`
	Target      map[string]string `json:"Target"`
	CreateIndex uint64            `json:"CreateIndex"`
	ModifyIndex uint64            `json:"ModifyIndex"`
}

// IsEnabled reports whether the policy is enabled (Nomad's default: true).
func (p *ScalingPolicy) IsEnabled() bool {
	return p != nil && (p.Enabled == nil || *p.Enabled)
}

// Stub returns the list form of the policy.
func (p *ScalingPolicy) Stub() *ScalingPolicyStub {
	return &ScalingPolicyStub{ID: p.ID, Enabled: p.IsEnabled(), Type: p.Type, Target: maps.Clone(p.Target),
		CreateIndex: p.CreateIndex, ModifyIndex: p.ModifyIndex}
}

// Copy returns a deep copy (Policy's leaves are shared; they are never
// changed in place).
func (p *ScalingPolicy) Copy() *ScalingPolicy {
	if p == nil {
		return nil
	}
	c := *p
	c.Target = maps.Clone(p.Target)
	c.Min, c.Max, c.Enabled = copyPtr(p.Min), copyPtr(p.Max), copyPtr(p.Enabled)
	c.Policy = maps.Clone(p.Policy)
	return &c
}

// ScalingPolicyID is the ID of the scaling policy of a job's group: a
// UUID-shaped digest of namespace, job and group, so that it stays the same
// across versions of the job, as Nomad keeps a policy's ID while its target
// is unchanged.
func ScalingPolicyID(namespace, job, group string) string {
	sum := sha256.Sum256([]byte(namespace + "\x00" + job + "\x00" + group))
	return fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
}

// canonicalizeScaling fills the server-set fields of tg's policy.
func (tg *TaskGroup) canonicalizeScaling(j *Job) {
	p := tg.Scaling
	if p == nil {
		return
	}
	p.ID = ScalingPolicyID(j.Namespace, j.ID, tg.Name)
	p.Namespace = j.Namespace
	if p.Type == "" {
		p.Type = ScalingPolicyTypeHorizontal
	}
	p.Target = map[string]string{ScalingTargetNamespace: j.Namespace, ScalingTargetJob: j.ID, ScalingTargetGroup: tg.Name}
}

// ScalingPolicyOf returns a copy of the scaling policy of job's group tg
// with the job's indexes, as the API shows it.
func ScalingPolicyOf(job *Job, tg *TaskGroup) *ScalingPolicy {
	p := tg.Scaling.Copy()
	if p.ID == "" { // a job stored before canonicalize set it
		p.ID = ScalingPolicyID(job.Namespace, job.ID, tg.Name)
		p.Namespace = job.Namespace
		p.Target = map[string]string{ScalingTargetNamespace: job.Namespace, ScalingTargetJob: job.ID, ScalingTargetGroup: tg.Name}
	}
	if p.Type == "" {
		p.Type = ScalingPolicyTypeHorizontal
	}
	p.CreateIndex, p.ModifyIndex = job.CreateIndex, job.JobModifyIndex
	return p
}

// validateScaling checks the group's scaling block: min <= count <= max,
// each naming the field, and the autoscaler policy when there is one.
func (tg *TaskGroup) validateScaling(v validator) {
	p := tg.Scaling
	if p == nil {
		return
	}
	sv := v.at("Scaling")
	if p.Type != "" && p.Type != ScalingPolicyTypeHorizontal {
		sv.fail("Type", "unknown scaling policy type %q: a group's policy is %q", p.Type, ScalingPolicyTypeHorizontal)
	}
	if p.Max == nil {
		sv.fail("Max", "missing: a scaling block needs max")
	} else if *p.Max < 0 {
		sv.fail("Max", "must be >= 0, got %d", *p.Max)
	}
	if p.Min != nil && *p.Min < 0 {
		sv.fail("Min", "must be >= 0, got %d", *p.Min)
	}
	if p.Min != nil && p.Max != nil && *p.Min > *p.Max {
		sv.fail("Min", "%d is more than max %d", *p.Min, *p.Max)
	} else if err := CheckScalingBounds(p, int64(tg.Count)); err != "" {
		v.fail("Count", "%s", err)
	}
	if len(p.Policy) > 0 {
		_, errs := ParseAutoscalePolicy(p.Policy)
		for _, e := range errs {
			sv.at("Policy").fail(e.Path, "%s", e.Message)
		}
	}
}

// CheckScalingBounds returns why count is outside p's min and max, or ""
// when it is within them (or p is nil).
func CheckScalingBounds(p *ScalingPolicy, count int64) string {
	switch {
	case p == nil:
		return ""
	case p.Min != nil && count < *p.Min:
		return fmt.Sprintf("%d is less than the scaling block's min %d", count, *p.Min)
	case p.Max != nil && count > *p.Max:
		return fmt.Sprintf("%d is more than the scaling block's max %d", count, *p.Max)
	}
	return ""
}
