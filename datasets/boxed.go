package datasets

import "strings"

// LastBoxed returns the content of the last well-formed \boxed{...} or \fbox{...} in s, brace-matched
// (so \boxed{\frac{1}{2}} gives \frac{1}{2}). Escaped braces (\{ and \}) do not count as grouping, and
// spaces between the command and its "{" are allowed. It reports false when s has none.
func LastBoxed(s string) (string, bool) {
	end := len(s)
	for end > 0 {
		i := lastCommand(s[:end])
		if i < 0 {
			return "", false
		}
		if body, ok := bracedArg(s, i); ok {
			return body, true
		}
		end = i
	}
	return "", false
}

// lastCommand returns the index of the last "\boxed" or "\fbox" in s (-1 when none).
func lastCommand(s string) int {
	return max(strings.LastIndex(s, `\boxed`), strings.LastIndex(s, `\fbox`))
}

// bracedArg parses the brace group that follows the command starting at s[i].
func bracedArg(s string, i int) (string, bool) {
	j := i + len(`\fbox`)
	if strings.HasPrefix(s[i:], `\boxed`) {
		j = i + len(`\boxed`)
	}
	for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n') {
		j++
	}
	if j >= len(s) || s[j] != '{' {
		return "", false
	}
	depth := 0
	for k := j; k < len(s); k++ {
		switch s[k] {
		case '\\':
			k++ // skip the escaped character (\{, \}, \\)
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return s[j+1 : k], true
			}
		}
	}
	return "", false
}
