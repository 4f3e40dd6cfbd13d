package chserver

import (
	"fmt"
	"math/big"
	"reflect"
	"strconv"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// rows scans each column into a holder of the driver's type, then converts
// it into the caller's destination, so callers get the same conversions as
// with the embedded store (an UInt64 count into an int, say).
type rows struct {
	r       driver.Rows
	holders []any
}

func newRows(r driver.Rows) *rows {
	cts := r.ColumnTypes()
	h := make([]any, len(cts))
	for i, ct := range cts {
		h[i] = reflect.New(ct.ScanType()).Interface()
	}
	return &rows{r: r, holders: h}
}

func (r *rows) Next() bool   { return r.r.Next() }
func (r *rows) Err() error   { return r.r.Err() }
func (r *rows) Close() error { return r.r.Close() }

func (r *rows) Scan(dest ...any) error {
	if len(dest) != len(r.holders) {
		return fmt.Errorf("scan: %d destinations for %d columns", len(dest), len(r.holders))
	}
	if err := r.r.Scan(r.holders...); err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	for i, d := range dest {
		if err := assign(d, reflect.ValueOf(r.holders[i]).Elem()); err != nil {
			return fmt.Errorf("scan column %d: %w", i, err)
		}
	}
	return nil
}

// assign converts src into the value dest points to.
func assign(dest any, src reflect.Value) error {
	for src.Kind() == reflect.Pointer || src.Kind() == reflect.Interface {
		if src.IsNil() {
			return setZero(dest)
		}
		src = src.Elem()
	}
	d := reflect.ValueOf(dest)
	if d.Kind() != reflect.Pointer || d.IsNil() {
		return fmt.Errorf("destination must be a non-nil pointer")
	}
	d = d.Elem()
	if src.Type().AssignableTo(d.Type()) {
		d.Set(src)
		return nil
	}
	if d.Kind() == reflect.Interface {
		d.Set(src)
		return nil
	}
	return convert(d, src)
}

func convert(d, src reflect.Value) error {
	text := textOf(src)
	var err error
	switch d.Kind() {
	case reflect.String:
		d.SetString(text)
	case reflect.Bool:
		var b bool
		b, err = strconv.ParseBool(text)
		d.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var n int64
		n, err = strconv.ParseInt(text, 10, d.Type().Bits())
		d.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		var n uint64
		n, err = strconv.ParseUint(text, 10, d.Type().Bits())
		d.SetUint(n)
	case reflect.Float32, reflect.Float64:
		var f float64
		f, err = strconv.ParseFloat(text, d.Type().Bits())
		d.SetFloat(f)
	default:
		return fmt.Errorf("cannot scan %s into %s", src.Type(), d.Type())
	}
	if err != nil {
		return fmt.Errorf("cannot scan %s %q into %s: %w", src.Type(), text, d.Type(), err)
	}
	return nil
}

// textOf renders a scalar as the text ClickHouse would print for it.
func textOf(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, v.Type().Bits())
	case reflect.String:
		return v.String()
	}
	if b, ok := v.Interface().(big.Int); ok {
		return b.String()
	}
	return fmt.Sprint(v.Interface())
}

func setZero(dest any) error {
	d := reflect.ValueOf(dest)
	if d.Kind() != reflect.Pointer || d.IsNil() {
		return fmt.Errorf("destination must be a non-nil pointer")
	}
	d.Elem().SetZero()
	return nil
}
