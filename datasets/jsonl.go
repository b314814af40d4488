package datasets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParseError is a problem with one line of a dataset file (Line 0: the file as a whole).
type ParseError struct {
	File string // the file's path (or "<input>")
	Line int    // 1-based line number; 0 when the error concerns the whole file
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// record is one parsed JSON object with its line number.
type record struct {
	line   int
	fields map[string]json.RawMessage
}

// splitRecords parses data as JSON Lines: one JSON object per line; blank lines are skipped; a final
// line without a newline counts; "\r\n" endings and a UTF-8 byte-order mark are accepted.
func splitRecords(file string, data []byte) ([]record, error) {
	off := 0 // byte offset of the current line in the file
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		data, off = data[3:], 3
	}
	var recs []record
	line := 0
	for len(data) > 0 {
		line++
		var l []byte
		start := off
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
			off += i + 1
		} else {
			l, data = data, nil
			off += len(l)
		}
		// JSON text is UTF-8: a stray byte would silently become U+FFFD in the question or answer.
		if col := invalidUTF8(l); col >= 0 {
			return nil, &ParseError{file, line, fmt.Errorf("not valid UTF-8: byte %#02x at byte offset %d of the file (column %d); re-encode the file as UTF-8", l[col], start+col, col+1)}
		}
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		if l[0] != '{' {
			return nil, &ParseError{file, line, errors.New("not a JSON object")}
		}
		if !json.Valid(l) {
			var m map[string]json.RawMessage
			err := json.Unmarshal(l, &m) // for its message
			if err == nil {
				err = errors.New("invalid")
			}
			return nil, &ParseError{file, line, fmt.Errorf("bad JSON: %w", err)}
		}
		m, ok := splitObject(l)
		if !ok { // cannot happen for valid JSON starting with '{'; fall back to encoding/json
			if err := json.Unmarshal(l, &m); err != nil {
				return nil, &ParseError{file, line, fmt.Errorf("bad JSON: %w", err)}
			}
		}
		recs = append(recs, record{line, m})
	}
	if len(recs) == 0 {
		return nil, &ParseError{file, 0, errors.New("no records (empty file)")}
	}
	return recs, nil
}

// invalidUTF8 returns the index of the first byte of b that is not valid UTF-8, or -1.
func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// has reports whether the record has field name with a non-null value.
func (r record) has(name string) bool {
	v, ok := r.fields[name]
	return ok && string(bytes.TrimSpace(v)) != "null"
}

// str returns field name as a string: a JSON string as is; a number rendered by formatNumber; a
// boolean as "true"/"false". Objects, arrays, null and missing fields are errors.
func (r record) str(name string) (string, error) {
	v, ok := r.fields[name]
	if !ok {
		return "", fmt.Errorf("missing field %q", name)
	}
	v = bytes.TrimSpace(v)
	switch {
	case len(v) == 0 || string(v) == "null":
		return "", fmt.Errorf("field %q is null", name)
	case v[0] == '"':
		s, err := unquoteJSON(v)
		if err != nil {
			return "", fmt.Errorf("field %q: %w", name, err)
		}
		return s, nil
	case v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
		s, err := formatNumber(string(v))
		if err != nil {
			return "", fmt.Errorf("field %q: %w", name, err)
		}
		return s, nil
	case string(v) == "true" || string(v) == "false":
		return string(v), nil
	case v[0] == '{':
		return "", fmt.Errorf("field %q: want a string or a number, got an object", name)
	case v[0] == '[':
		return "", fmt.Errorf("field %q: want a string or a number, got an array", name)
	}
	return "", fmt.Errorf("field %q: want a string or a number, got %.20s", name, v)
}

// id returns field name as an id: a non-empty string or an integer.
func (r record) id(name string) (string, error) {
	v := bytes.TrimSpace(r.fields[name])
	var s string
	var err error
	if len(v) > 0 && v[0] == '"' {
		s, err = r.text(name)
	} else {
		s, err = r.integer(name)
	}
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("field %q: empty id", name)
	}
	return s, nil
}

// text returns field name, which must be a JSON string.
func (r record) text(name string) (string, error) {
	v, ok := r.fields[name]
	if !ok {
		return "", fmt.Errorf("missing field %q", name)
	}
	v = bytes.TrimSpace(v)
	if len(v) == 0 || v[0] != '"' {
		return "", fmt.Errorf("field %q: want a string, got %s", name, jsonType(v))
	}
	s, err := unquoteJSON(v)
	if err != nil {
		return "", fmt.Errorf("field %q: %w", name, err)
	}
	return s, nil
}

// integer returns field name, which must be a JSON integer (or an integral number like 3.0).
func (r record) integer(name string) (string, error) {
	v, ok := r.fields[name]
	if !ok {
		return "", fmt.Errorf("missing field %q", name)
	}
	v = bytes.TrimSpace(v)
	if len(v) == 0 || !(v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) {
		return "", fmt.Errorf("field %q: want an integer, got %s", name, jsonType(v))
	}
	s, err := formatNumber(string(v))
	if err != nil {
		return "", fmt.Errorf("field %q: %w", name, err)
	}
	if strings.ContainsAny(s, ".e") {
		return "", fmt.Errorf("field %q: want an integer, got %s", name, v)
	}
	return s, nil
}

// metaValue renders any field for Meta: strings as is, numbers by formatNumber, other JSON as its
// compact text.
func (r record) metaValue(name string) (string, bool) {
	v, ok := r.fields[name]
	if !ok {
		return "", false
	}
	if s, err := r.str(name); err == nil {
		return s, true
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return string(v), true
	}
	return buf.String(), true
}

func jsonType(v []byte) string {
	if len(v) == 0 {
		return "nothing"
	}
	switch c := v[0]; {
	case c == '"':
		return "a string"
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	default:
		return "a number (" + string(v) + ")"
	}
}

// formatNumber renders a JSON number literal as a gold string: integers exactly as written (any size,
// "-0" as "0"); other numbers as the shortest decimal that reads back to the same float64, without a
// spurious ".0" (27.0 -> "27", 0.5 -> "0.5", 1e3 -> "1000") and without an exponent unless the value
// is tiny (< 1e-6) or huge (>= 1e21).
func formatNumber(lit string) (string, error) {
	if !strings.ContainsAny(lit, ".eE") {
		if _, ok := parseJSONInt(lit); !ok {
			return "", fmt.Errorf("bad number %q", lit)
		}
		if lit == "-0" {
			return "0", nil
		}
		return lit, nil
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", fmt.Errorf("bad number %q", lit)
	}
	return FormatFloat(f), nil
}

// FormatFloat renders f as formatNumber does for non-integer literals.
func FormatFloat(f float64) string {
	if f == 0 {
		return "0"
	}
	a := math.Abs(f)
	if a < 1e-6 || a >= 1e21 {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// parseJSONInt checks that lit is a JSON integer literal (optional '-', digits, no leading zeros).
func parseJSONInt(lit string) (string, bool) {
	s := strings.TrimPrefix(lit, "-")
	if s == "" {
		return "", false
	}
	if len(s) > 1 && s[0] == '0' {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	return lit, true
}
