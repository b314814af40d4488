package runner

import "math"

// Float16 (IEEE 754 binary16) conversions for models whose KV cache or logits are float16. Go has no
// float16 type; values travel as their uint16 bit patterns.

// halfToFloat32 converts an IEEE 754 binary16 bit pattern to float32 exactly (every half value is
// representable as a float32), subnormals, infinities and NaN included.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0 && mant == 0: // signed zero
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: normalize
		e := uint32(127 - 15 + 1)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		mant &= 0x3ff
		return math.Float32frombits(sign | e<<23 | mant<<13)
	default:
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	}
}

// float32ToHalf converts f to the nearest binary16 value (round to nearest, ties to even), with
// overflow to infinity, gradual underflow to subnormals and NaN kept NaN.
func float32ToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff { // inf or NaN
		if mant != 0 {
			return sign | 0x7e00 // quiet NaN
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f { // overflow
		return sign | 0x7c00
	}
	if e <= 0 { // subnormal half or zero
		if e < -10 {
			return sign // rounds to zero
		}
		m := mant | 0x800000 // implicit leading 1
		shift := uint32(14 - e)
		half := m >> shift
		rem := m & (1<<shift - 1)
		mid := uint32(1) << (shift - 1)
		if rem > mid || (rem == mid && half&1 == 1) {
			half++ // may carry into the smallest normal: still the right bit pattern
		}
		return sign | uint16(half)
	}
	half := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && half&1 == 1) {
		half++ // may carry into the exponent, up to infinity: correct
	}
	return sign | uint16(half)
}

// halvesToFloat32 converts src (binary16 bit patterns) into dst, which must be at least as long.
func halvesToFloat32(dst []float32, src []uint16) {
	for i, h := range src {
		dst[i] = halfToFloat32(h)
	}
}
