package state

import (
	"errors"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func TestUpsertJobVersions(t *testing.T) {
	cases := []struct {
		name        string
		change      func(j *nomadlike.Job) // applied to a copy of the first job for the second upsert
		wantVersion uint64
		wantJMI     uint64 // JobModifyIndex after the second upsert at index 20
	}{
		{"same spec keeps version", func(j *nomadlike.Job) {}, 0, 10},
		{"submit time ignored", func(j *nomadlike.Job) { j.SubmitTime = 12345 }, 0, 10},
		{"status ignored", func(j *nomadlike.Job) { j.Status = nomadlike.JobStatusDead; j.StatusDescription = "x" }, 0, 10},
		{"indexes ignored", func(j *nomadlike.Job) { j.CreateIndex, j.ModifyIndex, j.JobModifyIndex, j.Version = 1, 2, 3, 9 }, 0, 10},
		{"count change bumps", func(j *nomadlike.Job) { j.TaskGroups[0].Count++ }, 1, 20},
		{"meta change bumps", func(j *nomadlike.Job) { j.Meta["k"] = "v" }, 1, 20},
		{"stop bumps", func(j *nomadlike.Job) { j.Stop = true }, 1, 20},
		{"task env change bumps", func(j *nomadlike.Job) { j.TaskGroups[0].Tasks[0].Env["X"] = "y" }, 1, 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			job := fixture.Job()
			first := storeJob(t, s, 10, job)
			if first.Version != 0 || first.CreateIndex != 10 || first.ModifyIndex != 10 || first.JobModifyIndex != 10 {
				t.Fatalf("first upsert = version %d, indexes %d/%d/%d; want 0, 10/10/10",
					first.Version, first.CreateIndex, first.ModifyIndex, first.JobModifyIndex)
			}
			next := job.Copy()
			tc.change(next)
			got := storeJob(t, s, 20, next)
			if got.Version != tc.wantVersion || got.JobModifyIndex != tc.wantJMI {
				t.Errorf("UpsertJob = version %d, JobModifyIndex %d; want %d, %d", got.Version, got.JobModifyIndex, tc.wantVersion, tc.wantJMI)
			}
			if got.CreateIndex != 10 || got.ModifyIndex != 20 {
				t.Errorf("UpsertJob indexes = create %d modify %d, want 10, 20", got.CreateIndex, got.ModifyIndex)
			}
			versions, err := s.JobVersionsByID(nil, job.Namespace, job.ID)
			must(t, err)
			if want := int(tc.wantVersion) + 1; len(versions) != want {
				t.Errorf("JobVersionsByID = %d versions, want %d", len(versions), want)
			}
			if idx, _ := s.Index(TableJobs); idx != 20 {
				t.Errorf("Index(jobs) = %d, want 20", idx)
			}
			if job.CreateIndex != 0 || job.Version != 0 {
				t.Errorf("UpsertJob modified its argument: %+v", job)
			}
		})
	}
}

func TestJobVersionsKeepsLastSix(t *testing.T) {
	s := newStore(t)
	job := fixture.Job()
	other := job.Copy()
	other.ID = job.ID + "2" // a prefix sibling must not show in job's versions
	storeJob(t, s, 1, other)
	for i := 0; i < 9; i++ {
		j := job.Copy()
		j.TaskGroups[0].Count = i + 1
		storeJob(t, s, uint64(10+i), j)
	}
	versions, err := s.JobVersionsByID(nil, job.Namespace, job.ID)
	must(t, err)
	var got []uint64
	for _, v := range versions {
		got = append(got, v.Version)
	}
	want := []uint64{8, 7, 6, 5, 4, 3}
	if len(got) != len(want) {
		t.Fatalf("JobVersionsByID versions = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("JobVersionsByID versions = %v, want %v", got, want)
		}
	}
	v5, err := s.JobByIDAndVersion(nil, job.Namespace, job.ID, 5)
	must(t, err)
	if v5 == nil || v5.TaskGroups[0].Count != 6 {
		t.Errorf("JobByIDAndVersion(5) = %+v, want count 6", v5)
	}
	if v0, _ := s.JobByIDAndVersion(nil, job.Namespace, job.ID, 0); v0 != nil {
		t.Errorf("JobByIDAndVersion(0) = version %d, want pruned", v0.Version)
	}
}

func TestJobsListing(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertNamespaces(4, []*nomadlike.Namespace{{Name: "prod"}}))
	mk := func(ns, id string) {
		j := fixture.Job()
		j.Namespace, j.ID, j.Name = ns, id, id
		storeJob(t, s, 5, j)
	}
	mk("default", "web")
	mk("default", "web2")
	mk("default", "api")
	mk("prod", "web")
	cases := []struct {
		name, ns, prefix string
		want             []string
	}{
		{"all in ns", "default", "", []string{"default/api", "default/web", "default/web2"}},
		{"prefix", "default", "we", []string{"default/web", "default/web2"}},
		{"other ns", "prod", "", []string{"prod/web"}},
		{"all namespaces", AllNamespaces, "web", []string{"default/web", "default/web2", "prod/web"}},
		{"no match", "default", "zzz", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			jobs, err := s.Jobs(nil, tc.ns, tc.prefix)
			must(t, err)
			var got []string
			for _, j := range jobs {
				got = append(got, j.Namespace+"/"+j.ID)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("Jobs(%q, %q) = %v, want %v", tc.ns, tc.prefix, got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("Jobs(%q, %q) = %v, want %v", tc.ns, tc.prefix, got, tc.want)
				}
			}
		})
	}
}

func TestDeleteJob(t *testing.T) {
	s := newStore(t)
	job := fixture.Job()
	storeJob(t, s, 5, job)
	j2 := job.Copy()
	j2.Priority = 70
	storeJob(t, s, 6, j2)
	must(t, s.DeleteJob(7, job.Namespace, job.ID))
	if got, _ := s.JobByID(nil, job.Namespace, job.ID); got != nil {
		t.Errorf("JobByID after delete = %v, want nil", got)
	}
	if vs, _ := s.JobVersionsByID(nil, job.Namespace, job.ID); len(vs) != 0 {
		t.Errorf("JobVersionsByID after delete = %d versions, want 0", len(vs))
	}
	if sum, _ := s.JobSummaryByID(nil, job.Namespace, job.ID); sum != nil {
		t.Errorf("JobSummaryByID after delete = %v, want nil", sum)
	}
	for _, table := range []string{TableJobs, TableJobVersions, TableJobSummary} {
		if idx, _ := s.Index(table); idx != 7 {
			t.Errorf("Index(%s) = %d, want 7", table, idx)
		}
	}
	err := s.DeleteJob(8, job.Namespace, job.ID)
	if !errors.Is(err, nomadlike.ErrJobNotFound) {
		t.Errorf("DeleteJob(missing) = %v, want ErrJobNotFound", err)
	}
}

func TestJobStatus(t *testing.T) {
	node := fixture.Node()
	type setup struct {
		allocs []string // client statuses; "stop:<status>" for desired stop
		evals  []string // eval statuses
	}
	cases := []struct {
		name  string
		job   func(j *nomadlike.Job)
		setup setup
		want  string
	}{
		{"fresh job", nil, setup{}, nomadlike.JobStatusPending},
		{"pending eval no allocs", nil, setup{evals: []string{nomadlike.EvalStatusPending}}, nomadlike.JobStatusPending},
		{"blocked eval no allocs", nil, setup{evals: []string{nomadlike.EvalStatusBlocked}}, nomadlike.JobStatusPending},
		{"complete eval no allocs", nil, setup{evals: []string{nomadlike.EvalStatusComplete}}, nomadlike.JobStatusPending},
		{"running alloc", nil, setup{allocs: []string{nomadlike.AllocClientStatusRunning}}, nomadlike.JobStatusRunning},
		{"pending alloc", nil, setup{allocs: []string{nomadlike.AllocClientStatusPending}}, nomadlike.JobStatusRunning},
		{"all allocs terminal", nil, setup{
			allocs: []string{nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed},
			evals:  []string{nomadlike.EvalStatusComplete}}, nomadlike.JobStatusDead},
		{"terminal allocs with blocked eval", nil, setup{
			allocs: []string{nomadlike.AllocClientStatusFailed},
			evals:  []string{nomadlike.EvalStatusBlocked}}, nomadlike.JobStatusRunning},
		{"desired stop counts as terminal", nil, setup{
			allocs: []string{"stop:" + nomadlike.AllocClientStatusRunning}}, nomadlike.JobStatusDead},
		{"stopped job", func(j *nomadlike.Job) { j.Stop = true }, setup{
			allocs: []string{nomadlike.AllocClientStatusRunning}}, nomadlike.JobStatusDead},
		{"periodic parent", func(j *nomadlike.Job) {
			j.Type = nomadlike.JobTypeBatch
			j.Periodic = &nomadlike.PeriodicConfig{Enabled: true, Spec: "* * * * *"}
		}, setup{}, nomadlike.JobStatusRunning},
		{"parameterized parent", func(j *nomadlike.Job) {
			j.Type = nomadlike.JobTypeBatch
			j.ParameterizedJob = &nomadlike.ParameterizedJobConfig{}
		}, setup{}, nomadlike.JobStatusRunning},
		{"stopped periodic parent", func(j *nomadlike.Job) {
			j.Periodic = &nomadlike.PeriodicConfig{Enabled: true, Spec: "* * * * *"}
			j.Stop = true
		}, setup{}, nomadlike.JobStatusDead},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			job := fixture.Job()
			if tc.job != nil {
				tc.job(job)
			}
			stored := storeJob(t, s, 10, job)
			var evals []*nomadlike.Evaluation
			for _, st := range tc.setup.evals {
				evals = append(evals, evalFor(stored, st))
			}
			if len(evals) > 0 {
				must(t, s.UpsertEvals(11, evals))
			}
			var allocs []*nomadlike.Allocation
			for i, st := range tc.setup.allocs {
				a := allocFor(stored, node, i, st)
				if len(st) > 5 && st[:5] == "stop:" {
					a.ClientStatus = st[5:]
					a.DesiredStatus = nomadlike.AllocDesiredStatusStop
				}
				allocs = append(allocs, a)
			}
			if len(allocs) > 0 {
				must(t, s.UpsertAllocs(12, allocs))
			}
			got, err := s.JobByID(nil, job.Namespace, job.ID)
			must(t, err)
			if got.Status != tc.want {
				t.Errorf("job status = %q, want %q", got.Status, tc.want)
			}
		})
	}
}

func TestJobStatusFollowsAllocLife(t *testing.T) {
	s := newStore(t)
	node := fixture.Node()
	job := storeJob(t, s, 10, fixture.Job())
	status := func() string {
		t.Helper()
		j, err := s.JobByID(nil, job.Namespace, job.ID)
		must(t, err)
		return j.Status
	}
	if got := status(); got != nomadlike.JobStatusPending {
		t.Fatalf("status after register = %q, want pending", got)
	}
	a := allocFor(job, node, 0, nomadlike.AllocClientStatusPending)
	must(t, s.UpsertAllocs(11, []*nomadlike.Allocation{a}))
	if got := status(); got != nomadlike.JobStatusRunning {
		t.Fatalf("status with pending alloc = %q, want running", got)
	}
	done := &nomadlike.Allocation{ID: a.ID, ClientStatus: nomadlike.AllocClientStatusComplete}
	must(t, s.UpdateAllocsFromClient(12, []*nomadlike.Allocation{done}))
	if got := status(); got != nomadlike.JobStatusDead {
		t.Fatalf("status with complete alloc = %q, want dead", got)
	}
	j, _ := s.JobByID(nil, job.Namespace, job.ID)
	if j.ModifyIndex != 12 {
		t.Errorf("job ModifyIndex after status change = %d, want 12", j.ModifyIndex)
	}
	// A new pending eval (e.g. a reschedule) brings the job back to running.
	must(t, s.UpsertEvals(13, []*nomadlike.Evaluation{evalFor(job, nomadlike.EvalStatusPending)}))
	if got := status(); got != nomadlike.JobStatusRunning {
		t.Fatalf("status with pending eval after allocs = %q, want running", got)
	}
}
