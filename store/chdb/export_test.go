package chdb

import "context"

// InsertRaw exposes the streaming insert to the benchmark, so other input
// formats can be measured against RowBinary.
func (s *Store) InsertRaw(ctx context.Context, query, format string, data []byte) error {
	return s.insert2(ctx, s.spanInserts, query, format, data)
}

// QueryRaw returns a query's output in format, as the engine wrote it.
func (s *Store) QueryRaw(ctx context.Context, query, format string) ([]byte, error) {
	res, err := s.run(ctx, s.queries, query, format, nil)
	return res.data, err
}
