#!/bin/bash
# Link layers, IPv6, fragments, pcapng, mid-session starts and --detect, end to end.
#
# The captures in pcaps/link/ that build/linkgen makes (the table below) are re-made and
# compared byte for byte with the committed ones; each is analysed and compared, with the
# addresses mapped back to IPv4 and frame numbers left out where fragments add frames, with
# the analysis of the capture it was made from: the form must not change the findings. The
# expected outputs themselves are checked by tests/e2e.sh (tests/expected.list).
#
# Usage: tests/link-e2e.sh BINARY     run the checks
#        tests/link-e2e.sh --remake   re-make the generated captures and every expected
#                                     output in pcaps/link/ (review the diff)
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_init link-e2e
cd "$here" || exit 2
gen=build/linkgen
out=pcaps/link

# NAME  SOURCE  COMPARE  LINKGEN-ARGS...
# COMPARE: same (the analysis of SOURCE, addresses mapped back), noframes (the same without
# frame numbers: fragments add frames), port2526 (SOURCE's with port 25 as 2526, under
# --detect), dual (the same without the server objects and their count: a host reached over
# IPv4 and IPv6 is two servers), none (its own expected output only).
captures() {
    cat <<'EOF'
vlan.pcap                    sample.pcap              same      --link vlan
qinq.pcap                    sample.pcap              same      --link qinq
sll.pcap                     sample.pcap              same      --link sll
sll2.pcap                    sample.pcap              same      --link sll2
null.pcap                    sample.pcap              same      --link null
loop.pcap                    gen/mailguard.pcap       same      --link loop
raw.pcap                     sample.pcap              same      --link raw
ppp.pcap                     gen/clean.pcap           same      --link ppp
ipv6.pcap                    sample.pcap              same      --ip6
ipv6-vlan.pcap               gen/mailguard-retry.pcap same      --ip6 --link vlan
ipv6-qinq.pcap               gen/split-cut4.pcap      same      --ip6 --link qinq
ipv6-sll.pcap                gen/split-acked.pcap     same      --ip6 --link sll
ipv6-sll2.pcap               gen/split-cut2.pcap      same      --ip6 --link sll2
ipv6-null.pcap               gen/clean.pcap           same      --ip6 --link null
ipv6-dlt.pcap                gen/ooo-split.pcap       same      --ip6 --link ipv6
ipv6-ext.pcap                sample.pcap              same      --ip6 --ext
ipv6-bad-checksums.pcap      gen/bad-checksums.pcap   same      --ip6
dual-stack.pcap              sample.pcap              dual      --ip6-port 40200 --ip6-port 51287
ipv4-frag.pcap               sample.pcap              noframes  --frag 64
ipv4-frag-reverse.pcap       gen/split-cut3.pcap      noframes  --frag 32 --frag-reverse
ipv6-frag.pcap               sample.pcap              noframes  --ip6 --frag 64
ipv6-ext-frag-reverse.pcap   gen/mailguard.pcap       noframes  --ip6 --ext --frag 24 --frag-reverse
sample.pcapng                sample.pcap              same      --pcapng
multi-iface.pcapng           sample.pcap              same      --pcapng --ifaces 3 --nsec
ipv6-sll-2iface.pcapng       sample.pcap              same      --ip6 --link sll --pcapng --ifaces 2
midsession.pcap              sample.pcap              none      --skip 5
midsession-ipv6.pcap         gen/mailguard-retry.pcap none      --ip6 --skip 30
port2526.pcap                sample.pcap              port2526  --port 25:2526
port2526-ipv6-midsession.pcap gen/two-messages.pcap   none      --port 25:2526 --ip6 --skip 8
tokenring.pcap               gen/clean.pcap           none      --link tokenring
EOF
}

# Options each capture is analysed with, one expected file per line (NAME.expected.jsonl,
# or NAME.SUFFIX.expected.jsonl): SUFFIX OPTIONS. Kept in step with tests/expected.list.
runs_of() {
    case "$1" in
    port2526.pcap) printf '%s\n' '- ' 'detect --detect' ;;
    port2526-ipv6-midsession.pcap) printf '%s\n' 'detect --detect' ;;
    ipv6-bad-checksums.pcap) printf '%s\n' '- ' 'verify --verify-checksums' ;;
    tokenring.pcap) ;;
    *) printf '%s\n' '- ' ;;
    esac
}

expected_name() { # NAME SUFFIX (x.pcap: x.expected.jsonl; x.pcapng: x.pcapng.expected.jsonl)
    local base=${1%.pcap}
    if [ "$2" = - ]; then echo "$out/$base.expected.jsonl"; else echo "$out/$base.$2.expected.jsonl"; fi
}

# Addresses back to IPv4 (2001:db8::a.b.c.d), summary byte counts (also the correlator's
# peak bytes), the file's snaplen, the sessions' display filters and the file name left out;
# with "noframes" also every frame number and packet count; with "port2526" port 2526 as 25.
normalize() { # MODE < jsonl
    python3 -c '
import ipaddress, json, re, sys
mode = sys.argv[1]
def v4(text):
    try:
        a = ipaddress.IPv6Address(text).packed
    except ValueError:
        return text
    return str(ipaddress.IPv4Address(a[12:])) if a[:4] == bytes([0x20, 1, 0x0d, 0xb8]) else text
def addr(s):
    m = re.match(r"^\[(.*)\]:(\d+)$", s)
    s = v4(m.group(1)) + ":" + m.group(2) if m else v4(s)
    if mode == "port2526":
        s = re.sub(r":2526$", ":25", s)
    return s
def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if not (mode == "noframes" and "frame" in k)}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o
for line in sys.stdin:
    o = json.loads(line)
    if mode == "dual" and o["type"] == "server":
        continue
    if mode == "dual" and o["type"] == "summary":
        o.pop("servers", None)
    if o["type"] == "summary":
        for k in ("source", "bytes", "packets", "packets_matched", "reassembly", "snaplen"):
            o.pop(k, None)
        # the bytes the correlator held count host names: IPv6 ones are longer
        o.get("correlation", {}).pop("peak_bytes", None)
    for k in ("client", "server"):
        if k in o:
            o[k] = addr(o[k])
    o.pop("display_filter", None)  # addresses and frame numbers of its own link and family
    print(json.dumps(strip(o), sort_keys=True))
' "$1"
}

remake() {
    local name src cmp args suffix opts
    captures | while read -r name src cmp args; do
        # shellcheck disable=SC2086
        "$gen" $args "pcaps/$src" "$out/$name" || exit 1
        runs_of "$name" | while read -r suffix opts; do
            # shellcheck disable=SC2086
            build/smtpscope --json $opts -r "$out/$name" >"$(expected_name "$name" "$suffix")"
        done
    done
    for f in "$out"/real-*.pcap "$out"/real-*.pcapng; do
        [ -e "$f" ] || continue
        build/smtpscope --json -r "$f" >"$(expected_name "$(basename "$f")" -)"
        case "$f" in *port10025*) build/smtpscope --json --detect -r "$f" \
            >"$(expected_name "$(basename "$f")" detect)" ;; esac
    done
    git status --short "$out"
}

if [ "${1:-}" = --remake ]; then
    remake
    exit $?
fi
t_usage="BINARY | --remake"
t_binary "${1:-}"

# 1. The generator re-makes every committed capture byte for byte.
while read -r name src cmp args; do
    # shellcheck disable=SC2086
    "$gen" $args "pcaps/$src" "$tmp/$name"
    if cmp -s "$tmp/$name" "$out/$name"; then ok; else bad "linkgen re-made $name differently"; fi
done < <(captures)

# 2. Each form gives the analysis of the capture it was made from.
while read -r name src cmp args; do
    case "$cmp" in none) continue ;; esac
    opts=""
    [ "$name" = ipv6-bad-checksums.pcap ] && opts=--verify-checksums
    [ "$cmp" = port2526 ] && opts=--detect
    # shellcheck disable=SC2086
    "$bin" --json $opts -r "$out/$name" 2>"$tmp/err" | normalize "$cmp" >"$tmp/got"
    # shellcheck disable=SC2086
    "$bin" --json ${opts/--detect/} -r "pcaps/$src" | normalize "$cmp" >"$tmp/want"
    if cmp -s "$tmp/want" "$tmp/got"; then ok; else
        bad "$name: analysis differs from $src's"
        diff "$tmp/want" "$tmp/got" | head -6 | cut -c1-300
    fi
done < <(captures)

# 3. What only some forms show.
"$bin" --json -r "$out/port2526.pcap" | tail -1 >"$tmp/s"
if grep -q '"last":[0-9.]*,"sessions":0,' "$tmp/s"; then ok; else bad "port 2526 without --detect: no session"; fi
"$bin" --json -r "$out/midsession.pcap" >"$tmp/m"
if grep -q '"type":"not_analysed","reason":"no_handshake","client":"198.51.100.10:40200","server":"192.0.2.25:25"' "$tmp/m" &&
    grep -q '"sessions":3,.*"not_analysed":1,' "$tmp/m"; then ok; else bad "midsession: the first session not analysed"; fi
"$bin" -r "$out/midsession-ipv6.pcap" >"$tmp/t"
if grep -q '^Not analysed: 1 TCP connection' "$tmp/t" &&
    grep -q '^  \[2001:db8::c633:640a\]:40082 -> \[2001:db8::c000:228\]:25 ' "$tmp/t"; then ok; else
    bad "midsession-ipv6: text section lists the IPv6 connection"; fi
"$bin" --json --detect -r "$out/port2526-ipv6-midsession.pcap" >"$tmp/d"
if grep -q '"type":"not_analysed".*:2526"' "$tmp/d"; then ok; else
    bad "--detect: a mid-session connection on port 2526 that speaks SMTP is listed"; fi

for f in real-any-ipv6 real-lo-ipv6; do # editcap's pcapng twin of a real capture
    [ -e "$out/$f.pcap" ] || continue
    "$bin" --json -r "$out/$f.pcap" | normalize same >"$tmp/want"
    "$bin" --json -r "$out/$f.pcapng" | normalize same >"$tmp/got"
    if cmp -s "$tmp/want" "$tmp/got"; then ok; else bad "$f.pcapng: analysis differs from $f.pcap's"; fi
done

# 4. A link type smtpscope cannot decode, and a pcapng whose interfaces libpcap refuses.
"$bin" -r "$out/tokenring.pcap" >"$tmp/o" 2>"$tmp/e"
rc=$?
if [ $rc -eq 2 ] && [ ! -s "$tmp/o" ] && grep -q "link type IEEE802" "$tmp/e" &&
    grep -q "Ethernet" "$tmp/e"; then ok; else bad "unsupported link type: rc=$rc $(cat "$tmp/e")"; fi
python3 - "$out/sample.pcapng" "$tmp/mixed.pcapng" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
shb_len = struct.unpack_from("<I", data, 4)[0]
idb_len = struct.unpack_from("<I", data, shb_len + 4)[0]
idb2 = bytearray(data[shb_len:shb_len + idb_len])
struct.pack_into("<H", idb2, 8, 0)          # a second interface of link type NULL
open(sys.argv[2], "wb").write(data[:shb_len + idb_len] + bytes(idb2) + data[shb_len + idb_len:])
EOF
"$bin" -r "$tmp/mixed.pcapng" >"$tmp/o" 2>"$tmp/e"
rc=$?
if [ $rc -eq 2 ] && grep -q "different from the type of the first interface" "$tmp/e"; then ok; else
    bad "pcapng with mixed link types: rc=$rc $(cat "$tmp/e")"; fi

echo "link-layer end-to-end tests of $(basename "$bin") done"
t_done
