package server

import (
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/server/driverschema"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// checkDriverConfigs checks the job's task config blocks against the
// schemas the nodes' drivers published (package driverschema). It returns
// the warning lines for drivers no node published a schema for, or a
// *nomadlike.ValidationError naming each bad field.
func (s *Server) checkDriverConfigs(job *nomadlike.Job) (string, error) {
	st := s.fsm.State()
	index, err := st.Index(state.TableNodes)
	if err != nil {
		return "", err
	}
	schemas, err := s.driverSchemas.Get(index, func() ([]*nomadlike.Node, error) { return st.Nodes(nil, "") })
	if err != nil {
		return "", err
	}
	warnings, err := driverschema.Check(job, schemas)
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
