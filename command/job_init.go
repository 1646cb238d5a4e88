package command

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/urfave/cli/v2"
)

// DefaultInitFile is the file job init writes when given none.
const DefaultInitFile = "example.nomad.hcl"

func jobInitCommand() *cli.Command {
	return &cli.Command{
		Name:      "init",
		Usage:     "Write an example job file to start from",
		ArgsUsage: "[FILE]",
		Description: "Writes a commented example service job to FILE (default " + DefaultInitFile + ").\n" +
			"It refuses to overwrite an existing file unless -force is given.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "short", Usage: "write the example without comments"},
			&cli.BoolFlag{Name: "force", Usage: "overwrite FILE if it exists"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return userError("job init takes at most one argument, the file to write; got %d", c.NArg())
			}
			path := DefaultInitFile
			if c.NArg() == 1 {
				path = c.Args().First()
			}
			content := exampleJob
			if c.Bool("short") {
				content = exampleJobShort
			}
			flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
			if c.Bool("force") {
				flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			f, err := os.OpenFile(path, flags, 0o644)
			if errors.Is(err, fs.ErrExist) {
				return userError("job file %s already exists; use -force to overwrite it", path)
			}
			if err != nil {
				return userError("write job file: %v", err)
			}
			if _, err := f.WriteString(content); err != nil {
				f.Close()
				return userError("write job file %s: %v", path, err)
			}
			if err := f.Close(); err != nil {
				return userError("write job file %s: %v", path, err)
			}
			fmt.Fprintf(c.App.Writer, "Example job file written to %s\n", path)
			return nil
		},
	}
}

// exampleJob is what job init writes: a valid service job, commented.
const exampleJob = `# This is an example job file for nomadlike, in Nomad's job syntax (HCL2).
# Check it with "nomadlike job validate example.nomad.hcl" and start it with
# "nomadlike job run example.nomad.hcl". The job file reference is in
# website/job-spec/.

# A variable can be set with -var greeting=..., a -var-file, or the
# environment variable NOMAD_VAR_greeting.
variable "greeting" {
  type        = string
  default     = "Hello from nomadlike"
  description = "The text the web page shows."
}

# The job block names the job. Its ID ("example") must be unique in the
# namespace.
job "example" {
  # Service jobs run until stopped; batch jobs run to completion.
  type = "service"

  # The datacenters the job may run in; "*" means any.
  datacenters = ["*"]

  # Constraints limit the nodes the job may be placed on.
  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  # A group is a set of tasks placed together on one node. count says how
  # many copies of the group run.
  group "web" {
    count = 1

    # Ask for a port; the scheduler picks a free one and tells the task
    # through NOMAD_PORT_http. The task listens on the node's address
    # (nomadlike has host networking only).
    network {
      port "http" {}
    }

    # Restart a failed task in place up to 2 times in 30 minutes.
    restart {
      attempts = 2
      interval = "30m"
      delay    = "15s"
      mode     = "fail"
    }

    # A task is one process run by a driver. The exec driver runs a command
    # isolated in its own namespaces and cgroup.
    task "server" {
      driver = "exec"

      config {
        command = "/bin/busybox"
        args    = ["httpd", "-f", "-p", "${NOMAD_PORT_http}", "-h", "local/www"]
      }

      # Templates are rendered into the task directory before it starts.
      template {
        destination = "local/www/index.html"
        data        = <<-EOT
          <h1>${var.greeting}</h1>
          <p>Served by allocation {{ env "NOMAD_ALLOC_ID" }}.</p>
        EOT
      }

      # What the task needs: CPU in MHz and memory in MB.
      resources {
        cpu    = 100
        memory = 64
      }

      # Keep at most 3 rotated log files of 10 MB each.
      logs {
        max_files     = 3
        max_file_size = 10
      }
    }
  }
}
`

// exampleJobShort is what job init -short writes.
const exampleJobShort = `job "example" {
  datacenters = ["*"]

  group "web" {
    network {
      port "http" {}
    }

    task "server" {
      driver = "exec"

      config {
        command = "/bin/busybox"
        args    = ["httpd", "-f", "-p", "${NOMAD_PORT_http}", "-h", "local"]
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`
