#!/bin/bash
# Re-makes the synthetic captures and every expected output listed in tests/expected.list.
# Review the diff (git diff pcaps/) before committing: expected files are claims.
set -euo pipefail
cd "$(dirname "$0")/.."
build/pcapgen --sample pcaps/sample.pcap pcaps/gen >/dev/null
while read -r pcap expected opts; do
    case "$pcap" in '' | '#'*) continue ;; esac
    # shellcheck disable=SC2086
    build/smtpscope --json $opts -r "$pcap" >"$expected"
done <tests/expected.list
git status --short pcaps/
