package httpapi

import (
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// DiffJobs is old.Diff(new) (nomadlike.Job.Diff), kept under its old name.
func DiffJobs(old, new *nomadlike.Job) *api.JobDiff { return old.Diff(new) }
