package acl

import "fmt"

// Workload is who a workload identity speaks for: a task of an
// allocation of a job.
type Workload struct {
	Namespace, JobID, Group, Task, AllocID string
}

// WorkloadVariablePaths are the variable paths a workload may read (and
// list), as Nomad's implicit workload policy: nomad/jobs/JOB,
// nomad/jobs/JOB/GROUP and nomad/jobs/JOB/GROUP/TASK.
func WorkloadVariablePaths(job, group, task string) []string {
	base := "nomad/jobs/" + job
	return []string{base, base + "/" + group, base + "/" + group + "/" + task}
}

// WorkloadACL returns the rights of a workload identity: read and list
// the variables at WorkloadVariablePaths in its namespace, and read the
// services of its namespace (AllowServiceRead). Nothing else: no
// namespace capability, no node, agent or operator rights.
func WorkloadACL(w Workload) (*ACL, error) {
	rule := &NamespaceRule{Name: w.Namespace}
	for _, p := range WorkloadVariablePaths(w.JobID, w.Group, w.Task) {
		rule.Variables = append(rule.Variables, &VariablesPathRule{Path: p,
			Capabilities: []string{VariablesCapabilityRead, VariablesCapabilityList}})
	}
	a, err := Compile(&Policy{Name: "workload-identity", Namespaces: []*NamespaceRule{rule}})
	if err != nil {
		return nil, fmt.Errorf("workload ACL: %w", err)
	}
	wc := w
	a.workload = &wc
	return a, nil
}

// Workload returns the workload an ACL was made for, nil for a token's.
func (a *ACL) Workload() *Workload { return a.workload }

// AllowServiceRead reports whether services of namespace ns may be listed
// and read: namespace read-job, or a workload identity of ns (Nomad lets
// workloads read services for nomadService templates).
func (a *ACL) AllowServiceRead(ns string) bool {
	if a.workload != nil {
		return a.workload.Namespace == ns
	}
	return a.AllowNamespaceOperation(ns, NamespaceCapabilityReadJob)
}
