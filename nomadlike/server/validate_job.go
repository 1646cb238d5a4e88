package server

import (
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/periodic"
)

// ValidateJob checks a job as RegisterJob would, writing nothing: the
// job's own checks, the cron spec, job_max_count and the namespace. It
// returns the warnings a register would (jobWarnings), or the first
// failing check's error (a *nomadlike.ValidationError for the job's own
// and count checks). It reads the local state, so any server can answer.
func (s *Server) ValidateJob(job *nomadlike.Job) (string, error) {
	job = job.Copy()
	job.Canonicalize()
	for _, check := range []func(*nomadlike.Job) error{
		(*nomadlike.Job).Validate, periodic.Validate, s.checkJobCount, s.checkNamespace,
	} {
		if err := check(job); err != nil {
			return "", err
		}
	}
	configWarnings, err := s.checkDriverConfigs(job) // driver config schemas (#20)
	if err != nil {
		return "", err
	}
	return jobWarnings(job, configWarnings), nil
}
