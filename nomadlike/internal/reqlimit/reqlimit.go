package reqlimit

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// QuoteMax is how many bytes of user input an error message quotes.
const QuoteMax = 64

// Quote returns s quoted as %q does when it is at most QuoteMax bytes, and
// otherwise its first QuoteMax bytes (cut at a character boundary) quoted,
// followed by "…(N bytes)", so that an error never echoes a whole
// oversized input.
func Quote(s string) string {
	if len(s) <= QuoteMax {
		return strconv.Quote(s)
	}
	return strconv.Quote(prefix(s, QuoteMax)) + "…(" + strconv.Itoa(len(s)) + " bytes)"
}

// Clip returns s when it is at most max bytes, and otherwise its first max
// bytes (cut at a character boundary) followed by "…(N bytes)". It is for
// messages that embed user input unquoted (a decoder's error, a number
// literal).
func Clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return prefix(s, max) + "…(" + strconv.Itoa(len(s)) + " bytes)"
}

// prefix returns at most n bytes of s, not splitting a UTF-8 sequence.
func prefix(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ErrTooLarge is wrapped by errors about a request body over its limit.
var ErrTooLarge = errors.New("request body too large")

// TooLarge returns an error wrapping ErrTooLarge that names the limit.
func TooLarge(limit int64) error {
	return fmt.Errorf("%w: this endpoint accepts at most %s", ErrTooLarge, Size(limit))
}

// IsTooLarge reports whether err is about a body over its limit: an error
// wrapping ErrTooLarge or the *http.MaxBytesError a limited body returns.
func IsTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.Is(err, ErrTooLarge) || errors.As(err, &mbe)
}

// Body limits r's body to limit bytes: when the request's Content-Length
// already exceeds it, Body answers 413 without reading and returns false;
// otherwise it replaces r.Body with an http.MaxBytesReader, whose reads
// fail with *http.MaxBytesError past the limit (the server then closes the
// connection rather than drain the rest). limit <= 0 means no limit.
func Body(w http.ResponseWriter, r *http.Request, limit int64) bool {
	if limit <= 0 || r.Body == nil || r.Body == http.NoBody {
		return true
	}
	if r.ContentLength > limit {
		WriteTooLarge(w, limit)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	return true
}

// WriteTooLarge answers 413 with a plain-text message naming the limit.
func WriteTooLarge(w http.ResponseWriter, limit int64) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Connection", "close")
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	fmt.Fprintln(w, TooLarge(limit).Error())
}

// Size formats a byte count as "64 KiB", "1 MiB" or "100 bytes".
func Size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
