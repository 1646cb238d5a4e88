// Package jobspec turns a job file written in HCL2 (Nomad's job syntax) into
// a canonicalized, validated *nomadlike.Job.
//
// It evaluates variable blocks (set by defaults, -var-file files, NOMAD_VAR_x
// and NOMADLIKE_VAR_x environment variables and -var values), locals, the
// usual functions, for expressions and dynamic blocks. Interpolations that only
// the scheduler or client can resolve, such as ${node.unique.name},
// ${attr.kernel.name}, ${meta.rack} or ${NOMAD_PORT_http}, are kept as literal
// text. Every problem, including those job.Validate reports, comes back in an
// *Error as positioned diagnostics (file:line:col) with a source snippet.
package jobspec
