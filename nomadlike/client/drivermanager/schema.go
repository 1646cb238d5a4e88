package drivermanager

import (
	"encoding/json"

	"github.com/nomadlike/nomadlike/drivers"
)

// configSchema is the task config schema d publishes, as the JSON the node's
// DriverInfo.ConfigSchema carries to the servers (nil when it publishes
// none). One schema per driver keeps the node small.
func configSchema(d drivers.Driver) json.RawMessage {
	s := drivers.TaskConfigSchemaOf(d)
	if s == nil {
		return nil
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil
	}
	return b
}
