// Package poll is the one polling helper of the repository's tests: wait,
// with a deadline, for a condition that something else makes true (a task
// that starts, a state that catches up, a file that appears) instead of a
// bare time.Sleep. It lives in the driver SDK module so that the agent's
// tests, the SDK's own (drivers/drivertest, its conformance suite) and an
// out-of-tree driver that requires only the SDK share it. Only tests import
// it.
package poll
