package periodic

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/cronexpr"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Schedule is a parsed cron spec in its time zone. Safe for concurrent use.
type Schedule struct {
	expr *cronexpr.Expression
	loc  *time.Location
}

// Parse reads p's cron spec and time zone (UTC when empty). Errors are
// *nomadlike.ValidationError naming Periodic.Spec, Periodic.SpecType or
// Periodic.TimeZone.
func Parse(p *nomadlike.PeriodicConfig) (*Schedule, error) {
	var errs []nomadlike.FieldError
	fail := func(field, format string, args ...any) {
		errs = append(errs, nomadlike.FieldError{Path: "Periodic." + field, Message: fmt.Sprintf(format, args...)})
	}
	if p == nil {
		fail("", "no periodic block")
		return nil, &nomadlike.ValidationError{Errors: errs}
	}
	if p.SpecType != "" && p.SpecType != nomadlike.PeriodicSpecCron {
		fail("SpecType", "unknown spec type %q (want cron)", p.SpecType)
	}
	s := &Schedule{loc: time.UTC}
	if p.TimeZone != "" {
		loc, err := time.LoadLocation(p.TimeZone)
		if err != nil {
			fail("TimeZone", "unknown time zone %q", p.TimeZone)
		} else {
			s.loc = loc
		}
	}
	spec := strings.TrimSpace(p.Spec)
	switch n := len(strings.Fields(spec)); {
	case spec == "":
		fail("Spec", "must not be empty")
	case strings.HasPrefix(spec, "@"):
		s.expr = parseExpr(spec, fail)
	case n < 5 || n > 7:
		fail("Spec", "cron expression %q has %d fields; want 5 (minute hour day-of-month month day-of-week), 6 (plus year) or 7 (second first, year last)", spec, n)
	default:
		s.expr = parseExpr(spec, fail)
	}
	if len(errs) > 0 {
		return nil, &nomadlike.ValidationError{Errors: errs}
	}
	return s, nil
}

func parseExpr(spec string, fail func(field, format string, args ...any)) *cronexpr.Expression {
	expr, err := cronexpr.Parse(spec)
	if err != nil {
		fail("Spec", "invalid cron expression %q: %v", spec, err)
		return nil
	}
	return expr
}

// Next returns the first launch time strictly after after, in the
// schedule's time zone, or the zero time when the spec names no later time
// (a past year, say).
func (s *Schedule) Next(after time.Time) time.Time {
	return s.expr.Next(after.In(s.loc))
}

// Next parses p and returns its first launch after after.
func Next(p *nomadlike.PeriodicConfig, after time.Time) (time.Time, error) {
	s, err := Parse(p)
	if err != nil {
		return time.Time{}, err
	}
	return s.Next(after), nil
}

// Validate checks the schedule of a periodic job whose schedule is enabled;
// other jobs pass (a disabled schedule may be empty). Errors are
// *nomadlike.ValidationError.
func Validate(job *nomadlike.Job) error {
	if !job.IsPeriodic() || !job.Periodic.Enabled {
		return nil
	}
	_, err := Parse(job.Periodic)
	return err
}
