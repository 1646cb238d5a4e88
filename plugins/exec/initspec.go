package exec

import "github.com/nomadlike/nomadlike/plugins/exec/execinit"

// The task init lives in execinit, a package with few dependencies whose
// init function runs early in the re-executed binary.
const initArgv0 = execinit.Argv0

type (
	initSpec  = execinit.Spec
	bindMount = execinit.BindMount
)
