package command

import (
	"io"
	"strconv"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Host volumes (issue #17) in `node status NODE`, as Nomad shows them.

// withHostVolumes appends the "Host Volumes" line (the names) to a node's
// summary when it has any.
func withHostVolumes(n *nomadlike.Node, pairs [][2]string) [][2]string {
	if len(n.HostVolumes) == 0 {
		return pairs
	}
	return append(pairs, [2]string{"Host Volumes", strings.Join(sortedKeys(n.HostVolumes), ",")})
}

// formatHostVolumes prints the node's host volume table (with -verbose).
func formatHostVolumes(w io.Writer, n *nomadlike.Node) {
	if len(n.HostVolumes) == 0 {
		return
	}
	rows := [][]string{}
	for _, name := range sortedKeys(n.HostVolumes) {
		hv := n.HostVolumes[name]
		if hv == nil {
			continue
		}
		rows = append(rows, []string{name, strconv.FormatBool(hv.ReadOnly), hv.Path})
	}
	io.WriteString(w, "\nHost Volumes\n")
	table(w, []string{"Name", "ReadOnly", "Source"}, rows)
}
