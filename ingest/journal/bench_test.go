package journal

import (
	"syscall"
	"testing"
	"time"
)

// BenchmarkAppend is one exporter's path through the journal: a 40 KiB
// entry (about one SDK export of 512 spans) appended and fdatasynced, in a
// file grown by zeros ahead of the entries (as Append does) and in one
// grown by each append (aheadBytes 0), side by side.
//
//	go test ./ingest/journal -run '^$' -bench Append -benchtime 2000x -count 3
func BenchmarkAppend(b *testing.B) {
	payload := make([]byte, 40<<10)
	for i := range payload {
		payload[i] = byte(i)
	}
	for _, v := range []struct {
		name  string
		ahead int64
	}{{"zeros-ahead", aheadBytes}, {"grow-each-append", 0}} {
		b.Run(v.name, func(b *testing.B) {
			defer func(old int64) { aheadBytes = old }(aheadBytes)
			aheadBytes = v.ahead
			j, err := Open(b.TempDir(), Options{MaxBytes: 1 << 40})
			if err != nil {
				b.Fatal(err)
			}
			defer j.Close()
			cpu0 := selfCPU()
			start := time.Now()
			for range b.N {
				if err := j.Append(payload); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N), "us/append")
			b.ReportMetric(float64((selfCPU()-cpu0).Microseconds())/float64(b.N), "cpu-us/append")
		})
	}
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
