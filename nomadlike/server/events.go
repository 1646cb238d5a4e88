package server

import "github.com/nomadlike/nomadlike/nomadlike/stream"

// EventBroker is the server's event stream (Nomad's /v1/event/stream): the
// FSM publishes every applied entry's changes to it, on every server.
func (s *Server) EventBroker() *stream.Broker { return s.events }
