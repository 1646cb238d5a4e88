package state

import "errors"

// Errors returned by the store besides the domain sentinels it wraps
// (nomadlike.ErrNotFound, nomadlike.ErrJobNotFound, nomadlike.ErrConflict).
var (
	// ErrAbandoned is returned by a wait on a store that a restore replaced.
	ErrAbandoned = errors.New("state store abandoned")
	// ErrCorruptSnapshot is returned by RestoreFrom for input it cannot read.
	ErrCorruptSnapshot = errors.New("corrupt state snapshot")
)
