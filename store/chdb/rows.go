package chdb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
)

// rows walks a JSONCompactEachRow result: one JSON array per line.
type rows struct {
	data []byte
	cur  []json.RawMessage
	err  error
}

func newRows(data []byte) *rows { return &rows{data: data} }

func (r *rows) Next() bool {
	if r.err != nil || len(r.data) == 0 {
		return false
	}
	line := r.data
	if i := bytes.IndexByte(r.data, '\n'); i >= 0 {
		line, r.data = r.data[:i], r.data[i+1:]
	} else {
		r.data = nil
	}
	r.cur = r.cur[:0]
	if err := json.Unmarshal(line, &r.cur); err != nil {
		r.err = fmt.Errorf("decode row: %w", err)
		return false
	}
	return true
}

func (r *rows) Scan(dest ...any) error {
	if len(dest) != len(r.cur) {
		return fmt.Errorf("scan: %d destinations for %d columns", len(dest), len(r.cur))
	}
	for i, d := range dest {
		if err := scanValue(r.cur[i], d); err != nil {
			return fmt.Errorf("scan column %d: %w", i, err)
		}
	}
	return nil
}

func (r *rows) Err() error   { return r.err }
func (r *rows) Close() error { r.data = nil; return nil }

// scanValue converts one JSON value into dest. Numbers may arrive quoted
// (128-bit integers, NaN and infinities) and are parsed from their text.
func scanValue(raw json.RawMessage, dest any) error {
	switch d := dest.(type) {
	case *string:
		if len(raw) > 0 && raw[0] == '"' {
			return json.Unmarshal(raw, d)
		}
		*d = string(raw) // numbers and bools as their text
		return nil
	case *bool:
		switch string(raw) {
		case "true", "1":
			*d = true
		case "false", "0":
			*d = false
		default:
			return fmt.Errorf("cannot scan %s into bool", raw)
		}
		return nil
	case *[]string, *map[string]string, *any:
		return json.Unmarshal(raw, d)
	}
	return scanNumber(raw, dest)
}

func scanNumber(raw json.RawMessage, dest any) error {
	v := reflect.ValueOf(dest)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return errors.New("destination must be a non-nil pointer")
	}
	v = v.Elem()
	text := string(raw)
	if len(raw) > 1 && raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return err
		}
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(text, 10, v.Type().Bits())
		v.SetInt(n)
		return err
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(text, 10, v.Type().Bits())
		v.SetUint(n)
		return err
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(text, v.Type().Bits())
		v.SetFloat(f)
		return err
	}
	return json.Unmarshal(raw, dest)
}
