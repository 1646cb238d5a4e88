// Package render renders a task's template blocks into its directory before
// the task starts. Templates are Go text/template with consul-template's
// names for the helpers that make sense without Consul or Vault: env,
// toUpper, toLower, trimSpace, split, join, replaceAll, contains, parseInt,
// parseBool, base64Encode, base64Decode, timestamp. Consul and Vault lookups
// (key, service, secret...) fail with ErrUnsupported.
//
// Sources and destinations are confined to the allocation directory and
// opened beneath its descriptor without following symbolic links (package
// drivers/beneath): a link on the way is refused, and a link at the
// destination itself is replaced by the rendered file (written to a
// temporary file and renamed). A template with env = true is parsed as
// KEY=VALUE lines for the task's environment.
package render
