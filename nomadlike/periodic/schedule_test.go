package periodic

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func TestNext(t *testing.T) {
	from := time.Date(2026, 3, 14, 10, 7, 30, 0, time.UTC)
	cases := []struct {
		name string
		spec string
		tz   string
		want time.Time // zero: no later time
	}{
		{"every 15 minutes", "*/15 * * * *", "", time.Date(2026, 3, 14, 10, 15, 0, 0, time.UTC)},
		{"daily alias", "@daily", "", time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)},
		{"time zone", "0 12 * * *", "Europe/Paris", time.Date(2026, 3, 14, 11, 0, 0, 0, time.UTC)},
		{"seconds field", "*/20 * * * * * *", "", time.Date(2026, 3, 14, 10, 7, 40, 0, time.UTC)},
		{"year field past", "0 0 1 1 * 2020", "", time.Time{}},
		{"exactly on a launch is not next", "30 10 * * *", "", time.Date(2026, 3, 14, 10, 30, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Next(&nomadlike.PeriodicConfig{Enabled: true, Spec: tc.spec, TimeZone: tc.tz}, from)
			if err != nil {
				t.Fatalf("Next(%q) error %v", tc.spec, err)
			}
			if !got.Equal(tc.want) {
				t.Errorf("Next(%q, %v) = %v, want %v", tc.spec, from, got, tc.want)
			}
		})
	}
	// Strictly after: a launch time is not its own next.
	s, _ := Parse(&nomadlike.PeriodicConfig{Spec: "*/15 * * * *"})
	at := time.Date(2026, 3, 14, 10, 15, 0, 0, time.UTC)
	if got := s.Next(at); !got.Equal(at.Add(15 * time.Minute)) {
		t.Errorf("Next(%v) = %v, want %v", at, got, at.Add(15*time.Minute))
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		p    nomadlike.PeriodicConfig
		want string // field path expected in the error
	}{
		{"empty", nomadlike.PeriodicConfig{Spec: " "}, "Periodic.Spec"},
		{"too few fields", nomadlike.PeriodicConfig{Spec: "* * *"}, "Periodic.Spec"},
		{"too many fields", nomadlike.PeriodicConfig{Spec: "* * * * * * * *"}, "Periodic.Spec"},
		{"bad minute", nomadlike.PeriodicConfig{Spec: "99 * * * *"}, "Periodic.Spec"},
		{"garbage", nomadlike.PeriodicConfig{Spec: "every tuesday please"}, "Periodic.Spec"},
		{"bad alias", nomadlike.PeriodicConfig{Spec: "@fortnightly"}, "Periodic.Spec"},
		{"bad zone", nomadlike.PeriodicConfig{Spec: "* * * * *", TimeZone: "Mars/Olympus"}, "Periodic.TimeZone"},
		{"bad type", nomadlike.PeriodicConfig{Spec: "* * * * *", SpecType: "rrule"}, "Periodic.SpecType"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(&tc.p)
			var ve *nomadlike.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, nomadlike.ErrValidation) {
				t.Fatalf("Parse(%+v) = %v, want a *ValidationError", tc.p, err)
			}
			if ve.Errors[0].Path != tc.want || !strings.HasPrefix(err.Error(), tc.want+": ") {
				t.Errorf("Parse(%+v) = %q, want it to name %s", tc.p, err, tc.want)
			}
		})
	}
}

func TestValidateSkipsNonPeriodic(t *testing.T) {
	j := &nomadlike.Job{Periodic: &nomadlike.PeriodicConfig{Enabled: false, Spec: "nonsense"}}
	if err := Validate(j); err != nil {
		t.Errorf("Validate(disabled) = %v, want nil", err)
	}
	j.Periodic.Enabled = true
	if err := Validate(j); err == nil {
		t.Error("Validate(enabled, bad spec) = nil, want an error")
	}
}
