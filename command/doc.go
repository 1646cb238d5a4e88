// Package command is the nomadlike CLI, built on urfave/cli/v2. Each noun
// (job, alloc, node, eval, agent, operator, ...) lives in its own file and
// registers its subcommands in app.go. Commands that talk to an agent do so
// through nomadlike/api and take -address (default from NOMADLIKE_ADDR, then
// NOMAD_ADDR, then http://127.0.0.1:4646).
package command
