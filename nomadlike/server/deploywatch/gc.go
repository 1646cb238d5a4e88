package deploywatch

import (
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Collectable returns the IDs of the deployments garbage collection may
// delete: terminal ones last modified more than threshold before now
// (any age with force), except each job's latest deployment, which job
// status shows.
func Collectable(deps []*nomadlike.Deployment, now time.Time, threshold time.Duration, force bool) []string {
	latest := map[nomadlike.NamespacedID]*nomadlike.Deployment{}
	for _, d := range deps {
		k := nomadlike.NamespacedID{Namespace: d.Namespace, ID: d.JobID}
		if cur := latest[k]; cur == nil || d.CreateIndex > cur.CreateIndex {
			latest[k] = d
		}
	}
	var out []string
	for _, d := range deps {
		if d.Active() || latest[nomadlike.NamespacedID{Namespace: d.Namespace, ID: d.JobID}] == d {
			continue
		}
		if force || now.Sub(time.Unix(0, d.ModifyTime)) > threshold {
			out = append(out, d.ID)
		}
	}
	return out
}
