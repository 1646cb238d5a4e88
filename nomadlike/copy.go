package nomadlike

import (
	"maps"
	"slices"
)

func copyPtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

func copyList[T any](in []*T, f func(*T) *T) []*T {
	if in == nil {
		return nil
	}
	out := make([]*T, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

func copyStrings(in []string) []string {
	if in == nil {
		return nil
	}
	return append([]string(nil), in...)
}

// Copy returns a deep copy of the job.
func (j *Job) Copy() *Job {
	if j == nil {
		return nil
	}
	c := *j
	c.Datacenters = copyStrings(j.Datacenters)
	c.Constraints = copyList(j.Constraints, copyPtr[Constraint])
	c.Affinities = copyList(j.Affinities, copyPtr[Affinity])
	c.Spreads = copyList(j.Spreads, copySpread)
	c.TaskGroups = copyList(j.TaskGroups, (*TaskGroup).Copy)
	c.Update = copyPtr(j.Update)
	c.Migrate = copyPtr(j.Migrate)
	c.Periodic = copyPtr(j.Periodic)
	if j.ParameterizedJob != nil {
		p := *j.ParameterizedJob
		p.MetaRequired = copyStrings(p.MetaRequired)
		p.MetaOptional = copyStrings(p.MetaOptional)
		c.ParameterizedJob = &p
	}
	if j.Payload != nil {
		c.Payload = append([]byte(nil), j.Payload...)
	}
	c.Meta = maps.Clone(j.Meta)
	c.Outcome = copyPtr(j.Outcome)
	c.Rerun = j.Rerun.Copy()
	c.DependsOn = copyList(j.DependsOn, copyPtr[JobDependency])
	return &c
}

func copySpread(s *Spread) *Spread {
	if s == nil {
		return nil
	}
	c := *s
	c.SpreadTarget = copyList(s.SpreadTarget, copyPtr[SpreadTarget])
	return &c
}

// Copy returns a deep copy of the task group.
func (tg *TaskGroup) Copy() *TaskGroup {
	if tg == nil {
		return nil
	}
	c := *tg
	c.Update = copyPtr(tg.Update)
	c.Migrate = copyPtr(tg.Migrate)
	c.Constraints = copyList(tg.Constraints, copyPtr[Constraint])
	c.Affinities = copyList(tg.Affinities, copyPtr[Affinity])
	c.Spreads = copyList(tg.Spreads, copySpread)
	c.RestartPolicy = copyPtr(tg.RestartPolicy)
	c.ReschedulePolicy = copyPtr(tg.ReschedulePolicy)
	c.EphemeralDisk = copyPtr(tg.EphemeralDisk)
	c.Networks = copyList(tg.Networks, (*NetworkResource).Copy)
	c.Services = copyList(tg.Services, (*Service).Copy)
	if tg.Volumes != nil {
		c.Volumes = make(map[string]*VolumeRequest, len(tg.Volumes))
		for k, v := range tg.Volumes {
			c.Volumes[k] = copyPtr(v)
		}
	}
	c.Tasks = copyList(tg.Tasks, (*Task).Copy)
	c.Meta = maps.Clone(tg.Meta)
	c.ShutdownDelay = copyPtr(tg.ShutdownDelay)
	c.DependsOn = copyList(tg.DependsOn, copyPtr[GroupDependency])
	c.Scaling = tg.Scaling.Copy()
	return &c
}

// Copy returns a deep copy of the task.
func (t *Task) Copy() *Task {
	if t == nil {
		return nil
	}
	c := *t
	c.Config = copyAnyMap(t.Config)
	c.Env = maps.Clone(t.Env)
	c.Services = copyList(t.Services, (*Service).Copy)
	c.Templates = copyList(t.Templates, (*Template).Copy)
	c.Constraints = copyList(t.Constraints, copyPtr[Constraint])
	c.Affinities = copyList(t.Affinities, copyPtr[Affinity])
	c.Resources = t.Resources.Copy()
	c.RestartPolicy = copyPtr(t.RestartPolicy)
	c.DispatchPayload = copyPtr(t.DispatchPayload)
	c.Lifecycle = copyPtr(t.Lifecycle)
	if t.Identity != nil {
		id := *t.Identity
		id.Audience = append([]string(nil), t.Identity.Audience...)
		c.Identity = &id
	}
	c.Meta = maps.Clone(t.Meta)
	c.LogConfig = copyPtr(t.LogConfig)
	c.Artifacts = copyList(t.Artifacts, func(a *TaskArtifact) *TaskArtifact {
		if a == nil {
			return nil
		}
		ac := *a
		ac.GetterOptions = maps.Clone(a.GetterOptions)
		ac.GetterHeaders = maps.Clone(a.GetterHeaders)
		return &ac
	})
	c.VolumeMounts = copyList(t.VolumeMounts, copyPtr[VolumeMount])
	return &c
}

func copyAnyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyAny(v)
	}
	return out
}

func copyAny(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return copyAnyMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyAny(e)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(x))
		for i, e := range x {
			out[i] = copyAnyMap(e)
		}
		return out
	}
	return v
}

// Copy returns a deep copy of the resources.
func (r *Resources) Copy() *Resources {
	if r == nil {
		return nil
	}
	c := *r
	c.Networks = copyList(r.Networks, (*NetworkResource).Copy)
	return &c
}

// Copy returns a deep copy of the network.
func (n *NetworkResource) Copy() *NetworkResource {
	if n == nil {
		return nil
	}
	c := *n
	if n.ReservedPorts != nil {
		c.ReservedPorts = append([]Port(nil), n.ReservedPorts...)
	}
	if n.DynamicPorts != nil {
		c.DynamicPorts = append([]Port(nil), n.DynamicPorts...)
	}
	c.DNS = n.DNS.Copy()
	c.CNI = n.CNI.Copy()
	return &c
}

// Copy returns a deep copy of the service.
func (s *Service) Copy() *Service {
	if s == nil {
		return nil
	}
	c := *s
	c.Tags = copyStrings(s.Tags)
	c.CanaryTags = copyStrings(s.CanaryTags)
	c.Meta = maps.Clone(s.Meta)
	if s.CheckRestart != nil {
		cr := *s.CheckRestart
		c.CheckRestart = &cr
	}
	c.Checks = copyList(s.Checks, func(ch *ServiceCheck) *ServiceCheck {
		if ch == nil {
			return nil
		}
		cc := *ch
		cc.Args = copyStrings(ch.Args)
		if ch.CheckRestart != nil {
			cr := *ch.CheckRestart
			cc.CheckRestart = &cr
		}
		if ch.Header != nil {
			cc.Header = make(map[string][]string, len(ch.Header))
			for k, v := range ch.Header {
				cc.Header[k] = copyStrings(v)
			}
		}
		return &cc
	})
	return &c
}

// Copy returns a deep copy of the allocation. The Job pointer is shared:
// jobs stored in the state store are immutable.
func (a *Allocation) Copy() *Allocation {
	if a == nil {
		return nil
	}
	c := *a
	if a.AllocatedResources != nil {
		ar := &AllocatedResources{Shared: a.AllocatedResources.Shared}
		ar.Shared.Networks = copyList(a.AllocatedResources.Shared.Networks, (*NetworkResource).Copy)
		if a.AllocatedResources.Shared.Ports != nil {
			ar.Shared.Ports = append([]AllocatedPort(nil), a.AllocatedResources.Shared.Ports...)
		}
		if a.AllocatedResources.Tasks != nil {
			ar.Tasks = make(map[string]*AllocatedTaskResources, len(a.AllocatedResources.Tasks))
			for k, t := range a.AllocatedResources.Tasks {
				tc := *t
				tc.Networks = copyList(t.Networks, (*NetworkResource).Copy)
				ar.Tasks[k] = &tc
			}
		}
		c.AllocatedResources = ar
	}
	c.Metrics = copyPtr(a.Metrics)
	c.NetworkStatus = a.NetworkStatus.Copy()
	if a.DeploymentStatus != nil {
		ds := *a.DeploymentStatus
		if ds.Healthy != nil {
			h := *ds.Healthy
			ds.Healthy = &h
		}
		c.DeploymentStatus = &ds
	}
	if a.TaskStates != nil {
		c.TaskStates = make(map[string]*TaskState, len(a.TaskStates))
		for k, ts := range a.TaskStates {
			c.TaskStates[k] = ts.Copy()
		}
	}
	if a.RescheduleTracker != nil {
		c.RescheduleTracker = &RescheduleTracker{Events: copyList(a.RescheduleTracker.Events, copyPtr[RescheduleEvent])}
	}
	return &c
}

// Copy returns a deep copy of the task state.
func (ts *TaskState) Copy() *TaskState {
	if ts == nil {
		return nil
	}
	c := *ts
	c.Events = copyList(ts.Events, func(e *TaskEvent) *TaskEvent {
		if e == nil {
			return nil
		}
		ec := *e
		ec.Details = maps.Clone(e.Details)
		return &ec
	})
	c.DriverNetwork = ts.DriverNetwork.Copy()
	return &c
}

// Copy returns a deep copy of the node.
func (n *Node) Copy() *Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Attributes = maps.Clone(n.Attributes)
	c.Meta = maps.Clone(n.Meta)
	if n.NodeResources != nil {
		nr := *n.NodeResources
		nr.Networks = copyList(n.NodeResources.Networks, (*NetworkResource).Copy)
		c.NodeResources = &nr
	}
	c.ReservedResources = copyPtr(n.ReservedResources)
	if n.Drivers != nil {
		c.Drivers = make(map[string]*DriverInfo, len(n.Drivers))
		for k, d := range n.Drivers {
			dc := *d
			dc.Attributes = maps.Clone(d.Attributes)
			dc.ConfigSchema = slices.Clone(d.ConfigSchema)
			c.Drivers[k] = &dc
		}
	}
	c.DrainStrategy = copyPtr(n.DrainStrategy)
	c.HostVolumes = copyHostVolumes(n.HostVolumes)
	return &c
}

// Copy returns a deep copy of the evaluation.
func (e *Evaluation) Copy() *Evaluation {
	if e == nil {
		return nil
	}
	c := *e
	if e.FailedTGAllocs != nil {
		c.FailedTGAllocs = make(map[string]*AllocMetric, len(e.FailedTGAllocs))
		for k, m := range e.FailedTGAllocs {
			c.FailedTGAllocs[k] = m.Copy()
		}
	}
	c.ClassEligibility = maps.Clone(e.ClassEligibility)
	c.QueuedAllocations = maps.Clone(e.QueuedAllocations)
	return &c
}

// Copy returns a deep copy of the metric.
func (m *AllocMetric) Copy() *AllocMetric {
	if m == nil {
		return nil
	}
	c := *m
	c.NodesAvailable = maps.Clone(m.NodesAvailable)
	c.ClassFiltered = maps.Clone(m.ClassFiltered)
	c.ConstraintFiltered = maps.Clone(m.ConstraintFiltered)
	c.ClassExhausted = maps.Clone(m.ClassExhausted)
	c.DimensionExhausted = maps.Clone(m.DimensionExhausted)
	c.ScoreMetaData = copyList(m.ScoreMetaData, func(s *NodeScoreMeta) *NodeScoreMeta {
		sc := *s
		sc.Scores = maps.Clone(s.Scores)
		return &sc
	})
	return &c
}
