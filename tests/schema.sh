#!/bin/bash
# The JSON Schema of the JSON Lines output (docs/schema/) checked with a real validator,
# Debian's python3-jsonschema: the schemas are valid draft 2020-12; their flag and cause
# lists are smtp/flags.def's and pop3/flags.def's; every line of every expected output in
# tests/expected.list, of the --stats fixture, of fresh --stats and --stream runs and every
# JSON example of the README validates, strictly (a field the tool writes that no schema
# declares fails); mutated lines are refused; the README's jsonschema command works.
# Usage: tests/schema.sh BINARY
set -eu
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_init schema
t_binary "${1:-}"
cd "$here"

# Debian's interpreter, where apt puts python3-jsonschema (another python3 may come first in
# PATH without the module, or with another version than the one users of Debian 12 have).
py=${SCHEMA_PYTHON:-/usr/bin/python3}
if ! "$py" -c 'import jsonschema' 2>/dev/null; then
    tools/install-deps.sh --packages "python3 python3-jsonschema"
fi
"$py" -c 'import jsonschema' 2>/dev/null || t_unable "no jsonschema module for $py"
schemas=docs/schema
checker() { "$py" tests/check_schema.py "$schemas" "$@"; }

# run WHAT COMMAND...: the command's output kept in $tmp/out (shown on failure)
run() {
    local what=$1
    shift
    if "$@" >"$tmp/out" 2>&1; then ok "$what"; else
        bad "$what"
        head -40 "$tmp/out"
    fi
}

# 1. The schemas themselves, and their enums against the .def files.
run "every schema is a valid draft 2020-12 schema and its \$refs resolve" checker schemas
run "the flag and cause enums are the .def files' names (tools/schema-enums.py --check)" \
    "$py" tools/schema-enums.py --check

# 2. Every expected output of the end-to-end tests.
expected=()
while read -r _ exp _; do
    case "$exp" in '' | \#*) continue ;; esac
    case " ${expected[*]-} " in *" $exp "*) continue ;; esac
    expected+=("$exp")
done < <(grep -v '^#' tests/expected.list)
check "tests/expected.list names expected outputs (${#expected[@]})" test "${#expected[@]}" -gt 100
run "every line of the ${#expected[@]} expected outputs validates" checker lines "${expected[@]}"
grep '^lines:' "$tmp/out" || true
cp "$tmp/out" "$tmp/expected.out"

# 3. Stats lines: the fixture of tests/metrics.sh, which strips the memory figure to compare
#    runs (put back here: the tool always writes it), and a fresh run's, with it.
sed 's/}$/,"rss_bytes":0}/' tests/metrics/sample.stats.jsonl >"$tmp/fixture.stats.jsonl"
# into FILE COMMAND...: its standard output in FILE, its errors shown when it fails
# shellcheck disable=SC2317 # called through check
into() { "${@:2}" >"$1" 2>"$tmp/err" || { head -c 300 "$tmp/err"; return 1; }; }
check "smtpscope --json --stats 60 runs" into "$tmp/stats.jsonl" "$bin" --json --stats 60 -r pcaps/sample.pcap
check "smtpscope --json --stream runs" \
    into "$tmp/stream.jsonl" "$bin" --json --stream -r pcaps/gen/mailguard-retry.pcap
check "the --stats run wrote stats lines" grep -q '"type":"stats"' "$tmp/stats.jsonl"
check "smtpscope --json --extract runs" \
    into "$tmp/extract.jsonl" "$bin" --json --extract "$tmp/extract.pcap" -r pcaps/sample.pcap
check "the --extract run wrote extract lines" grep -q '"type":"extract"' "$tmp/extract.jsonl"
check "the --stream run wrote a duplicate line with \"final\":false" \
    grep -q '"type":"duplicate".*"final":false' "$tmp/stream.jsonl"
# two capture points under --sensor: every object with its sensor and vantage, then path lines
# (one side only too) and the path_summary
check "smtpscope --json --outside --inside runs" \
    into "$tmp/path.jsonl" "$bin" --json --sensor fw-1 --outside pcaps/lab/relay-reset.sender-side.pcap \
    --outside pcaps/lab/asa-rewrite.sender-side.pcap --inside pcaps/lab/asa-rewrite.receiver-side.pcap
check "the two-point run wrote path lines, one of them one-sided, and a path_summary" \
    grep -q '"type":"path","outside":{[^}]*},"inside":null' "$tmp/path.jsonl"
# a sensor's partition: its records for --merge, each kind
check "smtpscope --json --sensor --partition runs" \
    into "$tmp/sensor.jsonl" "$bin" --json --sensor mx-1 --partition 1/2 -r pcaps/gen/overload-mix.pcap
for kind in run start opened session connect_failed totals; do
    check "the sensor run wrote a $kind record" grep -q "\"type\":\"record\",\"kind\":\"$kind\"" "$tmp/sensor.jsonl"
done
run "the --stats fixture, a --stats run, a --stream run, an --extract run, a two-point run and a sensor's partition validate" \
    checker lines "$tmp/fixture.stats.jsonl" "$tmp/stats.jsonl" "$tmp/stream.jsonl" "$tmp/extract.jsonl" \
    "$tmp/path.jsonl" "$tmp/sensor.jsonl"
cat "$tmp/out" >>"$tmp/expected.out"

# 4. The README's examples (the object types no capture here writes: capture_file).
run "the README's JSON examples validate" checker readme README.md
cat "$tmp/out" >>"$tmp/expected.out"

# 5. Every object type of the top schema was met above but those no release writes yet.
unwritten=" " # every type is written by some run above
types=$("$py" -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["allOf"][0]["properties"]["type"]["enum"]))' \
    "$schemas/smtpscope.schema.json")
for t in $types; do
    case "$unwritten" in *" $t "*) continue ;; esac
    check "type $t was validated" grep -qE "^types: (.* )?$t(/[a-z0-9]+)?=[1-9]" "$tmp/expected.out"
done
check "a POP3 session was validated" grep -q 'session/pop3=[1-9]' "$tmp/expected.out"

# 6. The check can fail: per object type, a wrong type, a missing required field, an unknown
#    type, a bad enum are refused; an undeclared field is refused by the strict pass and
#    accepted by the published schemas (consumers must tolerate new fields).
run "mutated lines of every object type are refused" \
    checker negative "${expected[@]}" "$tmp/stats.jsonl" "$tmp/path.jsonl" "$tmp/sensor.jsonl"
grep '^negative:' "$tmp/out" || true
# ... and through the lines mode's exit status: one bad line among good ones fails the file.
{ head -3 pcaps/sample.expected.jsonl
  head -1 pcaps/sample.expected.jsonl | sed 's/"end_reason":"[a-z_]*"/"end_reason":7/'; } >"$tmp/bad.jsonl"
if checker lines "$tmp/bad.jsonl" >"$tmp/bad.out" 2>&1; then bad "a file with a wrong line passes"; else
    check "a file with a wrong line fails, naming the line and field" \
        grep -q "bad.jsonl:4: session: end_reason" "$tmp/bad.out"
fi
head -1 pcaps/sample.expected.jsonl | sed 's/,"counts":{/,"new_field":true,"counts":{/' >"$tmp/new.jsonl"
if checker lines "$tmp/new.jsonl" >"$tmp/new.out" 2>&1; then bad "an undeclared field passes the strict pass"; else
    check "an undeclared field fails the strict pass, named" grep -q "new_field" "$tmp/new.out"
fi

# 7. The README's command: Debian 12's jsonschema CLI, one object at a time.
jcli() { "$py" -m jsonschema --base-uri "file://$here/$schemas/" "$schemas/smtpscope.schema.json"; }
head -1 pcaps/sample.expected.jsonl >"$tmp/one.json"
check "the jsonschema command accepts a session line" jcli <"$tmp/one.json"
if sed 's/"id":1,/"id":"1",/' "$tmp/one.json" | jcli >/dev/null 2>&1; then
    bad "the jsonschema command accepts a session whose id is a string"
else ok; fi

t_done
