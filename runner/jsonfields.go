package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
)

// jsonDoc is one JSON object of a model directory's config files, read field by field so that every
// error names the file and the field in the file's own terms (model.decoder.num_hidden_layers: want a
// positive integer, got a string "2"), never a Go type, and so that "not given" (missing, null) is told
// apart from "given".
type jsonDoc struct {
	file string // the file's path, for errors
	path string // the object's key path in the file ("" at the top)
	obj  map[string]json.RawMessage
}

// readJSONDoc reads a JSON object file; a missing file is (nil, nil).
func readJSONDoc(path string) (*jsonDoc, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return parseJSONDoc(path, b)
}

func parseJSONDoc(path string, b []byte) (*jsonDoc, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("%s: empty file (want a JSON object)", path)
	}
	if bytes.HasPrefix(b, []byte(lfsPrefix)) && len(b) < 1024 {
		return nil, fmt.Errorf("%s is a Git LFS pointer, not the file: run git lfs pull (in the repository that holds it)", path)
	}
	var raw json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: not valid JSON: %s", path, jsonSyntax(b, err))
	}
	d := &jsonDoc{file: path}
	if err := d.object(raw, &d.obj, ""); err != nil {
		return nil, err
	}
	return d, nil
}

// jsonSyntax words a JSON decoding error with its line and column.
func jsonSyntax(b []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := 1, 1
		for _, c := range b[:max(min(int(se.Offset)-1, len(b)), 0)] { // Offset is just past the bad byte
			if c == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return fmt.Sprintf("%s (line %d, column %d)", strings.TrimPrefix(se.Error(), "json: "), line, col)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func (d *jsonDoc) object(raw json.RawMessage, dst *map[string]json.RawMessage, key string) error {
	if err := json.Unmarshal(raw, dst); err != nil || *dst == nil {
		where := d.key(key)
		if where == "" {
			return fmt.Errorf("%s: want a JSON object, got %s", d.file, describeJSON(raw))
		}
		return fmt.Errorf("%s: %s: want an object, got %s", d.file, where, describeJSON(raw))
	}
	return nil
}

func (d *jsonDoc) key(k string) string {
	switch {
	case d.path == "":
		return k
	case k == "":
		return d.path
	}
	return d.path + "." + k
}

// sub returns the object at key (an empty object when missing or null).
func (d *jsonDoc) sub(key string) (*jsonDoc, error) {
	s := &jsonDoc{file: d.file, path: d.key(key), obj: map[string]json.RawMessage{}}
	raw, ok := d.get(key)
	if !ok {
		return s, nil
	}
	return s, d.object(raw, &s.obj, key)
}

// get returns the raw value of key; null counts as missing.
func (d *jsonDoc) get(key string) (json.RawMessage, bool) {
	if d == nil {
		return nil, false
	}
	raw, ok := d.obj[key]
	if !ok || string(bytes.TrimSpace(raw)) == "null" {
		return nil, false
	}
	return bytes.TrimSpace(raw), true
}

func (d *jsonDoc) fail(key, want string, raw json.RawMessage) error {
	return fmt.Errorf("%s: %s: want %s, got %s", d.file, d.key(key), want, describeJSON(raw))
}

// describeJSON words a JSON value for an error: a string "32000", a number 3.5, true, a list, an object.
func describeJSON(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		var s string
		json.Unmarshal(raw, &s)
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return fmt.Sprintf("a string %q", s)
	case '[':
		return "a list"
	case '{':
		return "an object"
	case 't', 'f':
		return string(raw)
	case 'n':
		return "null"
	}
	s := string(raw)
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return "the number " + s
}

// jsonInt reads a JSON number that is an integer (2048, 2048.0, 2.048e3), within int32.
func jsonInt(raw json.RawMessage) (int, bool) {
	if len(raw) == 0 || !(raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return 0, false
	}
	if v, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		if v < math.MinInt32 || v > math.MaxInt32 {
			return 0, false
		}
		return int(v), true
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}

// posInt reads a positive integer (a size); missing or null is (0, false).
func (d *jsonDoc) posInt(key string) (int, bool, error) {
	raw, ok := d.get(key)
	if !ok {
		return 0, false, nil
	}
	v, isInt := jsonInt(raw)
	if !isInt || v <= 0 {
		return 0, false, d.fail(key, "a positive integer", raw)
	}
	return v, true, nil
}

// tokenID reads a token id; missing, null or negative (Hugging Face's -1 for "none") is nil.
func (d *jsonDoc) tokenID(key string) (*int, error) {
	raw, ok := d.get(key)
	if !ok {
		return nil, nil
	}
	v, isInt := jsonInt(raw)
	if !isInt {
		return nil, d.fail(key, "a token id (an integer)", raw)
	}
	if v < 0 {
		return nil, nil
	}
	return &v, nil
}

// eosIDs reads eos_token_id: an id or a list of ids. Missing, null, a negative id, an empty list or a
// string mean "not given here" (nil); a list with anything but non-negative integers is an error.
func (d *jsonDoc) eosIDs(key string) ([]int, error) {
	raw, ok := d.get(key)
	if !ok || raw[0] == '"' {
		return nil, nil
	}
	if raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, d.fail(key, "a token id or a list of token ids", raw)
		}
		var out []int
		for i, it := range items {
			v, isInt := jsonInt(bytes.TrimSpace(it))
			if !isInt || v < 0 {
				return nil, d.fail(fmt.Sprintf("%s[%d]", key, i), "a token id (a non-negative integer)", it)
			}
			if !containsInt(out, v) {
				out = append(out, v)
			}
		}
		return out, nil
	}
	v, isInt := jsonInt(raw)
	if !isInt {
		return nil, d.fail(key, "a token id or a list of token ids", raw)
	}
	if v < 0 {
		return nil, nil
	}
	return []int{v}, nil
}

// str reads a string; missing or null is "".
func (d *jsonDoc) str(key string) (string, error) {
	raw, ok := d.get(key)
	if !ok {
		return "", nil
	}
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", d.fail(key, "a string", raw)
	}
	return s, nil
}

// boolean reads true or false; missing or null is false.
func (d *jsonDoc) boolean(key string) (bool, error) {
	raw, ok := d.get(key)
	if !ok {
		return false, nil
	}
	switch string(raw) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, d.fail(key, "true or false", raw)
}

func containsInt(xs []int, v int) bool {
	for _, x := range xs {
		if x == v {
			return true
		}
	}
	return false
}
