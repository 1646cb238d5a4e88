package drivers

import "github.com/nomadlike/nomadlike/drivers/schema"

// SchemaPublisher is implemented by drivers that publish the schema of their
// task config (see package schema). The plugin glue adds it to the Info the
// client receives (Info.TaskConfigSchema); the client puts it in the node's
// driver info, and the servers check every task's config block against it
// at job validate, plan and register. A driver that decodes its config with
// schema.Decode publishes exactly what it enforces:
//
//	var taskSchema = schema.MustOf(TaskConfig{})
//	func (d *Driver) TaskConfigSchema() *schema.Schema { return taskSchema }
type SchemaPublisher interface {
	TaskConfigSchema() *schema.Schema
}

// TaskConfigSchemaOf returns the task config schema of d: the one its Info
// carries (a plugin's), else the one it publishes (an in-process driver's),
// else nil.
func TaskConfigSchemaOf(d Driver) *schema.Schema {
	if s := d.Info().TaskConfigSchema; s != nil {
		return s
	}
	if p, ok := d.(SchemaPublisher); ok {
		return p.TaskConfigSchema()
	}
	return nil
}
