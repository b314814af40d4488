package tokenizer

// fastMatcher returns a hand-written matcher equivalent to the regex src, or nil.
func fastMatcher(src string) func(s string, emit func(start, end int)) { return nil }
