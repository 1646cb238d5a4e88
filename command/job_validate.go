package command

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func jobValidateCommand() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "Check a job file for errors without submitting it",
		ArgsUsage: "FILE",
		Description: "Parses the job file, evaluating its variables, and runs every check a server\n" +
			"would run on submission. Problems are printed as file:line:col with the\n" +
			"source line. FILE - reads the job from stdin.",
		Flags: jobFileFlags(),
		Action: func(c *cli.Context) error {
			path, err := jobFileArg(c)
			if err != nil {
				return err
			}
			if _, err := loadJobFile(c, path); err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, "Job validation successful")
			return nil
		},
	}
}
