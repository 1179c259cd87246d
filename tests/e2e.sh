#!/bin/bash
# End-to-end tests: the real binary on real and generated captures, compared with the
# expected JSON committed next to them, plus the command line's behaviour.
# Usage: tests/e2e.sh BINARY
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_init e2e
t_binary "${1:-}"
shared=${SMTPSCOPE_SHARED:-$here/../shared/pcaps}

# 1. Captures with expected output: each line of tests/expected.list is
#    CAPTURE EXPECTED [OPTIONS...]
cd "$here" || exit 2
while read -r pcap expected opts; do
    case "$pcap" in ''|'#'*) continue ;; esac
    # shellcheck disable=SC2086
    "$bin" --json $opts -r "$pcap" >"$tmp/out.jsonl" 2>"$tmp/err"
    rc=$?
    if [ $rc -ne 0 ]; then bad "$pcap: exit $rc: $(head -c 300 "$tmp/err")"; continue; fi
    if diff -u "$here/$expected" "$tmp/out.jsonl" >"$tmp/diff"; then ok; else
        bad "$pcap: output differs from $expected"; head -40 "$tmp/diff"
    fi
done <"$here/tests/expected.list"

# 1b. --workers: the flows split over processes, the report the same as from one. The
#     expected files come from the default (a worker per core); here 1, 3 and 7 workers,
#     JSON and the text report with -v, must give the same bytes.
#     (E2E_WORKERS=0 skips 1b and 1c: valgrind-e2e.sh, where they would only cost time; the
#     runs above already go through the workers.)
while [ "${E2E_WORKERS:-1}" != 0 ] && read -r pcap expected opts; do
    case "$pcap" in ''|'#'*) continue ;; esac
    for w in 1 3 7; do
        # shellcheck disable=SC2086
        "$bin" --json --workers $w $opts -r "$pcap" >"$tmp/w.jsonl" 2>/dev/null
        check "$pcap: --workers $w gives the expected JSON" cmp -s "$here/$expected" "$tmp/w.jsonl"
    done
    # shellcheck disable=SC2086
    "$bin" -v --workers 1 $opts -r "$pcap" >"$tmp/w1.txt" 2>&1
    # shellcheck disable=SC2086
    "$bin" -v --workers 4 $opts -r "$pcap" >"$tmp/w4.txt" 2>&1
    check "$pcap: the text report from 4 workers is the one from 1" cmp -s "$tmp/w1.txt" "$tmp/w4.txt"
done <"$here/tests/expected.list"

# 1c. --workers on a busier capture (tools/benchgen: 4,000 sessions, 400 open at once, a tenth
#     failing): idle timeouts end sessions mid-capture in every worker at the same frames,
#     duplicates correlate across workers. Then a pipe (one process by default, refused with
#     --workers 2) and a worker killed mid-run (the parent says so and exits 2).
if [ "${E2E_WORKERS:-1}" != 0 ] && [ -x "$here/build/benchgen" ]; then
    "$here/build/benchgen" --sessions 4000 --open 400 --body 3000 "$tmp/mix.pcap" >/dev/null
    for t in 900 5; do
        "$bin" --json --workers 1 --idle-timeout $t -r "$tmp/mix.pcap" >"$tmp/mix1.jsonl" 2>&1
        for w in 2 5; do
            "$bin" --json --workers $w --idle-timeout $t -r "$tmp/mix.pcap" >"$tmp/mixw.jsonl" 2>&1
            check "benchgen capture, --idle-timeout $t: --workers $w gives the JSON of 1" \
                cmp -s "$tmp/mix1.jsonl" "$tmp/mixw.jsonl"
        done
        "$bin" -v --workers 1 --idle-timeout $t -r "$tmp/mix.pcap" >"$tmp/mix1.txt" 2>&1
        "$bin" -v --workers 3 --idle-timeout $t -r "$tmp/mix.pcap" >"$tmp/mix3.txt" 2>&1
        check "benchgen capture, --idle-timeout $t: the text report of 3 workers is the one of 1" \
            cmp -s "$tmp/mix1.txt" "$tmp/mix3.txt"
    done
    check "benchgen capture, --idle-timeout 5: sessions did end idle (the case above is real)" \
        grep -q '"idle_expired":[1-9]' "$tmp/mix1.jsonl"
    cat "$tmp/mix.pcap" | "$bin" --json -r /dev/stdin >"$tmp/pipe.jsonl" 2>&1
    check "a capture through a pipe: analysed by one process" \
        test "$(grep -c '"type":"session"' "$tmp/pipe.jsonl")" -eq 4000
    rc=0
    cat "$tmp/mix.pcap" | "$bin" --workers 2 -r /dev/stdin >/dev/null 2>"$tmp/pipe.err" || rc=$?
    check "a pipe with --workers 2: exit 2 ($rc)" test $rc -eq 2
    check "a pipe with --workers 2: says one process" grep -q 'need one process' "$tmp/pipe.err"
    # The report goes into a pipe nobody reads until a worker has been killed: the parent
    # blocks writing it, then the workers block writing to the parent, so the worker is
    # surely running when it is killed, however slow the machine.
    rm -f "$tmp/kill.rc" "$tmp/kill.pid" "$tmp/killed"
    { "$bin" --json --workers 2 -r "$tmp/mix.pcap" 2>"$tmp/kill.err" &
        echo $! >"$tmp/kill.pid"
        wait $!
        echo $? >"$tmp/kill.rc"; } |
        { wait_until 300 test -e "$tmp/killed"; cat >/dev/null; } &
    reader=$!
    victim=""
    worker_found() { # a worker: a child of the parent
        local parent
        parent=$(cat "$tmp/kill.pid" 2>/dev/null) && [ -n "$parent" ] || return 1
        victim=$(pgrep -P "$parent" | head -1)
        [ -n "$victim" ]
    }
    wait_until 60 worker_found && kill -KILL "$victim"
    touch "$tmp/killed"
    wait "$reader"
    check "a worker killed: found and killed one" test -n "$victim"
    check "a worker killed: exit 2 ($(cat "$tmp/kill.rc" 2>/dev/null))" test "$(cat "$tmp/kill.rc" 2>/dev/null)" = 2
    check "a worker killed: the message says so" grep -q 'worker .* killed by signal 9' "$tmp/kill.err"
fi

# 2. The generator is deterministic and the committed captures are what it writes.
if [ -x "$here/build/pcapgen" ]; then
    mkdir -p "$tmp/gen"
    "$here/build/pcapgen" --sample "$tmp/gen/sample.pcap" "$tmp/gen" >/dev/null
    for f in "$tmp"/gen/*.pcap; do
        name=$(basename "$f")
        committed="$here/pcaps/gen/$name"
        [ "$name" = sample.pcap ] && committed="$here/pcaps/sample.pcap"
        check "pcapgen $name matches the committed capture" cmp -s "$f" "$committed"
    done
    check "pcapgen wrote every committed capture" \
        test "$(ls "$tmp"/gen/*.pcap | wc -l)" -eq "$(($(ls "$here"/pcaps/gen/*.pcap | wc -l) + 1))"
fi

# 2b. overload-mix, every finding at scale in one capture (no expected file: counts). 200
#     clean deliveries, 20 each of late greeting, 421, SIZE= refused, unanswered SYNs and
#     refused SYNs, 10 each of loops, relay paths, fan-outs and true retries: the retries are
#     the only duplicate groups.
mix="$tmp/gen/overload-mix.pcap"
if [ -f "$mix" ]; then
    "$bin" --json --workers 1 -r "$mix" >"$tmp/mix-gen.jsonl" 2>"$tmp/mix-gen.err"
    check "overload-mix: exit 0 ($(head -c 200 "$tmp/mix-gen.err"))" test $? -eq 0
    mixcount() { # mixcount TYPE [PATTERN]: the TYPE lines (that match PATTERN)
        grep "^{\"type\":\"$1\"" "$tmp/mix-gen.jsonl" | grep -c -- "${2:-}"
    }
    mixis() { # mixis WHAT WANT COUNT
        if [ "$3" -eq "$2" ]; then ok "overload-mix: $1: $2"; else bad "overload-mix: $1: $3, not $2"; fi
    }
    mixis "sessions" 340 "$(mixcount session)"
    mixis "sessions flagged slow_banner" 20 "$(mixcount session '"flags":\[[^]]*"slow_banner"')"
    mixis "sessions flagged server_busy_421" 20 \
        "$(mixcount session '"flags":\[[^]]*"server_busy_421"')"
    mixis "sessions flagged message_too_big" 20 \
        "$(mixcount session '"flags":\[[^]]*"message_too_big"')"
    mixis "connect_failed no_synack" 20 "$(mixcount connect_failed '"reason":"no_synack"')"
    mixis "connect_failed refused" 20 "$(mixcount connect_failed '"reason":"refused"')"
    mixis "connect_failed" 40 "$(mixcount connect_failed)"
    mixis "loops of 3 hops" 10 "$(mixcount loop '"hops":3,')"
    mixis "loops" 10 "$(mixcount loop)"
    mixis "relay paths of 2 hops" 10 "$(mixcount relay_path '"hops":2,')"
    mixis "relay paths" 10 "$(mixcount relay_path)"
    mixis "fan-outs of 3 copies" 10 "$(mixcount fanout '"copies":3,')"
    mixis "fan-outs" 10 "$(mixcount fanout)"
    mixis "duplicate groups" 10 "$(mixcount duplicate)"
    mixis "duplicate groups of the retries (Message-ID ...R...)" 10 \
        "$(mixcount duplicate '"message_id":"<20260302090000\.R[0-9A-F]*@')"
    tail -1 "$tmp/mix-gen.jsonl" >"$tmp/mix-sum"
    for want in '"sessions":340,' '"slow_banner":20,' '"server_busy_421":20,' \
        '"message_too_big":20}' '"connect_failed":40,' '"messages":320,'; do
        check "overload-mix: the summary has $want" grep -q "^{\"type\":\"summary\".*$want" "$tmp/mix-sum"
    done
    # the Triage stays a summary: five of the ten loops named, the other five counted
    "$bin" --workers 1 -r "$mix" 2>/dev/null | sed -n '/^Triage$/,$p' >"$tmp/mix-triage.txt"
    mixis "loops named in the Triage" 5 "$(grep -c 'going round in a mail loop' "$tmp/mix-triage.txt")"
    check "overload-mix: the Triage counts the other 5 loops" grep -qxF \
        -- '- 5 more messages going round in mail loops (see Mail loops).' "$tmp/mix-triage.txt"
    check "overload-mix: the busy server: 300 sessions, 40 failed connects, 20 421s" grep -q \
        '^{"type":"server","server":"192.0.2.25:25","sessions":300,.*"connect_failed":40,"replies_421":20,' \
        "$tmp/mix-gen.jsonl"
    if [ "${E2E_WORKERS:-1}" != 0 ]; then
        "$bin" --json --workers 3 -r "$mix" >"$tmp/mix-gen3.jsonl" 2>/dev/null
        check "overload-mix: --workers 3 gives the JSON of 1" \
            cmp -s "$tmp/mix-gen.jsonl" "$tmp/mix-gen3.jsonl"
    fi
fi

# 2c. Credentials never reach any output: every capture below carries a password (SMTP AUTH
# PLAIN's initial response, AUTH LOGIN's 334 answers, POP3 PASS, the lab's dovecot user) in
# a session the report shows; the text (-v), the JSON, the report of worker processes and
# --detect's must not hold it, in clear or in the base64 the client sent. Where a session is
# flagged its transcript is printed, and the placeholder must be there instead (so the check
# is not passed by a report that shows nothing).
secret_free() { # CAPTURE SECRET...
    local cap=$1 out=$tmp/secret.out
    shift
    : >"$out"
    "$bin" -v -r "$cap" >>"$out" 2>&1
    "$bin" --json -r "$cap" >>"$out" 2>&1
    "$bin" -v --workers 2 -r "$cap" >>"$out" 2>&1
    "$bin" -v --detect -r "$cap" >>"$out" 2>&1
    for s in "$@"; do
        if grep -qF -- "$s" "$out"; then return 1; fi
    done
}
placeholder_shown() { grep -qF "[authentication data]" "$tmp/secret.out"; }
smtp_secrets="Tr0ub4dor VHIwdWI0ZG9yJjM= AGFsaWNlQGV4YW1wbGUub3JnAFRyMHViNGRvciYz YWxpY2VAZXhhbXBsZS5vcmc="
# shellcheck disable=SC2086
check "auth-plain: no credential in any output" \
    secret_free "$here/pcaps/gen/auth-plain.pcap" $smtp_secrets
check "auth-plain: the transcript shows the placeholder" placeholder_shown
for cap in "$here"/pcaps/gen/pop3-*.pcap; do
    case $cap in *stls*) continue ;; esac # encrypted before any PASS
    check "$(basename "$cap"): no credential in any output" secret_free "$cap" Tr0ub4dor
done
secret_free "$here/pcaps/gen/pop3-dele-dropped.pcap" Tr0ub4dor
check "pop3-dele-dropped: the transcript shows the placeholder" placeholder_shown
for cap in "$here"/pcaps/real/pop3-*.pcap; do
    check "$(basename "$cap"): no credential in any output" \
        secret_free "$cap" pop3-lab-secret-Xq7
done

# 3. Third-party captures: analysed without crash; JSON valid; facts from their notes.
if [ -d "$shared" ]; then
    for f in "$shared"/*.pcap; do
        name=$(basename "$f" .pcap)
        "$bin" --json -r "$f" >"$tmp/$name.jsonl" 2>"$tmp/$name.err"
        rc=$?
        case "$name" in
        *DAMAGED*) check "$name: damaged file exits 2 after analysing" test $rc -eq 2 ;;
        *) check "$name: exit 0 (got $rc: $(head -c 200 "$tmp/$name.err"))" test $rc -eq 0 ;;
        esac
        "$bin" -v -r "$f" >"$tmp/$name.txt" 2>/dev/null
        check "$name: text report has no raw control bytes" \
            bash -c "! LC_ALL=C grep -q \$'[\\x01-\\x08\\x0b-\\x1f\\x7f]' '$tmp/$name.txt'"
    done
    if python3 "$here/tests/check_shared.py" "$tmp"; then ok; else bad "facts of the third-party captures"; fi
else
    echo "note: $shared not found; third-party captures skipped"
fi

# 4. The command line.
"$bin" --help >"$tmp/help" 2>&1
check "--help exits 0 and shows usage" grep -q '^Usage: smtpscope' "$tmp/help"
"$bin" --version | grep -q '^smtpscope [0-9]'
check "--version" test $? -eq 0
expect_error() { # expect_error DESCRIPTION PATTERN ARGS...
    local what=$1 pattern=$2; shift 2
    "$bin" "$@" >"$tmp/o" 2>"$tmp/e"
    local rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/e")" -eq 1 ] && grep -q "$pattern" "$tmp/e" && [ ! -s "$tmp/o" ]; then ok
    else bad "$what: rc=$rc stderr=$(cat "$tmp/e")"; fi
}
expect_error "no arguments" "no capture given"
expect_error "unknown option" "unknown option '--bogus'" --bogus -r x
expect_error "missing file" "nonexistent.pcap" -r "$tmp/nonexistent.pcap"
printf 'this is not a capture\n' >"$tmp/not.pcap"
expect_error "not a capture" "not.pcap" -r "$tmp/not.pcap"
expect_error "bad filter" "filter" -r "$here/pcaps/sample.pcap" 'tcp port'
expect_error "bad port list" "port list" --ports 25,x -r "$here/pcaps/sample.pcap"
expect_error "bad SMTPS port list" "port list" --smtps-ports 0 -r "$here/pcaps/sample.pcap"
expect_error "-c needs a number" "packet count" -c zero -r "$here/pcaps/sample.pcap"
expect_error "--slow-reply needs seconds" "reply threshold" --slow-reply soon -r "$here/pcaps/sample.pcap"
expect_error "--slow-banner needs seconds" "greeting threshold" --slow-banner 0 -r "$here/pcaps/sample.pcap"
expect_error "-r and -i together" "exclude each other" -r "$here/pcaps/sample.pcap" -i lo
expect_error "-w needs a live capture" "writes a live capture" -w "$tmp/w.pcap" -r "$here/pcaps/sample.pcap"
expect_error "--speed needs --tui" "paces a file replay" --speed 2 -r "$here/pcaps/sample.pcap"
expect_error "--tui with --json" "exclude each other" --tui --json -r "$here/pcaps/sample.pcap"
expect_error "-B needs KiB" "buffer size" -B lots -i lo
expect_error "-Z unknown user" "no user 'no-such-user-x'" -Z no-such-user-x -r "$here/pcaps/sample.pcap"
expect_error "no such interface" "no interface 'nosuch0'" -i nosuch0
expect_error "--tui needs a terminal" "terminal" --tui -r "$here/pcaps/sample.pcap"

# 5. Options change what is analysed.
"$bin" --json -r "$here/pcaps/sample.pcap" 'host 192.0.2.1' | tail -1 >"$tmp/s"
check "a BPF expression narrows the packets" grep -q '"packets_matched":0,' "$tmp/s"
"$bin" --json -c 5 -r "$here/pcaps/sample.pcap" | tail -1 >"$tmp/s"
check "-c stops after COUNT packets" grep -q '"packets_matched":5,' "$tmp/s"
"$bin" --json --ports 2525 -r "$here/pcaps/sample.pcap" | tail -1 >"$tmp/s"
check "--ports selects the server ports" grep -q '"last":[0-9.]*,"sessions":0,' "$tmp/s"
"$bin" -r "$here/pcaps/sample.pcap" >"$tmp/text"
check "text report names the flags" grep -q 'split_eod_unacked' "$tmp/text"
check "text report ends with a summary" grep -q '^Summary of ' "$tmp/text"

# 6. Captures cut by a short snaplen (tcpdump -s 68 / -s 96, IPv4 and IPv6): the handshakes
#    are found, no packet is called damaged, and the report says what to do.
for cap in snaplen-68 snaplen-96 snaplen-68-ip6 snaplen-96-ip6; do
    n=${cap#snaplen-}
    n=${n%-ip6}
    "$bin" -r "$here/pcaps/gen/$cap.pcap" >"$tmp/cut.txt" 2>&1
    check "$cap: the summary names the snaplen and what to do" grep -qF "  snaplen   packets \
were cut at $n bytes by the capture's snaplen: SMTP and POP3 content is not in this capture; \
capture again with \`-s 0\`" "$tmp/cut.txt"
    check "$cap: a line for each session cut" test "$(grep -c "payload cut by the capture's \
snaplen from frame" "$tmp/cut.txt")" -eq "$(grep -o '"snaplen_cut":true' \
        "$here/pcaps/gen/$cap.expected.jsonl" | wc -l)"
    check "$cap: no connection without its handshake" \
        bash -c "! grep -q 'handshake is not in the capture' '$tmp/cut.txt'"
    check "$cap: no packet called damaged" bash -c "! grep -q 'damaged or crafted' '$tmp/cut.txt'"
done
"$bin" -r "$here/pcaps/gen/snaplen-68-ip6.pcap" >"$tmp/cut.txt" 2>&1
check "snaplen-68-ip6: says the TCP header itself was cut" grep -q \
    "packets were cut inside the TCP header (IPv6 at 68 bytes keeps 14 of its 20 bytes)" "$tmp/cut.txt"
"$bin" -r "$here/pcaps/gen/snaplen-96.pcap" >"$tmp/cut.txt" 2>&1
check "snaplen-96: the session whose packets fit is analysed (its greeting, no QUIT)" \
    grep -q '^  banner: 220 mx.example.net ESMTP Postfix' "$tmp/cut.txt"

# 7. Implicit TLS: 465 and 995 counted as encrypted; the ports are options, and the capture
#    filter follows them.
"$bin" -v -r "$here/pcaps/gen/implicit-tls.pcap" >"$tmp/tls.txt" 2>&1
check "implicit TLS: a line for the SMTPS session" grep -qF \
    "(encrypted from the first byte: implicit TLS, SMTPS; counted, not read)" "$tmp/tls.txt"
check "implicit TLS: a line for the POP3S session" grep -qF \
    "(encrypted from the first byte: implicit TLS, POP3S; counted, not read)" "$tmp/tls.txt"
check "implicit TLS: a summary line" grep -q "^  implicit TLS  2 sessions on SMTPS/POP3S ports" \
    "$tmp/tls.txt"
"$bin" --json --smtps-ports 4650 --pop3s-ports 9950 -r "$here/pcaps/gen/implicit-tls.pcap" |
    tail -1 >"$tmp/s"
check "--smtps-ports and --pop3s-ports choose the ports, and the filter follows them" \
    grep -q '"packets_matched":0,.*"implicit_tls":0' "$tmp/s"
"$bin" --json --smtps-ports 465 --pop3s-ports 465 -r "$here/pcaps/gen/implicit-tls.pcap" |
    tail -1 >"$tmp/s"
check "--pop3s-ports 465: only the SMTPS session (995 not followed)" \
    grep -q '"sessions":1,.*"implicit_tls":1' "$tmp/s"
"$bin" --help >"$tmp/help"
check "--help names --smtps-ports and --pop3s-ports" \
    bash -c "grep -q -- '--smtps-ports LIST' '$tmp/help' && grep -q -- '--pop3s-ports LIST' '$tmp/help'"

echo "end-to-end tests of $(basename "$bin") done"
t_done
