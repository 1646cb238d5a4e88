package nomadlike

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// DispatchPayloadSizeLimit is the largest payload, in bytes, a dispatch may
// carry (Nomad's limit). The payload travels in the job through raft and to
// every client that runs it, so it is kept small.
const DispatchPayloadSizeLimit = 16 * 1024

// PeriodicLaunch is the replicated record of a periodic job's last launch.
// A new leader computes the next launch from it, so a launch is neither
// missed nor repeated across leader changes. Registering a periodic job
// records its submission as the first "launch".
type PeriodicLaunch struct {
	ID          string    `json:"ID"`
	Namespace   string    `json:"Namespace"`
	Launch      time.Time `json:"Launch"`
	CreateIndex uint64    `json:"CreateIndex"`
	ModifyIndex uint64    `json:"ModifyIndex"`
}

// PeriodicChildID is the ID of the child a periodic job launches at t:
// "<parent>/periodic-<unix seconds>".
func PeriodicChildID(parentID string, t time.Time) string {
	return fmt.Sprintf("%s%s%d", parentID, PeriodicIDPrefix, t.Unix())
}

// PeriodicChild returns the job a periodic parent launches at t: a copy with
// the child's ID and name, ParentID set and no periodic block, ready to be
// registered. The caller owns the result.
func (j *Job) PeriodicChild(t time.Time) *Job {
	c := j.derive(PeriodicChildID(j.ID, t), t)
	c.Periodic = nil
	return c
}

// derive copies j as a new child job with the given ID, submitted at t.
func (j *Job) derive(id string, t time.Time) *Job {
	c := j.Copy()
	c.ID, c.Name, c.ParentID = id, id, j.ID
	c.Status, c.StatusDescription = "", ""
	c.Stable, c.Stop = false, false
	c.Version, c.CreateIndex, c.ModifyIndex, c.JobModifyIndex = 0, 0, 0, 0
	c.SubmitTime = t.UnixNano()
	return c
}

// DispatchRequest is what a dispatch of a parameterized job carries.
type DispatchRequest struct {
	// Payload is handed to the tasks' dispatch_payload files.
	Payload []byte
	// Meta is merged over the job's meta (the dispatch wins).
	Meta map[string]string
	// IDPrefixTemplate, when set, goes into the child's ID after
	// "dispatch-", so that children are easier to tell apart.
	IDPrefixTemplate string
}

// Dispatch checks req against the job's parameterized block and returns the
// child job dispatched at t, ID "<parent>/dispatch-[<template>-]<unix>-<8
// hex>", with Dispatched set, the payload, and the meta merged. A request
// that breaks the block's rules gets a *ValidationError naming each wrong
// field (Payload, Meta, IDPrefixTemplate); a job that is not a
// parameterized parent gets an error wrapping ErrValidation too.
func (j *Job) Dispatch(req DispatchRequest, t time.Time) (*Job, error) {
	if !j.IsParameterized() {
		return nil, fmt.Errorf("%w: not a parameterized job", ErrValidation)
	}
	v := newValidator()
	pj := j.ParameterizedJob
	switch {
	case pj.Payload == DispatchPayloadRequired && len(req.Payload) == 0:
		v.fail("Payload", "required by the job's parameterized block (payload = %q), none given", pj.Payload)
	case pj.Payload == DispatchPayloadForbidden && len(req.Payload) > 0:
		v.fail("Payload", "forbidden by the job's parameterized block (payload = %q), got %d bytes", pj.Payload, len(req.Payload))
	case len(req.Payload) > DispatchPayloadSizeLimit:
		v.fail("Payload", "%d bytes is more than the limit of %d", len(req.Payload), DispatchPayloadSizeLimit)
	}
	for _, k := range pj.MetaRequired {
		if _, ok := req.Meta[k]; !ok {
			v.fail("Meta", "missing required key %q", k)
		}
	}
	for _, k := range sortedKeys(req.Meta) {
		if !slices.Contains(pj.MetaRequired, k) && !slices.Contains(pj.MetaOptional, k) {
			allowed := append(slices.Clone(pj.MetaRequired), pj.MetaOptional...)
			if len(allowed) == 0 {
				v.fail("Meta", "unknown key %q: the job accepts no meta", k)
			} else {
				slices.Sort(allowed)
				v.fail("Meta", "unknown key %q (allowed: %s)", k, strings.Join(allowed, ", "))
			}
		}
	}
	if tmpl := req.IDPrefixTemplate; tmpl != "" {
		// It becomes part of the child's ID.
		checkName(v, "IDPrefixTemplate", tmpl, idRule)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	id := fmt.Sprintf("%s%s%d-%s", j.ID, DispatchIDPrefix, t.Unix(), GenerateUUID()[:8])
	if req.IDPrefixTemplate != "" {
		id = fmt.Sprintf("%s%s%s-%d-%s", j.ID, DispatchIDPrefix, req.IDPrefixTemplate, t.Unix(), GenerateUUID()[:8])
	}
	c := j.derive(id, t)
	c.Dispatched = true
	c.Payload = nil
	if len(req.Payload) > 0 {
		c.Payload = slices.Clone(req.Payload)
	}
	if len(req.Meta) > 0 {
		if c.Meta == nil {
			c.Meta = map[string]string{}
		}
		maps.Copy(c.Meta, req.Meta)
	}
	return c, nil
}
