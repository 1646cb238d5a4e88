package command

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"
)

// Version is the nomadlike version, overridable at link time.
var Version = "0.1.0-dev"

// exitError carries an exit code out of a command's action.
type exitError struct {
	code int
	err  error
	// quiet: the code is an answer, not a failure (`job plan` exits 1 for
	// "changes"); nothing is printed as an error.
	quiet bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// userError marks a mistake by the user: exit code 1 with the message on stderr.
func userError(format string, args ...any) error {
	return &exitError{code: 1, err: fmt.Errorf(format, args...)}
}

// withCode returns an error that makes the process exit with code.
func withCode(code int, err error) error {
	return &exitError{code: code, err: err}
}

// quietExit makes the process exit with code and print nothing more: the
// command has written its answer, the code is part of it.
func quietExit(code int, why string) error {
	return &exitError{code: code, err: errors.New(why), quiet: true}
}

// NewApp builds the CLI application writing to the given streams.
func NewApp(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:                 "nomadlike",
		Usage:                "a cluster job scheduler in the spirit of Nomad",
		Version:              Version,
		Writer:               &safeWriter{raw: stdout},
		ErrWriter:            &safeWriter{raw: stderr},
		EnableBashCompletion: true,
		HideVersion:          true,
		ExitErrHandler:       func(*cli.Context, error) {},
		Commands: []*cli.Command{
			jobCommand(),
			allocCommand(),
			nodeCommand(),
			evalCommand(),
			agentCommand(),
			serverCommand(),
			operatorCommand(),
			statusCommand(),
			versionCommand(),
			driverCommand(),
			namespaceCommand(),  // namespaces (namespace.go)
			aclCommand(),        // ACL store (acl.go)
			tlsCommand(),        // mTLS certificates (tls.go)
			monitorCommand(),    // agent logs (monitor.go)
			systemCommand(),     // server garbage collection (system.go)
			varCommand(),        // variables (var.go)
			queueCommand(),      // nomadlike's queue (queue.go)
			serviceCommand(),    // service catalog (service.go)
			deploymentCommand(), // deployments (deployment.go)
			scalingCommand(),    // scaling policies (scaling.go, issue #17)
			volumeCommand(),     // dynamic host volumes: volume create/status/delete; CSI says not supported (volume.go)
		},
	}
	app.Commands = append(app.Commands, shortcutCommands()...) // top-level aliases (shortcuts.go)
	addNamespaceFlags(app.Commands)                            // namespaces (namespace_flag.go)
	addTLSFlags(app.Commands)                                  // mTLS (tls_flags.go)
	addTokenFlags(app.Commands)                                // ACL token (token_flag.go)
	addRegionFlags(app.Commands)                               // -region (region_flag.go)
	return app
}

// Run runs the CLI with args and returns the process exit code.
func Run(args []string) int {
	return RunWith(args, os.Stdout, os.Stderr)
}

// RunWith is Run with explicit output streams, for tests.
func RunWith(args []string, stdout, stderr io.Writer) int {
	return runApp(NewApp(stdout, stderr), args, stderr)
}

// runApp runs app with args, prints a failure as "Error: ..." on stderr
// (not a quiet exit code) and returns the exit code.
func runApp(app *cli.App, args []string, stderr io.Writer) int {
	err := app.Run(args)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if !ee.quiet {
			fmt.Fprintln(&safeWriter{raw: stderr}, "Error:", err)
		}
		return ee.code
	}
	fmt.Fprintln(&safeWriter{raw: stderr}, "Error:", err)
	var ce cli.ExitCoder
	if errors.As(err, &ce) {
		return ce.ExitCode()
	}
	return 1
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "Print the nomadlike version",
		Action: func(c *cli.Context) error {
			fmt.Fprintf(c.App.Writer, "nomadlike v%s\n", Version)
			return nil
		},
	}
}
