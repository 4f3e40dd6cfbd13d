package ingest

import (
	"errors"
	"testing"
)

func TestBrief(t *testing.T) {
	err := errors.New("insert 1200 traces: chdb insert: Code: 252. DB::Exception: Too many partitions for single INSERT block (more than 100). The limit is controlled by 'max_partitions_per_insert_block' setting. Large number: while pushing to view test_1.otel_traces_ingest_mv. (TOO_MANY_PARTS) (version 26.7.2.1)")
	want := "Too many partitions for single INSERT block (more than 100) (TOO_MANY_PARTS)"
	if got := brief(err); got != want {
		t.Errorf("brief: %q, want %q", got, want)
	}
	if got := brief(errors.New("row 3: bad value")); got != "row 3: bad value" {
		t.Errorf("brief of a plain error: %q", got)
	}
}
