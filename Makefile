# flowslo — the two commands a newcomer needs are `make run` and `make test`.
GO        ?= go
BIN       := bin/flowslo
DATA_DIR  ?= ./data
GOFLAGS_TEST ?= -count=1 -timeout 20m
# staticcheck is pinned here and run with `go run`, so it needs no install
# step and no entry in go.mod.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME  ?= 2s
# package:target pairs; each runs FUZZTIME beyond its committed seeds
# (testdata/fuzz and f.Add), which plain `go test` already replays.
FUZZ_TARGETS := ./ingest:FuzzOTLPHTTPProtobuf ./ingest:FuzzOTLPHTTPJSON ./ui:FuzzAPIQueryParams

.PHONY: all build setup test-deps run demo test lint fuzz bench vet clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/flowslo

# setup fetches the embedded ClickHouse (libchdb.so, pinned, integrity-checked)
# into the user cache. It does nothing when the library is already there.
setup:
	scripts/setup-chdb.sh

# test-deps installs what only the tests need: Debian's Chromium for the
# browser tests of the UI.
test-deps:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing chromium (browser tests)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

run: setup build
	$(BIN) serve --data-dir $(DATA_DIR) --slo examples/

# demo serves the example SLOs on a fresh embedded ClickHouse and runs
# `flowslo demo` against it: a week of history first, then the scenarios in
# a cycle at 10x. flowslo's own log goes to $(DEMO_DATA_DIR)/flowslo.log.
DEMO_DATA_DIR ?= ./demo-data
DEMO_FLAGS    ?= --backfill 7d --speed 10

demo: setup build
	@rm -rf $(DEMO_DATA_DIR) && mkdir -p $(DEMO_DATA_DIR)
	@$(BIN) serve --data-dir $(DEMO_DATA_DIR) --slo examples/ >$(DEMO_DATA_DIR)/flowslo.log 2>&1 & pid=$$!; \
	trap 'kill $$pid 2>/dev/null; wait $$pid' EXIT INT TERM; \
	for i in $$(seq 120); do curl -sf localhost:8080/readyz >/dev/null 2>&1 && break; \
		kill -0 $$pid 2>/dev/null || { cat $(DEMO_DATA_DIR)/flowslo.log; exit 1; }; sleep 0.5; done; \
	echo "flowslo demo: open http://localhost:8080 (Flows, SLOs, Alerts, Readiness); Ctrl-C stops both"; \
	$(BIN) demo $(DEMO_FLAGS)

test: setup test-deps lint
	$(GO) test $(GOFLAGS_TEST) ./...
	@[ -n "$$FLOWSLO_TEST_CLICKHOUSE_DSN" ] || echo "note: the ClickHouse-server contract suite (store/chserver) was skipped: set FLOWSLO_TEST_CLICKHOUSE_DSN=clickhouse://user:pass@host:9000 to run it against a server >= 23.8"
	$(MAKE) fuzz

lint:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -parallel 2 $$pkg || exit 1; \
	done

bench: setup
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...

clean:
	rm -rf bin demo-data
