#!/bin/bash
# --html checked by the tools a reader's side has: Debian's tidy passes each page without an
# error, Debian's chromium (headless) renders it — the screenshot is not blank (pixel
# variance), the DOM has one <svg> per drawn session and duplicate group, and the console
# has no error and no Content-Security-Policy violation. The pages: the bundled sample, the
# Mailguard retries, the slow-server retries and html-hostile, whose greeting, commands and
# Message-ID carry <script>, "><img onerror=...> and javascript: strings that must reach the
# page only as text. Also: --html-sessions bounds the drawings, --json runs make the same
# page, a symbolic link is refused; live on lo (root), the page rewritten each --stats period.
#
# Usage: tests/html.sh [BINARY]   (default build/smtpscope)
# tidy and chromium are installed with apt-get when missing and root (tools/install-deps.sh);
# not root and missing: SKIP (FAIL with CI=true). KEEP=1 keeps the work directory.
# SCREENSHOT=FILE also writes the README's screenshot (the Mailguard page's top) to FILE.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_init html
t_binary "${1:-}" build/smtpscope
cd "$here" || exit 1

[ -x "$bin" ] || {
    echo "FAIL: html: no binary $bin (make build/smtpscope)" >&2
    exit 1
}
if ! command -v tidy >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || t_unable "needs tidy and chromium (apt-get install tidy chromium)"
    tools/install-deps.sh --packages "tidy chromium python3" || t_unable "cannot install tidy and chromium"
fi

# chromium NAME ARGS...: a headless run over $tmp/NAME.html, its log in $tmp/NAME.log.
chrome() {
    local name=$1
    shift
    timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/profile" \
        --enable-logging=stderr --v=0 "$@" "file://$tmp/$name.html" 2>>"$tmp/$name.log"
}

# The console's complaints: a script error, a refused load or a CSP violation.
console_errors() {
    grep -E "Uncaught|Refused|Content Security Policy|CONSOLE" "$tmp/$1.log"
}

# svgs_expected CAPTURE: flagged sessions (at most DRAWN) plus duplicate groups and messages
# downloaded twice, from JSON.
svgs_expected() {
    local json=$tmp/count.jsonl flagged groups
    "$bin" --json -r "$1" >"$json" 2>/dev/null
    flagged=$(grep '^{"type":"session"' "$json" | grep -vc '"flags":\[\]')
    groups=$(grep -c '^{"type":"\(duplicate\|redownload\)"' "$json")
    [ "$flagged" -gt "${2:-200}" ] && flagged=${2:-200}
    echo $((flagged + groups))
}

page() { # page CAPTURE NAME [OPTION...]: the page of CAPTURE as $tmp/NAME.html
    local cap=$1 name=$2
    shift 2
    "$bin" -r "$cap" --html "$tmp/$name.html" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
}

check_page() { # check_page CAPTURE NAME WANT_SVGS TEXT...: tidy, render, count, grep
    local cap=$1 name=$2 want=$3 png
    shift 3
    page "$cap" "$name"
    check "$name: exit 0 ($(head -c 200 "$tmp/$name.err"))" test $? -eq 0
    tidy -q -e "$tmp/$name.html" >"$tmp/$name.tidy" 2>&1
    check "$name: tidy finds no error ($(grep -m1 Error "$tmp/$name.tidy"))" \
        test "$(grep -c 'Error:' "$tmp/$name.tidy")" -eq 0
    check "$name: no element loads anything (src=, a URL but SVG's namespace)" \
        test "$(grep -oE '<[a-zA-Z][^<>]* src=|https?://[^"]*' "$tmp/$name.html" |
            grep -vc '^http://www.w3.org/2000/svg$')" -eq 0
    chrome "$name" --dump-dom >"$tmp/$name.dom"
    check "$name: chromium dumps the DOM" grep -q '</html>' "$tmp/$name.dom"
    local svgs
    svgs=$(grep -o '<svg' "$tmp/$name.dom" | wc -l)
    if [ "$svgs" -eq "$want" ]; then ok; else bad "$name: $svgs <svg> in the DOM, not $want"; fi
    for text in "$@"; do
        check "$name: the page says '$text'" grep -qF -- "$text" "$tmp/$name.dom"
    done
    png=$tmp/$name.png
    chrome "$name" --screenshot="$png" --window-size=1200,2000 >/dev/null
    read -r w h variance colours < <(python3 tests/png_check.py stats "$png")
    check "$name: a 1200x2000 screenshot" test "$w x $h" = "1200 x 2000"
    check "$name: the screenshot is not blank (variance $variance, $colours colours)" \
        python3 -c "import sys; sys.exit(not ($variance > 200 and $colours > 50))"
    check "$name: no console error ($(console_errors "$name" | head -1))" \
        test "$(console_errors "$name" | wc -l)" -eq 0
}

check_page pcaps/sample.pcap sample "$(svgs_expected pcaps/sample.pcap)" \
    "Likely cause: smtp_inspection" "end of data, part 2 of 2" "no reply to end of data"
check_page pcaps/gen/mailguard-retry.pcap mailguard "$(svgs_expected pcaps/gen/mailguard-retry.pcap)" \
    "3 attempts" "600 s" "s of silence (compressed)" "FIN from the client"
check_page pcaps/gen/slow-server-retry.pcap slow "$(svgs_expected pcaps/gen/slow-server-retry.pcap)" \
    "Likely cause: slow_server" "250 2.0.0 Ok: queued as 3C4D5E6F70"
check_page pcaps/gen/html-hostile.pcap hostile "$(svgs_expected pcaps/gen/html-hostile.pcap)" \
    "220 &lt;script&gt;alert(1)&lt;/script&gt; ESMTP" 'EHLO "&gt;&lt;img src=x onerror=alert(1)&gt;'
# The lab's real MTAs (Postfix through the Mailguard-style relay; a slow Postfix), captured on
# the sender's side
check_page pcaps/lab/mailguard-retry.sender-side.pcap lab-mailguard \
    "$(svgs_expected pcaps/lab/mailguard-retry.sender-side.pcap)" \
    "Likely cause: smtp_inspection" "3 attempts" "end of data, part 2 of 2" \
    "Client 10.200.1.2 never sent QUIT in 3 sessions."
check_page pcaps/lab/slow-server.sender-side.pcap lab-slow \
    "$(svgs_expected pcaps/lab/slow-server.sender-side.pcap)" "Likely cause: slow_server"
check_page pcaps/gen/pop3-rollback.pcap pop3 "$(svgs_expected pcaps/gen/pop3-rollback.pcap)" \
    "Likely cause: pop3_rollback" "POP3 session 1" "no +OK to QUIT: 1 deletion rolled back" \
    "rolled back" "downloaded 2 times" "RST from the client"
check "pop3: 2 drawings (1 flagged session, 1 re-downloaded message)" \
    test "$(grep -o '<svg' "$tmp/pop3.dom" | wc -l)" -eq 2

# The verdict says what the text report's Triage says of loops, relays, fan-out, clients that
# never QUIT, re-downloads and servers: every such line, on every generated capture.
for cap in pcaps/gen/*.pcap; do
    "$bin" -r "$cap" --html "$tmp/v.html" >"$tmp/v.txt" 2>/dev/null
    sed -n '/^Triage$/,$p' "$tmp/v.txt" |
        grep -E '^- ([0-9]+ more (messages going round|clients never)|Message .* mail loop|[0-9]+ messages? (passed a relay|sent as separate)|Client .* never sent QUIT|Re-downloaded by POP3|pop3_concurrent_mailbox|Server )' \
            >"$tmp/v.want"
    lines=$(wc -l <"$tmp/v.want")
    cat "$tmp/v.want" >>"$tmp/all.want"
    missing=$(python3 - "$tmp/v.html" "$tmp/v.want" <<'PY'
import html, re, sys
page = html.unescape(re.sub(r"<[^>]+>", "", open(sys.argv[1]).read()))
print(sum(1 for l in open(sys.argv[2]) if l[2:].strip() not in page))
PY
)
    check "$(basename "$cap"): the verdict has the triage's $lines line(s) on loops, relays, clients, POP3, servers" \
        test "$missing" -eq 0
done
for kind in 'mail loop' 'passed a relay' 'separate copies' 'never sent QUIT' 'Re-downloaded by POP3' \
    'collected by two clients' 'looks overloaded' 'refused 2 connection attempts'; do
    check "the verdict check saw a line on '$kind'" grep -qF "$kind" "$tmp/all.want"
done
check "sample: 4 drawings (3 flagged sessions, 1 group)" test "$(grep -o '<svg' "$tmp/sample.dom" | wc -l)" -eq 4

# The hostile strings: never as markup in the file's bytes; only as escaped text.
h=$tmp/hostile.html
for s in '<script' '<img' 'onerror=alert(1)>' '"><img'; do
    check "hostile: the file holds no $s" test "$(grep -cF -- "$s" "$h")" -eq 0
done
check "hostile: the greeting is there, escaped" grep -qF '220 &lt;script&gt;alert(1)&lt;/script&gt; ESMTP' "$h"
check "hostile: the EHLO is there, escaped" grep -qF 'EHLO &quot;&gt;&lt;img src=x onerror=alert(1)&gt;' "$h"
# javascript: in a link would run: the file holds it nowhere (its colon is an entity), every
# link is the page's own, and the reader still sees the string as text
check "hostile: the file holds no javascript:" test "$(grep -ciF 'javascript:' "$h")" -eq 0
check "hostile: every link is to the page itself" \
    test "$(grep -oE 'href="[^"]*"' "$h" | grep -vc '^href="#[gsp][0-9]*"$')" -eq 0
check "hostile: javascript: shown as text" grep -qF 'javascript:alert(1)' "$tmp/hostile.dom"
check "hostile: no <script> element in the DOM" test "$(grep -c '<script' "$tmp/hostile.dom")" -eq 0

# The checks above can fail: an injected script is refused and logged, a blank page is blank.
sed 's#<body>#<body><script>console.log(1)</script><img src="http://192.0.2.1/x.png">#' \
    "$tmp/sample.html" >"$tmp/injected.html"
chrome injected --dump-dom >/dev/null
check "injected: the policy refuses a script and an image, and the test sees it" \
    test "$(console_errors injected | wc -l)" -ge 1
printf '<!DOCTYPE html><html lang="en"><head><title>x</title></head><body></body></html>\n' \
    >"$tmp/blank.html"
chrome blank --screenshot="$tmp/blank.png" --window-size=1200,2000 >/dev/null
read -r _ _ variance colours < <(python3 tests/png_check.py stats "$tmp/blank.png")
check "blank: a blank page measures blank (variance $variance)" \
    python3 -c "import sys; sys.exit(not ($variance <= 200 or $colours <= 50))"

# Bounds and equivalences.
page pcaps/sample.pcap one --html-sessions 1
check "--html-sessions 1: one ladder, one timeline" test "$(grep -c '<svg' "$tmp/one.html")" -eq 2
check "--html-sessions 1: the two others in the table" \
    grep -q 'Flagged sessions not drawn (past the first 1)' "$tmp/one.html"
"$bin" --json -r pcaps/sample.pcap --html "$tmp/json.html" >/dev/null 2>&1
check "--json with --html: the same page" cmp -s "$tmp/json.html" "$tmp/sample.html"
"$bin" -r pcaps/sample.pcap --html "$tmp/w3.html" --workers 3 >/dev/null 2>&1
check "--workers 3: the same page" cmp -s "$tmp/w3.html" "$tmp/sample.html"
check "the text report is unchanged by --html" \
    cmp -s "$tmp/sample.out" <("$bin" -r pcaps/sample.pcap 2>/dev/null)
ln -s "$tmp/target" "$tmp/link.html"
"$bin" -r pcaps/sample.pcap --html "$tmp/link.html" >/dev/null 2>"$tmp/link.err"
check "a symbolic link is refused (exit 2)" test $? -eq 2
check "... and not followed" test ! -e "$tmp/target"

# Live with --stats: the page is rewritten each period (FILE.tmp renamed over FILE) by the user
# root becomes, so it is there, whole, before the capture ends; a directory that user cannot
# write is refused at the start. Needs root and a capture on lo.
live_probe() { # the capture still running after 2 s (timeout's 124), not refused at once
    timeout -s INT 2 "$bin" -i lo --no-tui -Z root 'tcp port 9' >/dev/null 2>&1
    [ $? -eq 124 ]
}
if [ "$(id -u)" -eq 0 ] && live_probe; then
    run_user=nobody
    id -u smtpscope >/dev/null 2>&1 && run_user=smtpscope
    chmod 755 "$tmp" # mktemp's 0700 would keep that user out
    mkdir "$tmp/live" "$tmp/closed"
    chown "$run_user" "$tmp/live"
    "$bin" -i lo --stats 1 --html "$tmp/live/live.html" 'tcp port 9' >"$tmp/live.out" 2>"$tmp/live.err" &
    pid=$!
    if wait_until 15 grep -qs '</html>' "$tmp/live/live.html"; then ok; else
        bad "live: no whole page within 15 s ($(head -c 200 "$tmp/live.err"))"
    fi
    check "live: the page belongs to $run_user" test "$(stat -c %U "$tmp/live/live.html")" = "$run_user"
    kill -INT "$pid"
    wait "$pid"
    check "live: exit 0 at Ctrl-C ($(head -c 200 "$tmp/live.err"))" test $? -eq 0
    check "live: the final page passes tidy" tidy -q -e "$tmp/live/live.html"
    check "live: the page names the interface" grep -q 'interface lo' "$tmp/live/live.html"
    check "live: no temporary file left" test ! -e "$tmp/live/live.html.tmp"
    "$bin" -i lo --stats 1 --html "$tmp/closed/live.html" 'tcp port 9' >/dev/null 2>"$tmp/closed.err"
    check "live: a directory $run_user cannot write is refused at once (exit 2)" test $? -eq 2
    check "live: ... saying why" grep -q 'must be writable by the user' "$tmp/closed.err"
elif [ "${CI:-}" = true ] && [ "$(id -u)" -eq 0 ]; then
    bad "live: cannot capture on lo"
else
    echo "html: live checks skipped (not root, or no capture on lo)"
fi

if [ -n "${SCREENSHOT:-}" ]; then
    python3 tests/png_check.py crop "$tmp/mailguard.png" "$SCREENSHOT" 1140 1740
fi
t_done
