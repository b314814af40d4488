package runner

import (
	"math"
	"testing"
)

func TestHalfToFloat32Known(t *testing.T) {
	for _, c := range []struct {
		h    uint16
		want float32
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xbc00, -1}, {0x4000, 2}, {0x3555, 0.333251953125},
		{0x7bff, 65504}, {0x0400, 6.103515625e-05}, {0x0001, 5.960464477539063e-08},
		{0x03ff, 6.097555160522461e-05}, {0x7c00, float32(math.Inf(1))}, {0xfc00, float32(math.Inf(-1))},
	} {
		if got := halfToFloat32(c.h); got != c.want {
			t.Errorf("halfToFloat32(%#04x) = %g, want %g", c.h, got, c.want)
		}
	}
	if got := halfToFloat32(0x7e00); !math.IsNaN(float64(got)) {
		t.Errorf("halfToFloat32(NaN) = %g", got)
	}
	if got := halfToFloat32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("negative zero lost: %g", got)
	}
}

// Every half value survives a round trip through float32 unchanged (NaNs stay NaN).
func TestHalfRoundTripAll(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := halfToFloat32(uint16(h))
		back := float32ToHalf(f)
		if math.IsNaN(float64(f)) {
			if back&0x7c00 != 0x7c00 || back&0x3ff == 0 {
				t.Fatalf("NaN %#04x -> %#04x", h, back)
			}
			continue
		}
		if back != uint16(h) {
			t.Fatalf("round trip %#04x -> %g -> %#04x", h, f, back)
		}
	}
}

// float32ToHalf rounds to the nearest half (ties to even): check against a brute-force nearest search on
// values between consecutive halves.
func TestFloat32ToHalfRounding(t *testing.T) {
	for h := 0; h < 0x7bff; h += 7 {
		lo, hi := halfToFloat32(uint16(h)), halfToFloat32(uint16(h+1))
		for _, frac := range []float64{0.25, 0.5, 0.75} {
			f := float32(float64(lo) + frac*float64(hi-lo))
			var want uint16
			switch {
			case frac < 0.5:
				want = uint16(h)
			case frac > 0.5:
				want = uint16(h + 1)
			default: // tie: to even
				want = uint16(h)
				if h&1 == 1 {
					want = uint16(h + 1)
				}
			}
			if got := float32ToHalf(f); got != want {
				t.Fatalf("float32ToHalf(%g) (between %#04x and %#04x, frac %g) = %#04x, want %#04x", f, h, h+1, frac, got, want)
			}
			if got := float32ToHalf(-f); got != want|0x8000 {
				t.Fatalf("float32ToHalf(%g) = %#04x, want %#04x", -f, got, want|0x8000)
			}
		}
	}
	for _, c := range []struct {
		f    float32
		want uint16
	}{{65520, 0x7c00}, {65519, 0x7bff}, {1e-8, 0x0000}, {3e-8, 0x0001}, {float32(math.Inf(1)), 0x7c00}} {
		if got := float32ToHalf(c.f); got != c.want {
			t.Errorf("float32ToHalf(%g) = %#04x, want %#04x", c.f, got, c.want)
		}
	}
}
