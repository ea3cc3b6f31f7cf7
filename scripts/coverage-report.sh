#!/usr/bin/env bash
# Prints line coverage per target of the project's own sources (generated code and tests excluded), from the
# profile that `swift test --enable-code-coverage` wrote.
set -euo pipefail
bin=$(swift build --show-bin-path)
profdata="$bin/codecov/default.profdata"
[ -f "$profdata" ] || { echo "no coverage profile: run 'swift test --enable-code-coverage' first" >&2; exit 1; }
tests="$bin/ClientAnalyzePackageTests.xctest"
llvm_cov=$(command -v llvm-cov || echo /opt/swift/usr/bin/llvm-cov)
printf "%-28s %10s %10s %8s\n" target lines missed cover
for dir in Shared/*/ Services/*/; do
    [ -d "$dir" ] || continue
    files=$(find "$dir" -name '*.swift' -not -path '*/Generated/*' | sort)
    [ -n "$files" ] || continue
    "$llvm_cov" report "$tests" -instr-profile "$profdata" $files 2>/dev/null \
        | awk -v t="$(basename "$dir")" '/^TOTAL/ { printf "%-28s %10s %10s %8s\n", t, $8, $9, $10 }'
done
