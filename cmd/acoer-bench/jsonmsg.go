package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
)

// jsonMsg words a JSON decoding error for the author of the input line: `"ids": want an integer, got
// string` instead of encoding/json's "cannot unmarshal string into Go struct field .ids of type int".
func jsonMsg(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := jsonKind(te.Type)
		if te.Field == "" {
			return fmt.Sprintf("want %s, got %s", want, te.Value)
		}
		return fmt.Sprintf("%q: want %s, got %s", te.Field, want, te.Value)
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

// jsonKind names what a Go type accepts, in JSON terms.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "another value"
}
