package command

import (
	"bytes"
	"testing"
)

// TestIndentWriterAcrossWrites: a line written in several pieces (as a
// tabwriter writes a row's cells and paddings) is indented once.
func TestIndentWriterAcrossWrites(t *testing.T) {
	cases := []struct {
		name   string
		pieces []string
		want   string
	}{
		{name: "one write", pieces: []string{"a\nb\n"}, want: "    a\n    b\n"},
		{name: "cells in pieces", pieces: []string{"web", "  ", "true", "\n", "x\n"}, want: "    web  true\n    x\n"},
		{name: "newline then text", pieces: []string{"a\n", "b"}, want: "    a\n    b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := newIndentWriter(&buf)
			for _, p := range tc.pieces {
				if _, err := w.Write([]byte(p)); err != nil {
					t.Fatal(err)
				}
			}
			if got := buf.String(); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
