package server

import (
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/server/driverschema"
)

// checkDriverConfigs checks the job's task config blocks against the
// schemas the nodes' drivers published (package driverschema). It returns
// the warning lines for drivers no node published a schema for, or a
// *nomadlike.ValidationError naming each bad field.
func (s *Server) checkDriverConfigs(job *nomadlike.Job) (string, error) {
	nodes, err := s.fsm.State().Nodes(nil, "")
	if err != nil {
		return "", err
	}
	warnings, err := driverschema.Check(job, driverschema.FromNodes(nodes))
	return strings.Join(warnings, "\n"), err
}

// joinLines joins the non-empty warning texts with newlines.
func joinLines(texts ...string) string {
	var lines []string
	for _, t := range texts {
		if t != "" {
			lines = append(lines, t)
		}
	}
	return strings.Join(lines, "\n")
}
