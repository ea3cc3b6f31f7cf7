#!/usr/bin/env bash
# Instructions per encode and per decode of the full sample report (50 court cases, 30 web mentions, 20 markers),
# counted by valgrind's callgrind: `contracts-bench profile-encode|profile-decode N` minus the same with N = 0.
# Times on a shared machine move by tens of percent; this count does not, so compare bridge changes by it.
#
# Usage: Tests/Benchmarks/contracts_instructions.sh [CONTRACTS_BENCH_BINARY] [ITERATIONS]
set -euo pipefail
bench=${1:-$(swift build -c release --show-bin-path)/contracts-bench}
iterations=${2:-2000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# valgrind 3.19 cannot read the DWARF 5 that Swift emits; a copy without debug sections keeps the symbols.
objcopy --strip-debug "$bench" "$work/bench"
count() {
    valgrind --tool=callgrind --callgrind-out-file="$work/out" "$work/bench" "profile-$1" "$2" > /dev/null 2> "$work/log"
    grep -o 'refs: *[0-9,]*' "$work/log" | tr -dc 0-9
}
for mode in encode decode; do
    total=$(count "$mode" "$iterations")
    base=$(count "$mode" 0)
    echo "contracts: $(( (total - base) / iterations )) instructions per $mode of the full report ($iterations iterations$([ "$mode" = decode ] && echo ", with freeing the decoded value"))"
done
