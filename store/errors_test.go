package store

import (
	"errors"
	"fmt"
	"testing"
)

func TestClassifyMessage(t *testing.T) {
	cases := []struct {
		msg  string
		want ErrorKind
	}{
		{"Code: 252. DB::Exception: Too many partitions for single INSERT block (more than 100). (TOO_MANY_PARTS)", BadData},
		{"Code: 252. DB::Exception: Too many parts (3001). Merges are processing significantly slower than inserts. (TOO_MANY_PARTS)", Transient},
		{"Code: 53. DB::Exception: Type mismatch in IN or VALUES section. (TYPE_MISMATCH)", BadData},
		{"Code: 27. DB::Exception: Cannot parse input: expected '\\t' before: 'x'. (CANNOT_PARSE_INPUT_ASSERTION_FAILED)", BadData},
		{"Code: 243. DB::Exception: Cannot reserve 1.00 MiB, not enough space. (NOT_ENOUGH_SPACE)", StorageFull},
		{"Code: 1001. DB::Exception: std::__1::system_error: No space left on device. (STD_EXCEPTION)", StorageFull},
		{"Code: 241. DB::Exception: Memory limit (total) exceeded. (MEMORY_LIMIT_EXCEEDED)", Transient},
		{"Code: 159. DB::Exception: Timeout exceeded: elapsed 1003 ms. (TIMEOUT_EXCEEDED)", Transient},
		{"connection refused", Transient},
	}
	for _, c := range cases {
		if got := ClassifyMessage(c.msg); got != c.want {
			t.Errorf("%q: %v, want %v", c.msg, got, c.want)
		}
	}
}

func TestKindOf(t *testing.T) {
	err := fmt.Errorf("insert 3 traces: %w", &InsertError{Kind: BadData, Err: errors.New("x")})
	if KindOf(err) != BadData || KindOf(errors.New("x")) != Transient {
		t.Errorf("KindOf: %v, %v", KindOf(err), KindOf(errors.New("x")))
	}
}
