// Command rawcount opens a stopped flowslo's embedded data dir and runs one
// SQL query (read-only use), printing each row tab-separated: the hostile
// review's way to count raw rows next to what the API said.
//
//	go run ./hack/rawcount -data /tmp/h2/data "SELECT count() FROM otel_traces"
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/flowslo/flowslo/store/chdb"
)

func main() {
	dir := flag.String("data", "./data", "flowslo --data-dir (the server must be stopped)")
	flag.Parse()
	ctx := context.Background()
	st, err := chdb.Open(ctx, chdb.Options{DataDir: *dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(1)
	}
	defer st.Close()
	for _, q := range flag.Args() {
		rows, err := st.Query(ctx, q, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, "query:", err)
			os.Exit(1)
		}
		for rows.Next() {
			var a, b, c, d string
			dst := []any{&a, &b, &c, &d}
			n := strings.Count(strings.SplitN(q, " FROM ", 2)[0], ",") + 1
			if err := rows.Scan(dst[:n]...); err != nil {
				fmt.Fprintln(os.Stderr, "scan:", err)
				os.Exit(1)
			}
			fmt.Println(strings.Join([]string{a, b, c, d}[:n], "\t"))
		}
		if err := rows.Err(); err != nil {
			fmt.Fprintln(os.Stderr, "rows:", err)
		}
		rows.Close()
	}
}
