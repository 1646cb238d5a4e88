package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// TestDeployLeaderFailover: with 3 servers, the leader is killed while a
// rolling update is half done; the new leader's deployment watcher
// resumes from the raft state and the deployment completes, with at
// least 2 of the 3 allocations running at every sample.
func TestDeployLeaderFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
	defer cancel()
	c := newFaultCluster(t, clusterOptions{servers: 3, clients: 1})
	leader := c.waitLeader(c.servers, 60*time.Second)
	dir := t.TempDir()
	healthOperator(ctx, t, c.api, "fo")
	addr := leader.HTTPAddr()
	deployCLI(ctx, t, addr, 0, "job", "run", writeJobFile(t, dir, "v0.hcl", deployJob("fo", "v0", "exec sleep 1000", "")))

	sample := runningSampler(ctx, t, c.api, "fo")
	deployCLI(ctx, t, addr, 0, "job", "run", "-detach", writeJobFile(t, dir, "v1.hcl", deployJob("fo", "v1", "exec sleep 1000", "")))
	var dep *nomadlike.Deployment
	poll.UntilTrue(c.tb, 120*time.Second, "the rollout half done", func() bool {
		d, _, err := c.api().Jobs().LatestDeployment(ctx, "fo", nil)
		dep = d
		return err == nil && d != nil && d.JobVersion == 1 && d.TaskGroups["web"].HealthyAllocs >= 1
	})
	if dep.Status != nomadlike.DeploymentStatusRunning {
		t.Fatalf("deployment %s before the failover, want running", dep.Status)
	}
	leader.Kill()
	var survivors []*faultAgent
	for _, s := range c.servers {
		if s != leader {
			survivors = append(survivors, s)
		}
	}
	c.waitLeader(survivors, 60*time.Second)
	poll.UntilTrue(c.tb, 180*time.Second, "the deployment to complete under the new leader", func() bool {
		d, _, err := c.api().Deployments().Info(ctx, dep.ID, nil)
		return err == nil && d.Status == nomadlike.DeploymentStatusSuccessful
	})
	job, _, err := c.api().Jobs().Info(ctx, "fo", nil)
	if err != nil || job.Version != 1 || !job.Stable {
		t.Fatalf("job = %+v, %v; want version 1 stable", job, err)
	}
	if fewest, samples := sample(); fewest < 2 {
		t.Fatalf("fewest running allocations during the rollout = %d over %d samples, want >= 2", fewest, samples)
	}
}
