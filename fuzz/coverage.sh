#!/bin/bash
# Line and region coverage that the kept corpora reach in the project's modules: builds
# each target again with clang's source-based coverage (no sanitizers), runs every input of
# build/fuzz/corpus/TARGET and build/fuzz/seed/TARGET once, and prints llvm-cov's report.
# Usage: LDLIBS="-lnids -lpcap" fuzz/coverage.sh   (from the repository root, after
#        `make fuzz`; needs llvm-14). `make fuzz-cov` runs it.
set -eu
out=build/fuzz/cov
rm -rf "$out"
mkdir -p "$out"
flags="-std=c11 -D_DEFAULT_SOURCE -I. -g -O1 -fprofile-instr-generate -fcoverage-mapping"
srcs=$(ls sniff/*.c reassembly/*.c smtp/*.c report/*.c)
objects=() # the first binary is llvm-cov's positional object, the others -object ones
for t in smtp banner pipeline; do
    clang $flags -fsanitize=fuzzer -o "$out/fuzz_$t" "fuzz/fuzz_$t.c" $srcs ${LDLIBS:?}
    LLVM_PROFILE_FILE="$out/$t.profraw" "$out/fuzz_$t" -runs=0 \
        build/fuzz/corpus/"$t" build/fuzz/seed/"$t" >"$out/$t.log" 2>&1
    [ ${#objects[@]} -eq 0 ] && objects=("$out/fuzz_$t") || objects+=(-object "$out/fuzz_$t")
done
llvm-profdata-14 merge -sparse -o "$out/all.profdata" "$out"/*.profraw
llvm-cov-14 report -instr-profile="$out/all.profdata" "${objects[@]}" $srcs
