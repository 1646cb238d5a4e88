package nomadlike

// validateIdentity checks a task's identity block: a known change mode, a
// signal for change_mode signal, a non-negative ttl and a filepath inside
// the task directory.
func validateIdentity(v validator, id *WorkloadIdentity) {
	if id == nil {
		return
	}
	switch id.ChangeMode {
	case "", IdentityChangeNoop, IdentityChangeRestart:
	case IdentityChangeSignal:
		if id.ChangeSignal == "" {
			v.fail("ChangeSignal", "must be set when ChangeMode is signal")
		}
	default:
		v.fail("ChangeMode", "unknown change mode %q (want noop, signal or restart)", id.ChangeMode)
	}
	if id.TTL < 0 {
		v.fail("TTL", "must not be negative")
	}
	if id.Filepath != "" {
		if !id.File {
			v.fail("Filepath", "needs file = true (the token is written only when file is set)")
		}
		if escapesDir(id.Filepath) || id.Filepath == "." {
			v.fail("Filepath", "%q is not a path inside the task directory", id.Filepath)
		}
	}
}
