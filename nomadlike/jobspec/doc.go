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
//
// The whole of Nomad's job grammar is accepted: the decoder's specs
// (blockSpec) list, for each block, the attributes and blocks that land in
// the Job structs and those nomadlike keeps no field for (extra attributes
// and drop blocks, type-checked and dropped). Everything nomadlike does not
// act on is listed in noEffect and draws a warning at its place;
// ParseWarnings returns the warnings with the job, and with them the
// warnings of nomadlike.Job.CheckWarnings (checks Nomad does not make).
// The tests walk the specs (schemaItems) to keep noEffect, the list of
// implemented items and website/compatibility.md in step.
package jobspec
