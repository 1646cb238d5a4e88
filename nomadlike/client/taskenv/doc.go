// Package taskenv builds a task's environment (the NOMAD_* variables, meta,
// ports and the task's env block) and interpolates runtime variables —
// ${node.unique.id}, ${attr.cpu.arch}, ${meta.rack}, ${NOMAD_ALLOC_ID},
// ${env["PATH"]} — into strings and driver config maps. An Env is immutable
// and safe for concurrent use.
package taskenv
