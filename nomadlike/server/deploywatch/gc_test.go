package deploywatch_test

import (
	"slices"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/server/deploywatch"
)

func TestCollectable(t *testing.T) {
	now := time.Unix(10_000, 0)
	dep := func(id, job, status string, createIndex uint64, age time.Duration) *nomadlike.Deployment {
		return &nomadlike.Deployment{ID: id, Namespace: "default", JobID: job, Status: status,
			CreateIndex: createIndex, ModifyTime: now.Add(-age).UnixNano()}
	}
	deps := []*nomadlike.Deployment{
		dep("old-ok", "web", nomadlike.DeploymentStatusSuccessful, 1, 2*time.Hour),
		dep("old-failed", "web", nomadlike.DeploymentStatusFailed, 2, 2*time.Hour),
		dep("young", "web", nomadlike.DeploymentStatusCancelled, 3, time.Minute),
		dep("latest", "web", nomadlike.DeploymentStatusSuccessful, 4, 3*time.Hour),
		dep("running", "api", nomadlike.DeploymentStatusRunning, 5, 3*time.Hour),
		dep("api-latest", "api", nomadlike.DeploymentStatusPaused, 6, 3*time.Hour),
	}
	cases := []struct {
		name  string
		force bool
		want  []string
	}{
		{name: "past the threshold", want: []string{"old-ok", "old-failed"}},
		{name: "force", force: true, want: []string{"old-ok", "old-failed", "young"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := deploywatch.Collectable(deps, now, time.Hour, tc.force)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("Collectable = %v, want %v", got, tc.want)
			}
		})
	}
}
