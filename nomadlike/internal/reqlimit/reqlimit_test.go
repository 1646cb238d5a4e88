package reqlimit

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	long := strings.Repeat("a", 30<<20)
	cases := []struct {
		name, in, want string
	}{
		{"short", "web", `"web"`},
		{"exactly max", strings.Repeat("b", QuoteMax), `"` + strings.Repeat("b", QuoteMax) + `"`},
		{"long", long, `"` + strings.Repeat("a", QuoteMax) + `"…(31457280 bytes)`},
		{"cut at rune", strings.Repeat("x", QuoteMax-1) + "é" + "zz", `"` + strings.Repeat("x", QuoteMax-1) + `"…(67 bytes)`},
		{"control", "a\nb", `"a\nb"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Quote(tc.in); got != tc.want {
				t.Errorf("Quote(%d bytes) = %.100s, want %.100s", len(tc.in), got, tc.want)
			}
		})
	}
}

func TestClip(t *testing.T) {
	if got := Clip("short", 10); got != "short" {
		t.Errorf("Clip(short) = %q", got)
	}
	if got := Clip(strings.Repeat("9", 1000), 8); got != "99999999…(1000 bytes)" {
		t.Errorf("Clip(1000 nines, 8) = %q", got)
	}
}

// countingReader serves n bytes of 'x' and counts what was read.
type countingReader struct{ left, read int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	if c.left == 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), c.left)
	for i := range p[:n] {
		p[i] = 'x'
	}
	c.left -= n
	c.read += n
	return int(n), nil
}

func TestBody(t *testing.T) {
	const limit = 4 << 10
	cases := []struct {
		name         string
		size, length int64 // length -1: chunked
		wantOK       bool
		wantReadErr  bool
		maxRead      int64
	}{
		{"under", 100, 100, true, false, 100},
		{"declared over", 50 << 20, 50 << 20, false, false, 0},
		{"chunked over", 50 << 20, -1, true, true, limit + 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := &countingReader{left: tc.size}
			r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(src))
			r.ContentLength = tc.length
			w := httptest.NewRecorder()
			ok := Body(w, r, limit)
			if ok != tc.wantOK {
				t.Fatalf("Body = %v, want %v", ok, tc.wantOK)
			}
			if !ok {
				if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "at most 4 KiB") {
					t.Errorf("answer = %d %q, want 413 naming 4 KiB", w.Code, w.Body.String())
				}
			} else {
				_, err := io.ReadAll(r.Body)
				if (err != nil) != tc.wantReadErr || (err != nil && !IsTooLarge(err)) {
					t.Errorf("read error = %v, want too large: %v", err, tc.wantReadErr)
				}
			}
			if src.read > tc.maxRead {
				t.Errorf("read %d bytes of the body, want at most %d", src.read, tc.maxRead)
			}
		})
	}
	if !IsTooLarge(TooLarge(1)) || IsTooLarge(errors.New("x")) {
		t.Error("IsTooLarge misclassifies")
	}
}
