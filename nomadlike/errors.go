package nomadlike

import "errors"

// Sentinel errors that callers branch on with errors.Is.
var (
	// ErrValidation is matched by every *ValidationError.
	ErrValidation = errors.New("validation failed")
	// ErrNotFound is wrapped by lookups of objects that do not exist.
	ErrNotFound = errors.New("not found")
	// ErrJobNotFound is returned when a job ID names no job.
	ErrJobNotFound = errors.New("job not found")
	// ErrNotLeader is returned by leader-only operations on a follower.
	ErrNotLeader = errors.New("not the leader")
	// ErrNoLeader is returned when the cluster has no known leader.
	ErrNoLeader = errors.New("no cluster leader")
	// ErrIndexMismatch is returned when a check-index write sees a newer object.
	ErrIndexMismatch = errors.New("index mismatch")
	// ErrConflict is returned when a write conflicts with the current state.
	ErrConflict = errors.New("conflict")
	// ErrPermission is returned when the caller may not perform an operation.
	ErrPermission = errors.New("permission denied")
	// ErrTokenNotFound is returned when a request's ACL secret names no
	// token, or an expired one (HTTP 403 "ACL token not found", as Nomad).
	ErrTokenNotFound = errors.New("ACL token not found")
)
