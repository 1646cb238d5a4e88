package drivers

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestErrorMappingRoundTrip(t *testing.T) {
	cases := []struct {
		name     string
		err      error
		sentinel error
	}{
		{"task not found", fmt.Errorf("task %q: %w", "x", ErrTaskNotFound), ErrTaskNotFound},
		{"not supported", fmt.Errorf("exec: %w", ErrNotSupported), ErrNotSupported},
		{"canceled", fmt.Errorf("wait: %w", context.Canceled), context.Canceled},
		{"deadline", context.DeadlineExceeded, context.DeadlineExceeded},
		{"plain", errors.New("config.image: required"), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := fromStatus(toStatus(tc.err))
			if got.Error() != tc.err.Error() {
				t.Errorf("message = %q, want %q", got, tc.err)
			}
			if tc.sentinel != nil && !errors.Is(got, tc.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", got, tc.sentinel)
			}
			for _, s := range []error{ErrTaskNotFound, ErrNotSupported, context.Canceled, ErrPluginUnavailable} {
				if s != tc.sentinel && errors.Is(got, s) {
					t.Errorf("errors.Is(%v, %v) = true, want false", got, s)
				}
			}
		})
	}
	if fromStatus(nil) != nil || toStatus(nil) != nil {
		t.Error("nil errors must map to nil")
	}
}
