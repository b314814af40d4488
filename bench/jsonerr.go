package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
)

// JSONErrorText words a JSON decoding error for whoever wrote the input, in JSON terms: `"ids": want an
// integer, got string` instead of encoding/json's "cannot unmarshal string into Go struct field .ids of
// type int", and "invalid JSON: ..." for syntax errors.
func JSONErrorText(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return fmt.Sprintf("want %s, got %s", jsonWant(te.Type), te.Value)
		}
		return fmt.Sprintf("%q: want %s, got %s", te.Field, jsonWant(te.Type), te.Value)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "invalid JSON: unexpected end of line"
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "invalid JSON: " + se.Error()
	}
	return err.Error()
}

// jsonFileError words a JSON decoding error of a file a run wrote, for whoever finds it damaged:
// `results.json: "tasks": want an array, got number`, not encoding/json's "cannot unmarshal number into
// Go struct field Results.tasks of type []bench.TaskResult". The original error stays wrapped.
func jsonFileError(path string, err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("%s: %w", path, err)
	}
	return &plainError{msg: path + ": " + JSONErrorText(err), err: err}
}

// jsonWant names what a Go type accepts, in JSON terms.
func jsonWant(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return jsonWant(t.Elem())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	}
	return "another value"
}

// plainError prints msg and unwraps to err.
type plainError struct {
	msg string
	err error
}

func (e *plainError) Error() string { return e.msg }
func (e *plainError) Unwrap() error { return e.err }
