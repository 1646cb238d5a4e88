package rank

import (
	"math"
	"testing"
)

// pow10 stands in for math.Pow(10, x) in the fit scores: equal within
// rounding over [0, 1], exact at the ends, monotone.
func TestPow10(t *testing.T) {
	cases := []struct {
		name string
		x    float64
		want float64
	}{
		{"empty", 0, 1},
		{"full", 1, 10},
		{"below range", -0.5, 1},
		{"above range", 1.5, 10},
		{"half", 0.5, math.Sqrt(10)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := pow10(tc.x); math.Abs(got-tc.want) > 1e-13*tc.want {
				t.Fatalf("pow10(%v) = %v, want %v", tc.x, got, tc.want)
			}
		})
	}
	prev := 0.0
	for i := 0; i <= 10_000; i++ {
		x := float64(i) / 10_000
		got, want := pow10(x), math.Pow(10, x)
		if math.Abs(got-want) > 1e-13*want || got < prev {
			t.Fatalf("pow10(%v) = %v, math.Pow = %v, previous %v", x, got, want, prev)
		}
		prev = got
	}
}
