// Package render renders a task's template blocks into its directory.
// Templates are Go text/template with consul-template's names for the
// helpers that make sense without Consul or Vault: env, toUpper, toLower,
// trimSpace, split, join, replaceAll, contains, parseInt, parseBool,
// base64Encode, base64Decode, timestamp, and Nomad's data functions
// nomadVar, nomadVarExists, nomadVarList, nomadService and nomadServices,
// which read through a Data (package tmplwatch watches it) and record the
// dependencies an execution used and those still missing. Consul and Vault
// lookups (key, service, secret...) fail with ErrUnsupported.
//
// Sources and destinations are confined to the allocation directory and
// opened beneath its descriptor without following symbolic links (package
// drivers/beneath): a link on the way is refused, and a link at the
// destination itself is replaced by the rendered file (written to a
// temporary file and renamed). A template with env = true is parsed as
// KEY=VALUE lines for the task's environment. Errors never quote rendered
// values: they reach task events and logs.
package render
