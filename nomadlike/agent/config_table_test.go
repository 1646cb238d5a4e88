package agent

import (
	"reflect"
	"strings"
	"testing"
)

// configCase is one case of a config block's table: src, parsed over
// DefaultConfig as file a.hcl, gives want (read back by the table's get)
// and warnings (substrings, in order), or fails with an error containing
// errText (a positioned "a.hcl:3:5: ..." message).
type configCase[T any] struct {
	name     string
	src      string
	want     T
	warnings []string
	errText  string
}

// configTable says how to read one block back out of a parsed config.
type configTable[T any] struct {
	field string          // the block's Go path in failure messages, "Client.DNS"
	get   func(*Config) T // the block as parsed
	// warnings returns the block's own warnings, compared with the cases'
	// (nil: the block has none, and the cases name none).
	warnings func(*Config) []string
	// check (may be nil) runs after a successful parse, for what every
	// case of the table must hold (no warning about a setting that works).
	check func(t *testing.T, cfg *Config)
}

// runConfigTable runs each case as a subtest: parse, then compare the
// block (reflect.DeepEqual) and its warnings.
func runConfigTable[T any](t *testing.T, tab configTable[T], cases []configCase[T]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			err := ParseConfigFile(cfg, "a.hcl", []byte(tc.src))
			if tc.errText != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("ParseConfigFile() error = %v, want %q", err, tc.errText)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseConfigFile() error = %v", err)
			}
			if got := tab.get(cfg); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s = %+v, want %+v", tab.field, got, tc.want)
			}
			var warnings []string
			if tab.warnings != nil {
				warnings = tab.warnings(cfg)
			}
			if len(warnings) != len(tc.warnings) {
				t.Fatalf("%s warnings = %q, want %d", tab.field, warnings, len(tc.warnings))
			}
			for i, w := range tc.warnings {
				if !strings.Contains(warnings[i], w) {
					t.Errorf("%s warnings[%d] = %q, want %q", tab.field, i, warnings[i], w)
				}
			}
			if tab.check != nil {
				tab.check(t, cfg)
			}
		})
	}
}
