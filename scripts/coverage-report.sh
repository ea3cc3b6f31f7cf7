#!/usr/bin/env bash
# Prints line coverage per target of the project's sources (generated code on a line of its own), from the
# profile that `swift test --enable-code-coverage` wrote.
set -euo pipefail
bin=$(swift build --show-bin-path)
profdata="$bin/codecov/default.profdata"
[ -f "$profdata" ] || { echo "no coverage profile: run 'swift test --enable-code-coverage' first" >&2; exit 1; }
tests="$bin/ClientAnalyzePackageTests.xctest"
# The toolchain's llvm-cov matches the profile format swiftc writes; a Debian llvm-cov may not.
llvm_cov="$(dirname "$(readlink -f "$(command -v swift)")")/llvm-cov"
printf "%-28s %10s %10s %8s\n" target lines missed cover
report() {
    local name=$1; shift
    [ $# -gt 0 ] || return 0
    "$llvm_cov" report "$tests" -instr-profile "$profdata" "$@" 2>/dev/null \
        | awk -v t="$name" '/^TOTAL/ { printf "%-28s %10s %10s %8s\n", t, $8, $9, $10 }'
}
for dir in Shared/*/ Services/*/; do
    [ -d "$dir" ] || continue
    name=$(basename "$dir")
    mapfile -t own < <(find "$dir" -name '*.swift' -not -path '*/Generated/*' | sort)
    mapfile -t generated < <(find "$dir" -path '*/Generated/*' -name '*.swift' | sort)
    report "$name" "${own[@]}"
    report "$name (generated)" "${generated[@]}"
done
