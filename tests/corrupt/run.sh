#!/bin/bash
# Damaged captures: each kind of damage made by tests/corrupt/make-corrupt.py must give the
# exit status and the exact message in tests/corrupt/expected.txt, and everything analysed
# before the damage must still be reported (sessions, then a summary naming the error).
# Usage: tests/corrupt/run.sh BINARY
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
t_init corrupt
t_binary "${1:-}"

python3 "$here/tests/corrupt/make-corrupt.py" "$tmp/in" "$here/pcaps/sample.pcap" || exit 2

# run NAME: the binary on the damaged file (a "stdin:" prefix feeds it through a pipe)
run() {
    local name=$1 file
    if [ "${name#stdin:}" != "$name" ]; then
        file="$tmp/in/${name#stdin:}"
        cat "$file" | "$bin" "${@:2}" -r - >"$tmp/out" 2>"$tmp/err"
    else
        file="$tmp/in/$name"
        "$bin" "${@:2}" -r "$file" >"$tmp/out" 2>"$tmp/err"
    fi
    rc=$?
    sed -i "s#$file#FILE#g" "$tmp/err"
}

check_json() { # NAME EXIT PACKETS SESSIONS MESSAGE
    local name=$1 want_rc=$2 packets=$3 sessions=$4 message=$5
    run "$name" --json
    [ "$rc" -eq "$want_rc" ] || { bad "$name: exit $rc, expected $want_rc"; return; }
    printf '%s' "$message" | cmp -s - <(tr -d '\n' <"$tmp/err") ||
        { bad "$name: stderr '$(cat "$tmp/err")', expected '$message'"; return; }
    [ "$(grep -c '"type":"session"' "$tmp/out")" -eq "$sessions" ] ||
        { bad "$name: $(grep -c '"type":"session"' "$tmp/out") sessions, expected $sessions"; return; }
    if [ "$packets" = - ]; then
        [ ! -s "$tmp/out" ] || { bad "$name: refused file, yet output was written"; return; }
        ok
        return
    fi
    local summary
    summary=$(tail -1 "$tmp/out")
    case "$summary" in *'"type":"summary"'*'"packets":'"$packets"','*) ;;
    *) bad "$name: summary does not say $packets packets: $summary"; return ;;
    esac
    if [ "$want_rc" -eq 2 ]; then
        case "$summary" in *'"read_error":null'*) bad "$name: read_error not set"; return ;; esac
    fi
    ok
}

check_text() { # NAME: the text report of a damaged capture ends with the warning
    run "$1"
    if [ "$rc" -eq 2 ] && grep -q '^Summary of ' "$tmp/out" &&
        grep -q 'WARNING: the capture is damaged' "$tmp/out"; then ok
    else bad "$1: text report lacks its summary or damage warning (exit $rc)"; fi
}

while IFS= read -r line; do
    case "$line" in '' | '#'*) continue ;; esac
    read -r name want_rc packets sessions _ <<<"${line%%|*}"
    message=${line#*| }
    [ "$message" = "$line" ] && message=""
    check_json "$name" "$want_rc" "$packets" "$sessions" "${message% |}"
    [ "$want_rc" -eq 2 ] && [ "$packets" != - ] && check_text "$name"
done <"$here/tests/corrupt/expected.txt"

# Packets the reassembly refused are said in the text summary too, not only in the JSON.
run ip-header-bitflips.pcap
if grep -q '^  warnings  10 about IP headers or fragments, 0 about TCP' "$tmp/out"; then ok
else bad "ip-header-bitflips.pcap: the text summary does not count the refused IP packets"; fi

echo "damaged captures with $(basename "$bin") done"
t_done
