package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/server"
)

var _ httpapi.Deployer = realBackend{}

// deployAgent is aclAgent with a scheduler worker and one ready node.
func deployAgent(t *testing.T) (*nomadapi.Client, *server.Server) {
	t.Helper()
	c, s := devServerAgent(t, "deploy-test", 1)
	if _, _, err := s.RegisterNode(fixture.Node(), ""); err != nil {
		t.Fatal(err)
	}
	return c, s
}

func manualJob() *nomadlike.Job {
	j := fixture.Job()
	j.ID, j.Name = "dweb", "dweb"
	j.TaskGroups[0].Count = 2
	j.TaskGroups[0].Update = &nomadlike.UpdateStrategy{MaxParallel: 1, HealthCheck: nomadlike.UpdateHealthCheckManual,
		HealthyDeadline: time.Minute, ProgressDeadline: 10 * time.Minute}
	return j
}

// TestDeploymentsWithNomadAPI drives the deployment routes with Nomad's
// own api package: a job with an update block gets a deployment, the
// operator sets its allocations' health, the watcher marks it successful
// and the job version stable; revert and stable change versions.
func TestDeploymentsWithNomadAPI(t *testing.T) {
	c, s := deployAgent(t)
	if _, _, _, err := s.RegisterJob(manualJob(), false, 0); err != nil {
		t.Fatal(err)
	}
	var dep *nomadapi.Deployment
	poll.UntilTrue(t, 15*time.Second, "deployment with 2 placed", func() bool {
		d, _, err := c.Jobs().LatestDeployment("dweb", nil)
		dep = d
		return err == nil && d != nil && d.TaskGroups["web"].PlacedAllocs == 2
	})
	if dep.Status != "running" || dep.JobVersion != 0 || dep.TaskGroups["web"].DesiredTotal != 2 || dep.TaskGroups["web"].RequireProgressBy.IsZero() {
		t.Fatalf("deployment = %+v %+v", dep, dep.TaskGroups["web"])
	}
	list, qm, err := c.Deployments().List(nil)
	if err != nil || len(list) != 1 || list[0].ID != dep.ID || qm.LastIndex == 0 {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if byJob, _, err := c.Jobs().Deployments("dweb", false, nil); err != nil || len(byJob) != 1 {
		t.Fatalf("Jobs().Deployments = %+v, %v", byJob, err)
	}
	allocs, _, err := c.Deployments().Allocations(dep.ID, nil)
	if err != nil || len(allocs) != 2 {
		t.Fatalf("Allocations = %d, %v", len(allocs), err)
	}

	if _, _, err := c.Deployments().Pause(dep.ID, true, nil); err != nil {
		t.Fatalf("Pause = %v", err)
	}
	if d, _, _ := c.Deployments().Info(dep.ID, nil); d.Status != "paused" {
		t.Fatalf("after Pause status = %s", d.Status)
	}
	if _, _, err := c.Deployments().Pause(dep.ID, false, nil); err != nil {
		t.Fatalf("resume = %v", err)
	}
	if _, _, err := c.Deployments().PromoteAll(dep.ID, nil); apiStatus(err) != http.StatusBadRequest {
		t.Errorf("PromoteAll without canaries = %v, want 400", err)
	}
	if _, _, err := c.Deployments().Unblock(dep.ID, nil); apiStatus(err) != http.StatusBadRequest || !strings.Contains(err.Error(), "not multiregion") {
		t.Errorf("Unblock = %v, want 400 not multiregion", err)
	}
	if _, _, err := c.Deployments().SetAllocHealth(dep.ID, []string{"nope"}, nil, nil); apiStatus(err) != http.StatusBadRequest {
		t.Errorf("SetAllocHealth(unknown alloc) = %v, want 400", err)
	}
	resp, _, err := c.Deployments().SetAllocHealth(dep.ID, []string{allocs[0].ID, allocs[1].ID}, nil, nil)
	if err != nil || resp.EvalID == "" {
		t.Fatalf("SetAllocHealth = %+v, %v", resp, err)
	}
	poll.UntilTrue(t, 15*time.Second, "successful deployment", func() bool {
		d, _, err := c.Deployments().Info(dep.ID, nil)
		return err == nil && d.Status == "successful" && d.TaskGroups["web"].HealthyAllocs == 2
	})
	versions, _, _, err := c.Jobs().Versions("dweb", false, nil)
	if err != nil || len(versions) != 1 || !*versions[0].Stable {
		t.Fatalf("Versions = %+v, %v; want version 0 stable", versions, err)
	}
	if _, _, err := c.Deployments().Fail(dep.ID, nil); apiStatus(err) != http.StatusBadRequest {
		t.Errorf("Fail(successful) = %v, want 400", err)
	}

	// Revert and stable.
	v1 := manualJob()
	v1.TaskGroups[0].Tasks[0].Env["V"] = "1"
	if _, _, _, err := s.RegisterJob(v1, false, 0); err != nil {
		t.Fatal(err)
	}
	prior := uint64(0)
	if _, _, err := c.Jobs().Revert("dweb", 0, &prior, nil, "", ""); apiStatus(err) != http.StatusConflict && apiStatus(err) != http.StatusBadRequest {
		t.Errorf("Revert with a wrong EnforcePriorVersion = %v, want a refusal", err)
	}
	rr, _, err := c.Jobs().Revert("dweb", 0, nil, nil, "", "")
	if err != nil || rr.EvalID == "" {
		t.Fatalf("Revert = %+v, %v", rr, err)
	}
	job, _, err := c.Jobs().Info("dweb", nil)
	if err != nil || *job.Version != 2 || job.TaskGroups[0].Tasks[0].Env["V"] != "" {
		t.Fatalf("job after Revert = version %d env %v, %v; want version 2 with version 0's spec", *job.Version, job.TaskGroups[0].Tasks[0].Env, err)
	}
	if _, _, err := c.Jobs().Stable("dweb", 1, true, nil); err != nil {
		t.Fatalf("Stable = %v", err)
	}
	versions, _, _, _ = c.Jobs().Versions("dweb", false, nil)
	for _, v := range versions {
		if *v.Version == 1 && !*v.Stable {
			t.Fatal("version 1 not stable after Stable")
		}
	}

	// A forced GC deletes the terminal deployments but the job's latest.
	// The schedulers make each version's deployment when they process its
	// evaluation, after the register returned.
	var all []*nomadapi.Deployment
	poll.UntilTrue(t, 15*time.Second, "a deployment per version (0, 1, 2)", func() bool {
		all, _, _ = c.Jobs().Deployments("dweb", false, nil)
		return len(all) == 3
	})
	if _, err := s.ForceGC(context.Background()); err != nil {
		t.Fatalf("ForceGC = %v", err)
	}
	left, _, _ := c.Jobs().Deployments("dweb", false, nil)
	if len(left) != 1 || left[0].ID != all[0].ID {
		t.Fatalf("deployments after GC = %d, want only the latest %s", len(left), all[0].ID)
	}
}
