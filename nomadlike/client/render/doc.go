// Package render renders a task's template blocks into its directory before
// the task starts. Templates are Go text/template with consul-template's
// names for the helpers that make sense without Consul or Vault: env,
// toUpper, toLower, trimSpace, split, join, replaceAll, contains, parseInt,
// parseBool, base64Encode, base64Decode, timestamp. Consul and Vault lookups
// (key, service, secret...) fail with ErrUnsupported.
//
// Destinations are confined to the allocation directory; a template with
// env = true is parsed as KEY=VALUE lines for the task's environment.
package render
