#!/bin/sh
# kill -9 of a real flowslo with a persistent queue while clients send
# and inserts run, KILLS times; then drain, stop, and compare the
# acknowledged span IDs with the stored ones (hack/README.md).
# usage: hack/killq.sh WORKDIR [KILLS] [CLIENTS]
set -u
W=${1:?workdir}; KILLS=${2:-5}; CLIENTS=${3:-8}
BIN=${BIN:-/tmp/qh-flowslo}; ACK=${ACK:-/tmp/qh-ack}; RAW=${RAW:-/tmp/qh-raw}
rm -rf "$W"; mkdir -p "$W/data" "$W/queue"
printf 'queue:\n  dir: %s/queue\n' "$W" > "$W/config.yaml"
start() {
  "$BIN" serve --data-dir "$W/data" --config "$W/config.yaml" --http-addr 127.0.0.1:18080 \
    --otlp-http-addr 127.0.0.1:14318 --otlp-grpc-addr 127.0.0.1:14317 >>"$W/server.log" 2>&1 &
  echo $! > "$W/pid"
  until curl -sf http://127.0.0.1:18080/healthz >/dev/null 2>&1; do
    kill -0 "$(cat "$W/pid")" 2>/dev/null || { echo "server exited; see $W/server.log"; tail -5 "$W/server.log"; exit 1; }
    sleep 0.2
  done
}
start
"$ACK" -clients "$CLIENTS" -n 200 -run 1 -out "$W/acked.txt" -for $((KILLS * 6 + 4))s > "$W/ack.log" 2>&1 &
APID=$!
for k in $(seq 1 "$KILLS"); do
  sleep "$(awk -v s=$k 'BEGIN{srand(s); printf "%.1f", 1.5+rand()*3}')"
  kill -9 "$(cat "$W/pid")"; wait "$(cat "$W/pid")" 2>/dev/null
  echo "kill $k: queue $(du -sh "$W/queue" | cut -f1)"
  start
done
wait $APID; cat "$W/ack.log"
# drain: wait for the queue gauge to reach 0
for i in $(seq 1 300); do
  q=$(curl -s http://127.0.0.1:18080/metrics | awk '/^flowslo_ingest_persistent_queue_bytes/ {s+=$2} END {print s+0}')
  [ "$q" = 0 ] && break; sleep 0.2
done
kill -TERM "$(cat "$W/pid")"; wait "$(cat "$W/pid")" 2>/dev/null
"$RAW" -data "$W/data" "SELECT TraceId, SpanId FROM otel_traces WHERE ServiceName = 'qkill'" | tr '\t' ' ' | sort > "$W/stored.txt"
sort "$W/acked.txt" > "$W/acked.sorted"
echo "acknowledged $(wc -l < "$W/acked.sorted") (distinct $(uniq "$W/acked.sorted" | wc -l)), stored $(wc -l < "$W/stored.txt") (distinct $(uniq "$W/stored.txt" | wc -l))"
echo "missing (acknowledged, not stored): $(comm -23 "$W/acked.sorted" "$W/stored.txt" | uniq | wc -l)"
echo "stored twice: $(uniq -d "$W/stored.txt" | wc -l)"
