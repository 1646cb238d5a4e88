package schema

import (
	"encoding/json"
	"fmt"
)

// Decode checks a config's JSON against the schema of out's struct (see Of
// for the tags) and decodes it into out, a pointer to that struct: unknown
// keys are refused, required keys must be present, absent keys take their
// defaults, JSON numbers decode into integer fields exactly and duration
// strings into time.Duration fields. Errors are an Errors listing every
// problem under prefix ("config"); nothing is written to out on error.
func Decode(raw []byte, prefix string, out any) error {
	s, err := Of(out)
	if err != nil {
		return err
	}
	norm, errs := s.normalize(raw, prefix)
	if len(errs) > 0 {
		return errs
	}
	if err := json.Unmarshal(norm, out); err != nil {
		// The checks above make this a bug in the struct (a custom
		// UnmarshalJSON), not in the config.
		return fmt.Errorf("%s: %w", prefix, err)
	}
	return nil
}
