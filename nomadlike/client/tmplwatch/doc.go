// Package tmplwatch keeps a task's templates in step with the Nomad data
// they read (nomadVar, nomadVarList, nomadVarExists, nomadService,
// nomadServices). A Manager renders the task's templates before it starts,
// blocking until every piece of data a template reads is known (a task
// event names what is missing), then watches each distinct piece with
// blocking queries (one goroutine per dependency, shared by all the task's
// templates, with backoff on errors), re-renders when one changes, writes a
// destination only when its content changed, and applies the template's
// change_mode (restart, signal, script, noop) after a random splay.
//
// Rendered contents are never logged nor put in task events.
package tmplwatch
