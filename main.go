// Command nomadlike is a cluster job scheduler in the spirit of HashiCorp Nomad.
package main

import (
	"os"

	"github.com/nomadlike/nomadlike/command"
)

func main() {
	os.Exit(command.Run(os.Args))
}
