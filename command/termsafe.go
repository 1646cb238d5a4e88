package command

import (
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Human output never carries a raw control character from the API: an
// ID, name, event message or error that holds ESC, CR or a bidi override
// (U+202E) could otherwise move the cursor, rewrite earlier lines or
// reorder text on the operator's terminal. The app's writers escape them
// (ESC as \x1b, U+202E as \u202e); raw streams (alloc logs, alloc exec,
// -json, job run -output) write to rawWriter and stay byte-exact.

// safeWriter escapes what nomadlike.UnsafeRune refuses and invalid UTF-8,
// keeping newlines and tabs: the layout the CLI itself writes.
type safeWriter struct {
	raw io.Writer
}

func (w *safeWriter) Write(p []byte) (int, error) {
	if clean(p) {
		return w.raw.Write(p)
	}
	if _, err := io.WriteString(w.raw, escapeUnsafe(string(p), true)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// rawWriter returns the stream under w when w escapes, for output that
// must stay byte-exact.
func rawWriter(w io.Writer) io.Writer {
	if sw, ok := w.(*safeWriter); ok {
		return sw.raw
	}
	return w
}

// clean reports whether p is printable ASCII, newlines and tabs: the
// common case, written as is.
func clean(p []byte) bool {
	for _, b := range p {
		if (b < 0x20 && b != '\n' && b != '\t') || b >= 0x7f {
			return false
		}
	}
	return true
}

// cell escapes s for one table cell or key/value: newlines and tabs too,
// so that a value cannot add rows or columns.
func cell(s string) string {
	if clean([]byte(s)) && !strings.ContainsAny(s, "\n\t") {
		return s
	}
	return escapeUnsafe(s, false)
}

// escapeUnsafe replaces unsafe runes and invalid bytes with Go-style
// escapes; keepLayout keeps '\n' and '\t'.
func escapeUnsafe(s string, keepLayout bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case (r == '\n' || r == '\t') && keepLayout:
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x80 && nomadlike.UnsafeRune(r):
			b.WriteString(`\x`)
			b.WriteString(hex2(byte(r)))
		case nomadlike.UnsafeRune(r):
			q := strconv.QuoteRuneToASCII(r) // '\u202e'
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}
