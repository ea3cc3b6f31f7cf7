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
    local output
    output=$("$llvm_cov" report "$tests" -instr-profile "$profdata" "$@" 2>/dev/null)
    # Files the test binary does not contain (an executable's main) match nothing, and llvm-cov then
    # reports every file it has: say so instead of printing that total.
    local rows
    rows=$(awk '/^-+$/ { inside = !inside; next } inside { n++ } END { print n + 0 }' <<<"$output")
    if [ "$rows" -gt $# ]; then
        printf "%-28s %10s %10s %8s\n" "$name" - - "not in the tests"
        return 0
    fi
    awk -v t="$name" '/^TOTAL/ { printf "%-28s %10s %10s %8s\n", t, $8, $9, $10 }' <<<"$output"
}
sources() { find "$@" -name '*.swift' -not -path '*/Generated/*' 2>/dev/null | sort; }
for dir in Shared/*/ Services/*/; do
    [ -d "$dir" ] || continue
    name=$(basename "$dir")
    mapfile -t own < <(sources "$dir")
    mapfile -t generated < <(find "$dir" -path '*/Generated/*' -name '*.swift' | sort)
    report "$name" "${own[@]}"
    report "$name (generated)" "${generated[@]}"
done
# The critical paths the coverage target names, on their own.
for dir in Services/Analyzer/Service/Collection Services/Analyzer/Service/Scoring Services/Analyzer/Service/Worker \
    Services/Gateway/Service/API Services/Gateway/Service/Access Services/Gateway/Service/REST; do
    mapfile -t own < <(sources "$dir")
    report "  ${dir#Services/}" "${own[@]}"
done
