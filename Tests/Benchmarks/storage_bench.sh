#!/usr/bin/env bash
# Storage over RPC on loopback: a release storage on a fresh SQLite file, driven by storage-bench (this
# project's client) and by h2load (cache Set and Get with pre-encoded requests). Writes bench-results/storage.txt.
set -euo pipefail
bin=$1
# Reports stored over RPC before the listing latencies on a fresh SQLite file and on Tarantool (the 1M-thread
# SQLite run at the end is seeded in bulk instead).
records_put=${RECORDS_PUT:-100000}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
# Starts storage on database $1 with its log in $2 (more settings after them); sets pid and port (migrating a
# large database takes a while).
start_storage() {
    local database=$1 log=$2
    shift 2
    "$bin/storage" --rpc-port 0 --admin-port 0 --set log.format=json --set storage.path="$database" "$@" 2> "$log" &
    pid=$!
    port=""
    for _ in $(seq 1200); do
        port=$(grep -o '"rpc.port":"[0-9]*"' "$log" | grep -o '[0-9]*' || true)
        [ -n "$port" ] && return
        sleep 0.1
    done
    echo "storage did not start:" >&2; cat "$log" >&2; exit 1
}

start_storage "$work/storage.sqlite" "$work/log"
{
    echo "storage over RPC on loopback (release, SQLite WAL, synchronous=FULL)"
    "$bin/storage-bench" --port "$port"
    # Pre-encoded requests: Get {key: "bench:1234"}; Set {key, 512-byte value, ttl_ms: 3600000, source: DADATA}.
    python3 -c "import sys; m=b'\x0a\x0abench:1234'; sys.stdout.buffer.write(b'\x00'+len(m).to_bytes(4,'big')+m)" > "$work/get.bin"
    python3 -c "import sys; m=b'\x0a\x0abench:1234\x12\x80\x04'+b'Z'*512+b'\x18\x80\xdd\xdb\x01\x20\x01'; sys.stdout.buffer.write(b'\x00'+len(m).to_bytes(4,'big')+m)" > "$work/set.bin"
    h2load -n 60000 -c 4 -m 32 -d "$work/set.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
        "http://127.0.0.1:$port/clientanalyze.storage.v1.Cache/Set" | awk '/finished in/ {print "cache Set with h2load -c 4 -m 32       " $4 " " $5} /succeeded/ {print "  " $0}' 
    h2load -n 60000 -c 4 -m 32 -d "$work/get.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
        "http://127.0.0.1:$port/clientanalyze.storage.v1.Cache/Get" | awk '/finished in/ {print "cache Get with h2load -c 4 -m 32       " $4 " " $5} /succeeded/ {print "  " $0}'
    admin=$(grep -o '"admin.port":"[0-9]*"' "$work/log" | grep -o '[0-9]*')
    # h2load counts HTTP 200s; a gRPC error is a 200 too, so count the statuses the server recorded.
    echo "non-OK gRPC statuses: $(curl -s "http://127.0.0.1:$admin/metrics" | awk '/^grpc_server_handled_total/ && !/grpc_code="OK"/ {n += $NF} END {print n + 0}')"
    echo "database size: $(du -ch "$work"/storage.sqlite* | tail -1 | cut -f1)"
    echo "records: $records_put reports put over RPC, then thread listings one call at a time (200 calls each, after one untimed call per word)"
    "$bin/storage-bench" --port "$port" --records --put "$records_put"
} | tee bench-results/storage.txt

# The same cache and queue runs with storage.backend=tarantool (compose/tarantool/init.lua on a free port).
kill $pid 2>/dev/null || true
tarantool_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CLA_TARANTOOL_LISTEN=127.0.0.1:$tarantool_port CLA_TARANTOOL_DIR="$work/tarantool" CLA_TARANTOOL_PASSWORD=bench \
    CLA_TARANTOOL_PARENT_PID=$$ tarantool compose/tarantool/init.lua > "$work/tarantool.log" 2>&1 &
tarantool_pid=$!
trap 'kill $pid $tarantool_pid 2>/dev/null || true; wait $tarantool_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "entering the event loop" "$work/tarantool.log" && break; sleep 0.1; done
start_storage "$work/records.sqlite" "$work/log-tarantool" --set storage.backend=tarantool \
    --set storage.tarantool.address=127.0.0.1:$tarantool_port --set storage.tarantool.password=bench
{
    echo
    echo "storage over RPC with storage.backend=tarantool ($(tarantool --version | head -1), wal_mode=write)"
    "$bin/storage-bench" --port "$port"
    for method in Set Get; do
        h2load -n 60000 -c 4 -m 32 -d "$work/$(tr 'SG' 'sg' <<<"$method").bin" -H 'content-type: application/grpc' -H 'te: trailers' \
            "http://127.0.0.1:$port/clientanalyze.storage.v1.Cache/$method" | awk -v m="$method" '/finished in/ {print "cache " m " with h2load -c 4 -m 32       " $4 " " $5} /succeeded/ {print "  " $0}'
    done
    admin=$(grep -o '"admin.port":"[0-9]*"' "$work/log-tarantool" | grep -o '[0-9]*')
    echo "non-OK gRPC statuses: $(curl -s "http://127.0.0.1:$admin/metrics" | awk '/^grpc_server_handled_total/ && !/grpc_code="OK"/ {n += $NF} END {print n + 0}')"
    echo "records in Tarantool: $records_put reports put over RPC, then thread listings one call at a time (200 calls each, after one untimed call per word)"
    "$bin/storage-bench" --port "$port" --records --put "$records_put"
} | tee -a bench-results/storage.txt

# Jobs through RabbitMQ (scripts/rabbitmq-test-server.sh: a loopback broker of its own), with the queue's
# records in Tarantool as above: storage publishes due jobs with confirms, storage-bench consumes and claims.
kill $pid 2>/dev/null || true
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
amqp_port=$(free_port)
: > "$work/rabbitmq.log"
scripts/rabbitmq-test-server.sh "$work/rabbitmq" "$amqp_port" "$(free_port)" "$(free_port)" $$ > "$work/rabbitmq.log" 2>&1 &
rabbitmq_pid=$!
trap 'kill $pid $tarantool_pid 2>/dev/null || true; touch "$work/rabbitmq/stop"; wait $tarantool_pid $rabbitmq_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 900); do grep -q "Server startup complete" "$work/rabbitmq.log" && break; sleep 0.1; done
start_storage "$work/records-rabbitmq.sqlite" "$work/log-rabbitmq" --set storage.backend=tarantool \
    --set storage.tarantool.address=127.0.0.1:$tarantool_port --set storage.tarantool.password=bench \
    --set storage.tarantool.namespace=rmq --set features.queue_backend=rabbitmq \
    --set rabbitmq.address=127.0.0.1:$amqp_port --set rabbitmq.user=cla --set rabbitmq.password=cla-test
{
    echo
    echo "jobs through RabbitMQ ($(dpkg-query -W -f '${Version}' rabbitmq-server), quorum queue, publisher confirms), records in Tarantool"
    "$bin/storage-bench" --port "$port" --rabbitmq "$amqp_port"
    admin=$(grep -o '"admin.port":"[0-9]*"' "$work/log-rabbitmq" | grep -o '[0-9]*')
    echo "non-OK gRPC statuses: $(curl -s "http://127.0.0.1:$admin/metrics" | awk '/^grpc_server_handled_total/ && !/grpc_code="OK"/ {n += $NF} END {print n + 0}')"
    echo "published and confirmed: $(curl -s "http://127.0.0.1:$admin/metrics" | awk '/^storage_jobs_published_total/ {print $NF}')"
} | tee -a bench-results/storage.txt
# Both brokers stop before the latency runs: an Erlang VM shutting down takes a core for seconds.
kill $pid $tarantool_pid 2>/dev/null || true
touch "$work/rabbitmq/stop"
wait $tarantool_pid $rabbitmq_pid 2>/dev/null || true

# Thread list and search latency with 1 000 000 threads (one report each). The seeded database is kept in
# bench-results/ (about 1.3 GB) so that later runs skip the seeding (about a minute).
seeded=bench-results/threads-1m.sqlite
"$bin/storage-bench" --seed "$seeded" --threads 1000000
kill $pid 2>/dev/null || true
start_storage "$seeded" "$work/log-1m"
{
    echo
    echo "thread listings over RPC, one call at a time, 200 calls each after one untimed call per word"
    "$bin/storage-bench" --port "$port" --records
    echo "database size: $(du -ch "$seeded"* | tail -1 | cut -f1)"
} | tee -a bench-results/storage.txt
