#!/usr/bin/env bash
# Instructions the release interop-server executes per unary call (256 B, h2load -c 4 -m 32), counted by
# valgrind's callgrind. Unlike time, the count does not move with other load on a shared machine, so it shows
# whether a change to the RPC runtime made calls cheaper.
#
# Usage: Tests/Benchmarks/rpc_instructions.sh [SERVER_BINARY] [CALLS]   (then callgrind_annotate FILE)
set -euo pipefail
server=${1:-$(swift build -c release --show-bin-path)/interop-server}
calls=${2:-20000}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
# valgrind 3.19 cannot read the DWARF 5 that Swift emits; a copy without debug sections keeps the symbols.
objcopy --strip-debug "$server" "$work/server"
python3 -c "
import sys; sys.path.insert(0, 'Tests/Benchmarks'); import rpc_bench
sys.stdout.buffer.write(rpc_bench.unary_request(256))" > "$work/request.bin"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" "$work/server" --host 127.0.0.1 --port "$port" \
    > "$work/log" 2>&1 &
pid=$!
for _ in $(seq 200); do grep -q listening "$work/log" && break; sleep 0.1; done
drive() {
    h2load -n "$1" -c 4 -m 32 -d "$work/request.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
        "http://127.0.0.1:$port/grpc.testing.TestService/UnaryCall" | grep -E '^requests:'
}
drive 2000 > /dev/null  # warm up: connections, caches, lazily built metadata
callgrind_control --zero "$pid" > /dev/null 2>&1
drive "$calls"
callgrind_control --dump "$pid" > /dev/null 2>&1
sleep 0.5
dump=$(ls "$work"/callgrind.out.* | head -1)
total=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
echo "interop-server: $((total / calls)) instructions per unary call ($calls calls)"
mkdir -p bench-results
cp "$dump" bench-results/rpc-callgrind.out
echo "profile: bench-results/rpc-callgrind.out (callgrind_annotate --inclusive=no bench-results/rpc-callgrind.out)"
