package datasets

import (
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// unquoteJSON decodes a JSON string literal (quotes included) that encoding/json has already
// validated, with the same result as json.Unmarshal into a string (invalid UTF-8 and lone surrogates
// become U+FFFD) but without validating the bytes a second time. FuzzUnquoteJSON checks the two agree.
func unquoteJSON(v []byte) (string, error) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		var s string
		err := json.Unmarshal(v, &s)
		return s, err
	}
	body := v[1 : len(v)-1]
	simple := true
	for _, c := range body {
		if c == '\\' || c == '"' || c < 0x20 || c >= utf8.RuneSelf {
			simple = false
			break
		}
	}
	if simple {
		return string(body), nil
	}
	buf := make([]byte, 0, len(body))
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '\\':
			if i+1 >= len(body) {
				return jsonFallback(v)
			}
			switch body[i+1] {
			case '"', '\\', '/':
				buf = append(buf, body[i+1])
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := hex4(body, i+2)
				if !ok {
					return jsonFallback(v)
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if r2, ok2 := hex4(body, i+2); ok2 && i+1 < len(body) && body[i] == '\\' && body[i+1] == 'u' {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							buf = utf8.AppendRune(buf, dec)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				buf = utf8.AppendRune(buf, r)
				continue
			default:
				return jsonFallback(v)
			}
			i += 2
		case c == '"' || c < 0x20:
			return jsonFallback(v)
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			i++
		default:
			r, size := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			} else {
				buf = append(buf, body[i:i+size]...)
			}
			i += size
		}
	}
	return string(buf), nil
}

// hex4 reads four hex digits at body[i:].
func hex4(body []byte, i int) (rune, bool) {
	if i+4 > len(body) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(body[i:i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}

// jsonFallback decodes with encoding/json (for input the fast path does not expect).
func jsonFallback(v []byte) (string, error) {
	var s string
	err := json.Unmarshal(v, &s)
	return s, err
}

// splitObject splits a JSON object that json.Valid accepted into its members (raw values; a
// repeated key keeps its last value, as encoding/json does). FuzzSplitObject checks it against
// json.Unmarshal into map[string]json.RawMessage.
func splitObject(l []byte) (map[string]json.RawMessage, bool) {
	m := make(map[string]json.RawMessage, 8)
	i := skipSpace(l, 0)
	if i >= len(l) || l[i] != '{' {
		return nil, false
	}
	i = skipSpace(l, i+1)
	if i < len(l) && l[i] == '}' {
		return m, true
	}
	for i < len(l) {
		// key
		end, ok := scanString(l, i)
		if !ok {
			return nil, false
		}
		key, err := unquoteJSON(l[i:end])
		if err != nil {
			return nil, false
		}
		i = skipSpace(l, end)
		if i >= len(l) || l[i] != ':' {
			return nil, false
		}
		i = skipSpace(l, i+1)
		// value: scan to the ',' or '}' that closes it at depth 0
		start, depth := i, 0
	value:
		for ; i < len(l); i++ {
			switch l[i] {
			case '"':
				e, ok := scanString(l, i)
				if !ok {
					return nil, false
				}
				i = e - 1
			case '{', '[':
				depth++
			case ']':
				depth--
			case '}':
				if depth == 0 {
					break value
				}
				depth--
			case ',':
				if depth == 0 {
					break value
				}
			}
		}
		if i >= len(l) {
			return nil, false
		}
		m[key] = json.RawMessage(trimSpaceRight(l[start:i]))
		if l[i] == '}' {
			return m, true
		}
		i = skipSpace(l, i+1)
	}
	return nil, false
}

// scanString returns the index just past the JSON string that starts at l[i].
func scanString(l []byte, i int) (int, bool) {
	if i >= len(l) || l[i] != '"' {
		return 0, false
	}
	for j := i + 1; j < len(l); j++ {
		switch l[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return 0, false
}

func skipSpace(l []byte, i int) int {
	for i < len(l) && (l[i] == ' ' || l[i] == '\t' || l[i] == '\n' || l[i] == '\r') {
		i++
	}
	return i
}

func trimSpaceRight(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
