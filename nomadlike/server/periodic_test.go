package server

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// t0 is where the fake clocks start: two minutes past a five-minute mark.
var t0 = time.Date(2026, 3, 14, 10, 2, 0, 0, time.UTC)

func at(hhmm string) time.Time {
	t, err := time.Parse("15:04", hhmm)
	if err != nil {
		panic(err)
	}
	return time.Date(t0.Year(), t0.Month(), t0.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
}

func periodicJob(spec string, prohibitOverlap bool) *nomadlike.Job {
	j := fixture.BatchJob(1)
	j.Periodic = &nomadlike.PeriodicConfig{Enabled: true, Spec: spec, ProhibitOverlap: prohibitOverlap}
	j.Canonicalize()
	return j
}

func clockServer(t *testing.T, clock *fakeClock) *Server {
	t.Helper()
	cfg := testConfig(t)
	cfg.Clock = clock
	s := startServer(t, cfg)
	waitLeader(t, s)
	return s
}

// childIDs returns the IDs of the job's children, sorted.
func childIDs(t *testing.T, s *Server, parent *nomadlike.Job) []string {
	t.Helper()
	kids, err := s.State().JobsByParent(nil, parent.Namespace, parent.ID)
	if err != nil {
		t.Fatalf("JobsByParent: %v", err)
	}
	var ids []string
	for _, k := range kids {
		ids = append(ids, k.ID)
	}
	sort.Strings(ids)
	return ids
}

func waitChildren(t *testing.T, s *Server, parent *nomadlike.Job, want ...time.Time) {
	t.Helper()
	var ids []string
	for _, w := range want {
		ids = append(ids, nomadlike.PeriodicChildID(parent.ID, w))
	}
	sort.Strings(ids)
	poll.Until(t, 10*time.Second, fmt.Sprintf("children %v", ids), func() (bool, string) {
		got := childIDs(t, s, parent)
		return strings.Join(got, ",") == strings.Join(ids, ","), fmt.Sprintf("children %v", got)
	})
}

func TestPeriodicLaunchesOnSchedule(t *testing.T) {
	clock := newFakeClock(t0)
	s := clockServer(t, clock)
	job := periodicJob("*/5 * * * *", false)
	since := clock.calls()
	evalID, _, warnings, err := s.RegisterJob(job, false, 0)
	if err != nil || evalID != "" {
		t.Fatalf("RegisterJob = %q, %v; want no eval", evalID, err)
	}
	if !strings.Contains(warnings, "2026-03-14T10:05:00Z (in 3m0s)") {
		t.Errorf("register warning = %q, want the next launch time", warnings)
	}
	clock.waitSleep(t, "", since, at("10:05"))
	if got := childIDs(t, s, job); len(got) != 0 {
		t.Fatalf("children before the first launch time: %v", got)
	}

	since = clock.calls()
	clock.Set(at("10:05"))
	waitChildren(t, s, job, at("10:05"))
	clock.waitSleep(t, "", since, at("10:10"))
	clock.Set(at("10:10").Add(30 * time.Second))
	waitChildren(t, s, job, at("10:05"), at("10:10"))

	for _, id := range childIDs(t, s, job) {
		child, _ := s.State().JobByID(nil, job.Namespace, id)
		if child.ParentID != job.ID || child.Periodic != nil || child.TaskGroups[0].Count != 1 {
			t.Errorf("child %s = ParentID %q Periodic %+v", id, child.ParentID, child.Periodic)
		}
		evals, _ := s.State().EvalsByJob(nil, job.Namespace, id)
		var launches int
		for _, e := range evals {
			if e.TriggeredBy == nomadlike.EvalTriggerPeriodicJob {
				launches++
			}
		}
		if launches != 1 {
			t.Errorf("child %s has %d periodic-job evals, want 1", id, launches)
		}
	}
	rec, _ := s.State().PeriodicLaunchByID(nil, job.Namespace, job.ID)
	if rec == nil || !rec.Launch.Equal(at("10:10")) {
		t.Errorf("launch record = %+v, want 10:10", rec)
	}
	poll.Until(t, 10*time.Second, "children summary", func() (bool, string) {
		sum, _ := s.State().JobSummaryByID(nil, job.Namespace, job.ID)
		c := sum.Children
		return c != nil && c.Pending+c.Running+c.Dead == 2, fmt.Sprintf("children summary %+v", c)
	})

	// Stopping the parent stops the schedule.
	if _, _, err := s.DeregisterJob(job.Namespace, job.ID, false); err != nil {
		t.Fatal(err)
	}
	clock.Set(at("10:20"))
	// Register another periodic job and wait for the launcher to plan it:
	// by then it has seen the clock at 10:20 and the job stopped.
	other := periodicJob("0 11 * * *", false)
	since = clock.calls()
	if _, _, _, err := s.RegisterJob(other, false, 0); err != nil {
		t.Fatal(err)
	}
	clock.waitSleep(t, "", since, at("11:00"))
	if got := childIDs(t, s, job); len(got) != 2 {
		t.Errorf("a stopped periodic job launched: children %v", got)
	}
}

func TestPeriodicProhibitOverlap(t *testing.T) {
	clock := newFakeClock(t0)
	s := clockServer(t, clock) // no nodes: a child stays pending
	job := periodicJob("*/5 * * * *", true)
	if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	clock.Set(at("10:05"))
	waitChildren(t, s, job, at("10:05"))

	since := clock.calls()
	clock.Set(at("10:10"))
	clock.waitSleep(t, "", since, at("10:15"))
	if got := childIDs(t, s, job); len(got) != 1 {
		t.Fatalf("launched while the previous child was pending: children %v", got)
	}
	rec, _ := s.State().PeriodicLaunchByID(nil, job.Namespace, job.ID)
	if rec == nil || !rec.Launch.Equal(at("10:10")) {
		t.Fatalf("launch record = %+v, want the skipped 10:10 run recorded", rec)
	}

	// Once the child is dead, the next run launches.
	first, _ := s.State().JobByID(nil, job.Namespace, nomadlike.PeriodicChildID(job.ID, at("10:05")))
	if _, _, err := s.DeregisterJob(first.Namespace, first.ID, false); err != nil {
		t.Fatal(err)
	}
	clock.Set(at("10:15"))
	waitChildren(t, s, job, at("10:05"), at("10:15"))
}

func TestPeriodicForce(t *testing.T) {
	clock := newFakeClock(t0)
	s := clockServer(t, clock)
	job := periodicJob("0 12 * * *", true)
	if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	plain := fixture.BatchJob(1)
	if _, _, _, err := s.RegisterJob(plain, false, 0); err != nil {
		t.Fatal(err)
	}
	stopped := periodicJob("0 12 * * *", false)
	if _, _, _, err := s.RegisterJob(stopped, false, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.DeregisterJob(stopped.Namespace, stopped.ID, false); err != nil {
		t.Fatal(err)
	}
	errCases := []struct {
		name string
		id   string
		want error
	}{
		{"missing", "nope", nomadlike.ErrJobNotFound},
		{"not periodic", plain.ID, nomadlike.ErrValidation},
		{"stopped", stopped.ID, nomadlike.ErrConflict},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := s.ForcePeriodic(nomadlike.DefaultNamespace, tc.id); !errors.Is(err, tc.want) {
				t.Errorf("ForcePeriodic(%s) = %v, want %v", tc.id, err, tc.want)
			}
		})
	}

	// Twice in the same second, and despite prohibit_overlap: two children.
	var evals []string
	for i := 0; i < 2; i++ {
		evalID, index, err := s.ForcePeriodic(job.Namespace, job.ID)
		if err != nil || evalID == "" || index == 0 {
			t.Fatalf("ForcePeriodic = %q, %d, %v", evalID, index, err)
		}
		evals = append(evals, evalID)
	}
	waitChildren(t, s, job, t0, t0.Add(time.Second))
	for _, id := range evals {
		e, _ := s.State().EvalByID(nil, id)
		if e == nil || e.TriggeredBy != nomadlike.EvalTriggerPeriodicJob || e.JobID == job.ID {
			t.Errorf("forced eval %s = %+v", id, e)
		}
	}
}

// TestPeriodicLeaderChange moves leadership twice: once right after a
// launch (the new leader must neither repeat it nor miss the next), once
// while several runs go by (the new leader launches exactly one of them).
func TestPeriodicLeaderChange(t *testing.T) {
	clock := newFakeClock(t0)
	servers := inmemCluster(t, 3, func(i int, c *Config) { c.Clock = clock.view(fmt.Sprint(i)) })
	owner := func(s *Server) string {
		for i, x := range servers {
			if x == s {
				return fmt.Sprint(i)
			}
		}
		return "?"
	}
	leader := waitLeader(t, servers...)
	job := periodicJob("*/5 * * * *", false)
	if _, _, _, err := leader.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	clock.Set(at("10:05"))
	waitChildren(t, leader, job, at("10:05"))

	// moveLeader hands leadership to another server, then moves the clock
	// to now, and waits until the new leader's launcher has done whatever
	// it does on taking over and sleeps until next.
	moveLeader := func(old *Server, now, next time.Time) *Server {
		t.Helper()
		since := clock.calls()
		var l *Server
		moved := false
		poll.Until(t, 10*time.Second, "a new leader", func() (bool, string) {
			for _, s := range servers {
				if s != old && s.IsLeader() {
					l = s
					return true, ""
				}
			}
			// A transfer may end with the old leader elected again: ask
			// again whenever it leads.
			if old.IsLeader() {
				if err := old.raft.LeadershipTransfer().Error(); err != nil {
					return false, "LeadershipTransfer: " + err.Error()
				}
				if !moved {
					clock.Set(now)
					moved = true
				}
			}
			return false, "no other server leads yet"
		})
		clock.waitSleep(t, owner(l), since, next)
		return l
	}

	leader = moveLeader(leader, at("10:06"), at("10:10"))
	waitChildren(t, leader, job, at("10:05"))
	clock.Set(at("10:10"))
	waitChildren(t, leader, job, at("10:05"), at("10:10"))

	// 10:15, 10:20 and 10:25 go by during the change: one missed run.
	leader = moveLeader(leader, at("10:27"), at("10:30"))
	waitChildren(t, leader, job, at("10:05"), at("10:10"), at("10:27"))
	clock.Set(at("10:30"))
	waitChildren(t, leader, job, at("10:05"), at("10:10"), at("10:27"), at("10:30"))
}

func TestRegisterPeriodicBadSpec(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	cases := []struct {
		name, spec, tz, want string
	}{
		{"garbage", "every morning", "", "Periodic.Spec"},
		{"bad minute", "61 * * * *", "", "Periodic.Spec"},
		{"bad zone", "0 * * * *", "Nowhere/Land", "Periodic.TimeZone"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := periodicJob(tc.spec, false)
			job.Periodic.TimeZone = tc.tz
			_, _, _, err := s.RegisterJob(job, false, 0)
			if !errors.Is(err, nomadlike.ErrValidation) || !strings.Contains(err.Error(), tc.want+":") {
				t.Fatalf("RegisterJob(spec %q) = %v, want a validation error naming %s", tc.spec, err, tc.want)
			}
			if got, _ := s.State().JobByID(nil, job.Namespace, job.ID); got != nil {
				t.Errorf("a refused job was stored")
			}
		})
	}
}
