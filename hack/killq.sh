#!/bin/sh
# kill -9 of a real flowslo with a persistent queue while clients send
# and inserts run, KILLS times; then drain, stop, and compare the
# acknowledged span IDs with the stored ones (hack/README.md).
# usage: hack/killq.sh WORKDIR [KILLS] [CLIENTS]
# DEFAULT=1: the default config (the queue in <data-dir>/queue, rows
# entries with the embedded store); LOGS=1: logs sent and compared too.
set -u
W=${1:?workdir}; KILLS=${2:-5}; CLIENTS=${3:-8}
BIN=${BIN:-/tmp/qh-flowslo}; ACK=${ACK:-/tmp/qh-ack}; RAW=${RAW:-/tmp/qh-raw}
rm -rf "$W"; mkdir -p "$W/data" "$W/queue"
Q="$W/queue"
if [ "${DEFAULT:-0}" = 1 ]; then
  : > "$W/config.yaml"; Q="$W/data/queue"
else
  printf 'queue:\n  dir: %s/queue\n' "$W" > "$W/config.yaml"
fi
start() {
  "$BIN" serve --data-dir "$W/data" --config "$W/config.yaml" --http-addr 127.0.0.1:${HP:-18080} \
    --otlp-http-addr 127.0.0.1:${OP:-14318} --otlp-grpc-addr 127.0.0.1:${GP:-14317} >>"$W/server.log" 2>&1 &
  echo $! > "$W/pid"
  until curl -sf http://127.0.0.1:${HP:-18080}/healthz >/dev/null 2>&1; do
    kill -0 "$(cat "$W/pid")" 2>/dev/null || { echo "server exited; see $W/server.log"; tail -5 "$W/server.log"; exit 1; }
    sleep 0.2
  done
}
start
"$ACK" -url http://127.0.0.1:${OP:-14318}/v1/traces -clients "$CLIENTS" -n 200 -run 1 -out "$W/acked.txt" -for $((KILLS * 6 + 4))s > "$W/ack.log" 2>&1 &
APID=$!
LPID=
if [ "${LOGS:-0}" = 1 ]; then
  "$ACK" -signal logs -url http://127.0.0.1:${OP:-14318}/v1/logs -clients "$CLIENTS" -n 200 -run 2 -out "$W/acked-logs.txt" -for $((KILLS * 6 + 4))s > "$W/ack-logs.log" 2>&1 &
  LPID=$!
fi
for k in $(seq 1 "$KILLS"); do
  sleep "$(awk -v s=$k 'BEGIN{srand(s); printf "%.1f", 1.5+rand()*3}')"
  kill -9 "$(cat "$W/pid")"; wait "$(cat "$W/pid")" 2>/dev/null
  echo "kill $k: queue $(du -sh "$Q" | cut -f1)"
  start
done
wait $APID $LPID; cat "$W/ack.log"; [ -n "$LPID" ] && cat "$W/ack-logs.log"
# drain: wait for the queue gauge to reach 0
for i in $(seq 1 300); do
  q=$(curl -s http://127.0.0.1:${HP:-18080}/metrics | awk '/^flowslo_ingest_persistent_queue_bytes/ {s+=$2} END {print s+0}')
  [ "$q" = 0 ] && break; sleep 0.2
done
kill -TERM "$(cat "$W/pid")"; wait "$(cat "$W/pid")" 2>/dev/null
compare() { # table acked-file
"$RAW" -data "$W/data" "SELECT TraceId, SpanId FROM $1 WHERE ServiceName = 'qkill'" | tr '\t' ' ' | sort > "$W/stored-$1.txt"
sort "$2" > "$2.sorted"
echo "$1: acknowledged $(wc -l < "$2.sorted") (distinct $(uniq "$2.sorted" | wc -l)), stored $(wc -l < "$W/stored-$1.txt") (distinct $(uniq "$W/stored-$1.txt" | wc -l))"
echo "$1 missing (acknowledged, not stored): $(comm -23 "$2.sorted" "$W/stored-$1.txt" | uniq | wc -l)"
echo "$1 stored twice: $(uniq -d "$W/stored-$1.txt" | wc -l)"
}
compare otel_traces "$W/acked.txt"
[ "${LOGS:-0}" = 1 ] && compare otel_logs "$W/acked-logs.txt"
