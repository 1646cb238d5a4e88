package ctxsleep

import (
	"context"
	"testing"
	"time"
)

func TestSleep(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want bool
	}{
		{"live context, no wait", context.Background(), 0, true},
		{"live context, negative wait", context.Background(), -time.Second, true},
		{"live context, short wait", context.Background(), time.Millisecond, true},
		{"ended context, no wait", cancelled, 0, false},
		// An hour-long sleep returns at once: the context has ended.
		{"ended context, long wait", cancelled, time.Hour, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sleep(tc.ctx, tc.d); got != tc.want {
				t.Errorf("Sleep(%s) = %v, want %v", tc.d, got, tc.want)
			}
		})
	}
}
