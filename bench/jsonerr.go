package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// jsonFileError words a JSON decoding error of a file a run wrote, for whoever finds it damaged:
// `results.json: "tasks": want an array, got number`, not encoding/json's "cannot unmarshal number into
// Go struct field Results.tasks of type []bench.TaskResult". The original error stays wrapped.
func jsonFileError(path string, err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("%s: %w", path, err)
	}
	where := ""
	if te.Field != "" {
		where = fmt.Sprintf("%q: ", te.Field)
	}
	return &plainError{msg: fmt.Sprintf("%s: %swant %s, got %s", path, where, jsonWant(te.Type), te.Value), err: err}
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
