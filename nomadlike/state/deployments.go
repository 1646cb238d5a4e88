package state

import (
	"fmt"
	"sort"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// TableDeployments holds deployments (nomadlike.Deployment) by ID and by
// job (Namespace, JobID).
const TableDeployments = "deployment"

func deploymentsTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableDeployments,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:  {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			indexJob: {Name: indexJob, Indexer: nsIDIndex("JobID")},
		},
	}
}

// DeploymentByID returns the deployment or nil.
func (r *Reader) DeploymentByID(ws memdb.WatchSet, id string) (*nomadlike.Deployment, error) {
	return first[nomadlike.Deployment](r.txn(ws), ws, TableDeployments, indexID, id)
}

// Deployments returns the deployments of namespace ns (AllNamespaces:
// every one) whose ID starts with prefix, ordered by ID.
func (r *Reader) Deployments(ws memdb.WatchSet, ns, prefix string) ([]*nomadlike.Deployment, error) {
	keep := func(d *nomadlike.Deployment) bool { return ns == AllNamespaces || d.Namespace == ns }
	return list(r.txn(ws), ws, keep, TableDeployments, indexID+"_prefix", prefix)
}

// DeploymentsByJob returns the job's deployments, newest first.
func (r *Reader) DeploymentsByJob(ws memdb.WatchSet, ns, jobID string) ([]*nomadlike.Deployment, error) {
	return deploymentsByJob(r.txn(ws), ws, ns, jobID)
}

func deploymentsByJob(txn *memdb.Txn, ws memdb.WatchSet, ns, jobID string) ([]*nomadlike.Deployment, error) {
	out, err := list[nomadlike.Deployment](txn, ws, nil, TableDeployments, indexJob, ns, jobID)
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreateIndex > out[j].CreateIndex })
	return out, nil
}

// LatestDeploymentByJob returns the job's newest deployment or nil.
func (r *Reader) LatestDeploymentByJob(ws memdb.WatchSet, ns, jobID string) (*nomadlike.Deployment, error) {
	all, err := r.DeploymentsByJob(ws, ns, jobID)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	return all[0], nil
}

// JobDeployments is DeploymentsByJob for the scheduler (the optional
// scheduler.DeploymentState capability): newest first.
func (s *Snapshot) JobDeployments(ns, jobID string) ([]*nomadlike.Deployment, error) {
	return s.DeploymentsByJob(nil, ns, jobID)
}

// UpsertDeployment stores d at index (CreateIndex kept when it exists).
func (s *StateStore) UpsertDeployment(index uint64, d *nomadlike.Deployment) error {
	return s.writeTxn(func(txn *memdb.Txn) error { return upsertDeploymentTxn(txn, index, d) })
}

func upsertDeploymentTxn(txn *memdb.Txn, index uint64, in *nomadlike.Deployment) error {
	if in == nil || in.ID == "" {
		return fmt.Errorf("upsert deployment: %w: deployment needs an ID", nomadlike.ErrValidation)
	}
	d := in.Copy()
	existing, err := first[nomadlike.Deployment](txn, nil, TableDeployments, indexID, d.ID)
	if err != nil {
		return err
	}
	if existing != nil {
		d.CreateIndex, d.CreateTime = existing.CreateIndex, existing.CreateTime
	} else {
		d.CreateIndex = index
	}
	d.ModifyIndex = index
	return putDeployment(txn, index, d)
}

func putDeployment(txn *memdb.Txn, index uint64, d *nomadlike.Deployment) error {
	d.ModifyIndex = index
	if err := txn.Insert(TableDeployments, d); err != nil {
		return fmt.Errorf("insert deployment %q: %w", d.ID, err)
	}
	return bumpIndex(txn, TableDeployments, index)
}

// deploymentForUpdate returns a copy of the stored deployment, or an error
// wrapping nomadlike.ErrNotFound.
func deploymentForUpdate(txn *memdb.Txn, id string) (*nomadlike.Deployment, error) {
	d, err := first[nomadlike.Deployment](txn, nil, TableDeployments, indexID, id)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, fmt.Errorf("deployment %q: %w", id, nomadlike.ErrNotFound)
	}
	return d.Copy(), nil
}

// updateDeploymentStatusTxn applies u (at time at, unix nanos). A
// deployment that turns successful marks its job version stable.
func updateDeploymentStatusTxn(txn *memdb.Txn, index uint64, u *nomadlike.DeploymentStatusUpdate, at int64) error {
	d, err := deploymentForUpdate(txn, u.DeploymentID)
	if err != nil {
		return err
	}
	d.Status, d.StatusDescription = u.Status, u.StatusDescription
	if at != 0 {
		d.ModifyTime = at
	}
	if err := putDeployment(txn, index, d); err != nil {
		return err
	}
	if d.Status == nomadlike.DeploymentStatusSuccessful {
		return jobStabilityTxn(txn, index, d.Namespace, d.JobID, d.JobVersion, true)
	}
	return nil
}

// DeploymentStatusRequest is a deployment status change with, optionally,
// a job version to register (auto_revert's rollback) and an evaluation.
type DeploymentStatusRequest struct {
	Update *nomadlike.DeploymentStatusUpdate `json:"Update"`
	Job    *nomadlike.Job                    `json:"Job"`
	Eval   *nomadlike.Evaluation             `json:"Eval"`
}

// UpdateDeploymentStatus applies req at index in one transaction; at is
// the leader's time (unix nanos, 0 unknown). The evaluation's
// JobModifyIndex is set to the stored job's.
func (s *StateStore) UpdateDeploymentStatus(index uint64, req *DeploymentStatusRequest, at int64) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		if err := updateDeploymentStatusTxn(txn, index, req.Update, at); err != nil {
			return err
		}
		if req.Job != nil {
			if err := upsertJobTxn(txn, index, req.Job); err != nil {
				return fmt.Errorf("revert job %q: %w", req.Job.ID, err)
			}
		}
		return deploymentEvalTxn(txn, index, req.Eval)
	})
}

// deploymentEvalTxn writes eval (if any) with its job's JobModifyIndex.
func deploymentEvalTxn(txn *memdb.Txn, index uint64, eval *nomadlike.Evaluation) error {
	if eval == nil {
		return nil
	}
	job, err := first[nomadlike.Job](txn, nil, TableJobs, indexID, eval.Namespace, eval.JobID)
	if err != nil {
		return err
	}
	if job != nil {
		eval.JobModifyIndex = job.JobModifyIndex
	}
	js := jobSet{}
	if err := upsertEvalsTxn(txn, index, []*nomadlike.Evaluation{eval}, js); err != nil {
		return err
	}
	return refreshStatuses(txn, index, js)
}

// DeploymentPromoteRequest promotes the canaries of a deployment: every
// group (All) or the named Groups.
type DeploymentPromoteRequest struct {
	DeploymentID string                `json:"DeploymentID"`
	All          bool                  `json:"All"`
	Groups       []string              `json:"Groups"`
	Eval         *nomadlike.Evaluation `json:"Eval"`
}

// UpdateDeploymentPromotion promotes canaries. It fails (nomadlike.ErrValidation)
// when the deployment is not running, a named group has no canaries, or a
// group's canaries are not all healthy.
func (s *StateStore) UpdateDeploymentPromotion(index uint64, req *DeploymentPromoteRequest, at int64) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		d, err := deploymentForUpdate(txn, req.DeploymentID)
		if err != nil {
			return err
		}
		if d.Status != nomadlike.DeploymentStatusRunning {
			return fmt.Errorf("%w: can't promote deployment %q with status %q", nomadlike.ErrValidation, d.ID, d.Status)
		}
		groups, err := promotedGroups(d, req)
		if err != nil {
			return err
		}
		for _, name := range groups {
			if err := checkCanariesHealthy(txn, d, name); err != nil {
				return err
			}
			d.TaskGroups[name].Promoted = true
		}
		if !d.RequiresPromotion() {
			d.StatusDescription = nomadlike.DeploymentDescRunning
		}
		if at != 0 {
			d.ModifyTime = at
		}
		if err := putDeployment(txn, index, d); err != nil {
			return err
		}
		return deploymentEvalTxn(txn, index, req.Eval)
	})
}

func promotedGroups(d *nomadlike.Deployment, req *DeploymentPromoteRequest) ([]string, error) {
	if req.All || len(req.Groups) == 0 {
		var out []string
		for _, n := range d.GroupNames() {
			if d.TaskGroups[n].DesiredCanaries > 0 {
				out = append(out, n)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%w: deployment %q has no canaries to promote", nomadlike.ErrValidation, d.ID)
		}
		return out, nil
	}
	for _, n := range req.Groups {
		g := d.TaskGroups[n]
		if g == nil || g.DesiredCanaries == 0 {
			return nil, fmt.Errorf("%w: deployment %q has no canaries in group %q", nomadlike.ErrValidation, d.ID, n)
		}
	}
	return req.Groups, nil
}

func checkCanariesHealthy(txn *memdb.Txn, d *nomadlike.Deployment, group string) error {
	g := d.TaskGroups[group]
	healthy := 0
	for _, id := range g.PlacedCanaries {
		a, err := first[nomadlike.Allocation](txn, nil, TableAllocs, indexID, id)
		if err != nil {
			return err
		}
		if a != nil && !a.TerminalStatus() && a.DeploymentStatus.IsHealthy() {
			healthy++
		}
	}
	if healthy < g.DesiredCanaries {
		return fmt.Errorf("%w: task group %q has %d/%d healthy allocations", nomadlike.ErrValidation, group, healthy, g.DesiredCanaries)
	}
	return nil
}

// DeploymentAllocHealthRequest sets the health of allocations of a
// deployment (the allocation-health endpoint; manual health checks).
type DeploymentAllocHealthRequest struct {
	DeploymentID           string                `json:"DeploymentID"`
	HealthyAllocationIDs   []string              `json:"HealthyAllocationIDs"`
	UnhealthyAllocationIDs []string              `json:"UnhealthyAllocationIDs"`
	Timestamp              time.Time             `json:"Timestamp"`
	Eval                   *nomadlike.Evaluation `json:"Eval"`
}

// UpdateDeploymentAllocHealth applies req: every allocation must belong to
// the deployment (nomadlike.ErrValidation otherwise).
func (s *StateStore) UpdateDeploymentAllocHealth(index uint64, req *DeploymentAllocHealthRequest) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		d, err := deploymentForUpdate(txn, req.DeploymentID)
		if err != nil {
			return err
		}
		if !d.Active() {
			return fmt.Errorf("%w: deployment %q is %s", nomadlike.ErrValidation, d.ID, d.Status)
		}
		w := s.newAllocWrite(txn, index)
		set := func(ids []string, healthy bool) error {
			for _, id := range ids {
				if err := setAllocHealthTxn(txn, index, w, d.ID, id, healthy, req.Timestamp); err != nil {
					return err
				}
			}
			return nil
		}
		if err := set(req.HealthyAllocationIDs, true); err != nil {
			return err
		}
		if err := set(req.UnhealthyAllocationIDs, false); err != nil {
			return err
		}
		if err := w.sums.flush(); err != nil {
			return err
		}
		if err := bumpIndex(txn, TableAllocs, index); err != nil {
			return err
		}
		return deploymentEvalTxn(txn, index, req.Eval)
	})
}

func setAllocHealthTxn(txn *memdb.Txn, index uint64, w *allocWrite, depID, id string, healthy bool, ts time.Time) error {
	existing, err := first[nomadlike.Allocation](txn, nil, TableAllocs, indexID, id)
	if err != nil {
		return err
	}
	if existing == nil || existing.DeploymentID != depID {
		return fmt.Errorf("%w: allocation %q is not part of deployment %q", nomadlike.ErrValidation, id, depID)
	}
	cp := *existing
	ds := nomadlike.AllocDeploymentStatus{}
	if existing.DeploymentStatus != nil {
		ds = *existing.DeploymentStatus
	}
	h := healthy
	ds.Healthy, ds.Timestamp, ds.ModifyIndex = &h, ts, index
	cp.DeploymentStatus = &ds
	cp.ModifyIndex = index
	if err := txn.Insert(TableAllocs, &cp); err != nil {
		return fmt.Errorf("set health of alloc %q: %w", id, err)
	}
	return w.written(existing, &cp)
}

// mergeClientDeploymentStatus takes the health a client reports (Healthy,
// Timestamp) onto alloc, keeping what the servers own (Canary). An
// allocation outside deployments takes it too: the node drainer paces
// migrations on it (server/drainer).
func mergeClientDeploymentStatus(alloc *nomadlike.Allocation, in *nomadlike.AllocDeploymentStatus, index uint64) {
	if in == nil || in.Healthy == nil {
		return
	}
	ds := nomadlike.AllocDeploymentStatus{}
	if alloc.DeploymentStatus != nil {
		ds = *alloc.DeploymentStatus
	}
	if ds.Healthy != nil && *ds.Healthy == *in.Healthy {
		return
	}
	h := *in.Healthy
	ds.Healthy, ds.Timestamp, ds.ModifyIndex = &h, in.Timestamp, index
	alloc.DeploymentStatus = &ds
}

// trackDeploymentTxn counts the write of allocation cur over old (nil when
// new) in cur's deployment: placements, canaries, health, and the
// progress deadline (set at the first placement, extended by each healthy
// allocation).
func trackDeploymentTxn(txn *memdb.Txn, index uint64, old, cur *nomadlike.Allocation) error {
	if cur.DeploymentID == "" {
		return nil
	}
	sameDep := old != nil && old.DeploymentID == cur.DeploymentID
	placed := !sameDep
	becameHealthy := cur.DeploymentStatus.IsHealthy() && !(sameDep && old.DeploymentStatus.IsHealthy())
	becameUnhealthy := cur.DeploymentStatus.IsUnhealthy() && !(sameDep && old.DeploymentStatus.IsUnhealthy())
	if !placed && !becameHealthy && !becameUnhealthy {
		return nil
	}
	stored, err := first[nomadlike.Deployment](txn, nil, TableDeployments, indexID, cur.DeploymentID)
	if err != nil || stored == nil || stored.TaskGroups[cur.TaskGroup] == nil {
		return err
	}
	d := stored.Copy()
	g := d.TaskGroups[cur.TaskGroup]
	if placed {
		g.PlacedAllocs++
		if cur.DeploymentStatus.IsCanary() {
			g.PlacedCanaries = append(g.PlacedCanaries, cur.ID)
		}
		if g.ProgressDeadline > 0 && g.RequireProgressBy.IsZero() {
			g.RequireProgressBy = time.Unix(0, cur.CreateTime).UTC().Add(g.ProgressDeadline)
		}
	}
	if becameHealthy {
		g.HealthyAllocs++
		if g.ProgressDeadline > 0 {
			by := cur.DeploymentStatus.Timestamp.UTC().Add(g.ProgressDeadline)
			if by.After(g.RequireProgressBy) {
				g.RequireProgressBy = by
			}
		}
	}
	if becameUnhealthy {
		g.UnhealthyAllocs++
	}
	return putDeployment(txn, index, d)
}

// UpdateJobStability marks a version of a job stable or not; the current
// job too when it is that version.
func (s *StateStore) UpdateJobStability(index uint64, ns, jobID string, version uint64, stable bool) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		return jobStabilityTxn(txn, index, ns, jobID, version, stable)
	})
}

func jobStabilityTxn(txn *memdb.Txn, index uint64, ns, jobID string, version uint64, stable bool) error {
	v, err := first[nomadlike.Job](txn, nil, TableJobVersions, indexID, ns, jobID, version)
	if err != nil {
		return err
	}
	if v == nil {
		return fmt.Errorf("job %q version %d: %w", jobID, version, nomadlike.ErrJobNotFound)
	}
	cp := v.Copy()
	cp.Stable = stable
	if err := txn.Insert(TableJobVersions, cp); err != nil {
		return fmt.Errorf("mark job %q version %d stable: %w", jobID, version, err)
	}
	cur, err := first[nomadlike.Job](txn, nil, TableJobs, indexID, ns, jobID)
	if err != nil {
		return err
	}
	if cur != nil && cur.Version == version {
		c := cur.Copy()
		c.Stable = stable
		if err := txn.Insert(TableJobs, c); err != nil {
			return fmt.Errorf("mark job %q stable: %w", jobID, err)
		}
		if err := bumpIndex(txn, TableJobs, index); err != nil {
			return err
		}
	}
	return bumpIndex(txn, TableJobVersions, index)
}

// DeleteDeployments deletes deployments by ID (garbage collection);
// unknown IDs are skipped.
func (s *StateStore) DeleteDeployments(index uint64, ids []string) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		n := 0
		for _, id := range ids {
			c, err := txn.DeleteAll(TableDeployments, indexID, id)
			if err != nil {
				return fmt.Errorf("delete deployment %q: %w", id, err)
			}
			n += c
		}
		if n == 0 {
			return nil
		}
		return bumpIndex(txn, TableDeployments, index)
	})
}

// deleteJobDeploymentsTxn deletes the deployments of a purged job.
func deleteJobDeploymentsTxn(txn *memdb.Txn, index uint64, ns, jobID string) error {
	n, err := txn.DeleteAll(TableDeployments, indexJob, ns, jobID)
	if err != nil {
		return fmt.Errorf("delete deployments of job %q: %w", jobID, err)
	}
	if n == 0 {
		return nil
	}
	return bumpIndex(txn, TableDeployments, index)
}

// planDeploymentsTxn writes a plan's deployment changes.
func planDeploymentsTxn(txn *memdb.Txn, index uint64, req *ApplyPlanResultsRequest) error {
	if req.Deployment != nil {
		if err := upsertDeploymentTxn(txn, index, req.Deployment); err != nil {
			return err
		}
	}
	for _, u := range req.DeploymentUpdates {
		if err := updateDeploymentStatusTxn(txn, index, u, 0); err != nil {
			return err
		}
	}
	return nil
}
