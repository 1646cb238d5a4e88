// Package driverschema checks a job's task config blocks against the config
// schemas the task drivers published (drivers.SchemaPublisher), as the
// client nodes fingerprinted them into Node.Drivers[name].ConfigSchema.
//
// The servers call Check at job validate, plan and register, so a typo or a
// wrong type in a config block is an error naming the job path
// (group "g" task "t" config.seconds: must be a number, got "ten") before
// anything is stored or placed. A driver no node has published a schema for
// cannot be checked: Check says so in a warning and accepts the config (the
// driver still validates it when the task starts).
package driverschema
