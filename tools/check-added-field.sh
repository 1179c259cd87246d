#!/bin/sh
# Checks that the expected outputs changed since a git revision only by a field added to
# JSON objects: each changed file, with every "FIELD":"string" or "FIELD":null taken out,
# must be the file at REV byte for byte. Run after tests/make-expected.sh.
# Usage: tools/check-added-field.sh FIELD [REV]      (REV: default HEAD)
set -eu
field=${1:?usage: $0 FIELD [REV]}
rev=${2:-HEAD}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
changed=0
bad=0
for f in $(git diff --name-only "$rev" -- 'pcaps/*.jsonl' 'pcaps/**/*.jsonl'); do
    changed=$((changed + 1))
    git show "$rev:$f" >"$tmp/old" 2>/dev/null || { echo "new file: $f"; bad=$((bad + 1)); continue; }
    sed -E "s/,\"$field\":(\"[^\"]*\"|null)//g" "$f" >"$tmp/new"
    if ! cmp -s "$tmp/old" "$tmp/new"; then
        echo "differs beyond \"$field\": $f"
        diff "$tmp/old" "$tmp/new" | head -6
        bad=$((bad + 1))
    fi
done
echo "$changed files changed since $rev, $bad with other changes"
[ "$bad" -eq 0 ]
