// Package ctxsleep is the one context-bounded sleep of the agent's loops
// (retry backoffs, renewals, pacing): a wait for a duration that ends early
// when the context does. It imports only the standard library.
package ctxsleep

import (
	"context"
	"time"
)

// Sleep waits d or until ctx ends, whichever comes first, and reports
// whether ctx is still live (false: the caller should stop). A d <= 0
// does not wait.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
