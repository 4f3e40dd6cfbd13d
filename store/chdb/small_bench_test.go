package chdb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/flowslo/flowslo/store/chdb"
	"github.com/flowslo/flowslo/store/storetest"
)

// BenchmarkInsertSmall measures one insert of the size an SDK batch
// processor sends (512 spans) and smaller: the fixed cost per insert.
//
//	go test ./store/chdb -run '^$' -bench InsertSmall -benchtime 200x
func BenchmarkInsertSmall(b *testing.B) {
	for _, n := range []int{1, 100, 512} {
		spans := storetest.Spans(n, time.Now().Add(-time.Hour), 1)
		b.Run(fmt.Sprintf("spans=%d", n), func(b *testing.B) {
			s := openTest(b, chdb.Options{})
			defer s.Close()
			for range b.N {
				if err := s.InsertSpans(context.Background(), spans); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
