// Package schema is the driver SDK's strict config decoder.
//
// A driver describes its task (or plugin) config as a Go struct; [Of] reads
// the struct's tags into a [Schema] (field names, kinds, required fields,
// defaults), [Decode] checks a config's JSON against it and fills the struct,
// and [Schema.Check] does the same check with no struct at all: the schema is
// plain JSON the driver publishes (drivers.Info.TaskConfigSchema), so the
// servers can check a job's task config before any client sees it.
//
// Errors name the field path and the problem:
//
//	config.seconds: must be a number, got "ten"
//	config.imgae: unknown key (did you mean "image"?)
//	config.command: required
//
// The package imports only the standard library.
package schema
