#!/bin/bash
# The live screen in a real terminal: smtpscope --tui runs inside tmux, keys are sent with
# send-keys and the screen is read back with capture-pane, asserting what a person would see.
# Usage: tests/tui-e2e.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/smtpscope}
sock=smtpscope-tui-$$
out=$(mktemp -d)
fails=0 checks=0
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$out"' EXIT

tm() { tmux -L "$sock" "$@"; }
screen() { tm capture-pane -p -t s; }
ok() { checks=$((checks + 1)); echo "ok   $1"; }
bad() {
    checks=$((checks + 1)) fails=$((fails + 1))
    echo "FAIL $1"
    screen | sed 's/^/     | /'
}
# expect DESCRIPTION REGEX: waits up to 5 s for the screen to match
expect() {
    for _ in $(seq 50); do
        screen | grep -Eq -- "$2" && { ok "$1"; return; }
        sleep 0.1
    done
    bad "$1 (no match for /$2/)"
}
expect_not() {
    sleep 0.3
    if screen | grep -Eq -- "$2"; then bad "$1 (unexpected /$2/)"; else ok "$1"; fi
}
# start ARGS...: a 150x40 terminal running smtpscope; its exit status lands in $out/status
start() {
    tm kill-server 2>/dev/null || true
    rm -f "$out/status"
    tm -f /dev/null new-session -d -s s -x 150 -y 40 \
        "$*; echo \$? > $out/status; echo EXITED; sleep 60"
}
quit_ok() {
    tm send-keys -t s q
    for _ in $(seq 50); do [ -s "$out/status" ] && break; sleep 0.1; done
    if [ "$(cat "$out/status" 2>/dev/null)" = 0 ]; then ok "$1: q exits 0"; else bad "$1: q exits 0"; fi
    # the screen is given back: the shell's own output (the summary) is visible again
    expect "$1: terminal restored, summary printed" '^Summary of '
}

# ---- a flagged capture: rows, badges, detail, filter, flagged-only ----
start env TERM=xterm-256color "$bin" --tui -r pcaps/sample.pcap
expect "sample: header says the file ended" 'end of file'
expect "sample: header counts sessions" '0 open, 4 ended'
expect "sample: findings in the header" 'findings: SPLIT 2 NOQUIT 3 MASK 2'
expect "sample: session 4 row with its badges" '^>? +4 198\.51\.100\.20:51287 +-> 192\.0\.2\.40:25 .*SPLIT MASK'
expect "sample: clean session 1 listed without badges" '^ +1 198\.51\.100\.10:40200 +-> 192\.0\.2\.25:25 +fin +[^A-Z]*$'
expect "sample: legend explains the glyphs" 'o connect B banner \* masked banner'
tm send-keys -t s Enter
expect "sample: detail pane shows the transcript" 'transcript: +frame +time'
expect "sample: detail pane shows the evidence" 'end of data split CRLF\|\.CRLF over 2 segments'
tm send-keys -t s Escape
expect_not "sample: Esc closes the detail pane" 'transcript: +frame'
tm send-keys -t s f
expect_not "sample: f hides the clean session" '198\.51\.100\.10:40200'
tm send-keys -t s f
expect "sample: f again shows it" '198\.51\.100\.10:40200'
tm send-keys -t s / 198.51.100.30 Enter
expect "sample: filter keeps the matching session" '198\.51\.100\.30:41877'
expect_not "sample: filter hides the others" '198\.51\.100\.20:'
tm send-keys -t s / C-u Enter # the prompt starts with the current filter; Ctrl-U clears it
expect "sample: an empty filter shows all again" '198\.51\.100\.20:51234'
tm send-keys -t s s
expect "sample: s changes the sort" 'sort: worst'
tm send-keys -t s '?'
expect "sample: ? shows the help" 'NOQUIT'
tm send-keys -t s Escape
quit_ok sample

# ---- the timeline: events in order on the shared axis ----
start env TERM=xterm-256color "$bin" --tui -r pcaps/gen/terminal-escapes.pcap
expect "timeline: connect, banner, HELO, MAIL, RCPT, DATA, end of data, 250, FIN in order" \
    'oB-+H-+M-+R-+D-+E~+\+-+F'
tm send-keys -t s Enter
expect "escapes: the banner's OSC and CSI are shown escaped" '\\x1b\]0;pwned\\x07 ESMTP \\x1b\[2J\\xc2\\x9b31m'
expect "escapes: the EHLO's SGR codes are shown escaped" 'EHLO \\x1b\[5mclient\\x1b\[0m'
quit_ok escapes
# Nothing from the packets acted on the terminal: its title is still tmux's default.
# (A raw OSC 0 in the stream would have renamed the pane to "pwned".)
start true
if tm display-message -p -t s '#{pane_title}' | grep -q pwned; then bad "escapes: title untouched"; else ok "escapes: title untouched"; fi

start env TERM=xterm-256color "$bin" --tui -r pcaps/gen/mailguard.pcap
tm send-keys -t s + + + + + + 0
expect "mailguard: split terminator and the client's wait after it" '/~+F'
quit_ok mailguard

# ---- replay at capture speed: the wait for the reply grows while the client waits ----
# sample.pcap's session 4 sends its split terminator 124 s into the capture and waits 60 s
# for a reply that never comes; at 30x that is 4.1 s to 6.1 s into the replay.
start env TERM=xterm-256color "$bin" --tui -r pcaps/sample.pcap --speed 30
waits() { screen | grep -E ' 4 198\.51\.100\.20:51287 ' | tr -cd '~' | wc -c; }
expect "replay: session 4 is waiting for the reply" ' 4 198\.51\.100\.20:51287 .* wait-eod '
w1=$(waits)
sleep 0.8
w2=$(waits)
if [ "$w2" -gt "$w1" ]; then ok "replay: the wait grows ($w1 -> $w2 columns)"; else bad "replay: the wait grows ($w1 -> $w2)"; fi
expect "replay: the file ends, the client gave up" 'end of file.*0 open, 4 ended'
quit_ok replay

# ---- monochrome, and a small terminal ----
start env TERM=vt100 NO_COLOR=1 "$bin" --tui -r pcaps/sample.pcap
expect "NO_COLOR: still draws the sessions" 'SPLIT MASK'
tm resize-window -t s -x 60 -y 12
expect "resize: redraws in a 60x12 terminal" 'end of file'
tm resize-window -t s -x 150 -y 40
expect "resize: and back to 150x40" 'findings: SPLIT 2 NOQUIT 3 MASK 2'
quit_ok mono

# ---- not a terminal: a clear error ----
if "$bin" --tui -r pcaps/sample.pcap </dev/null >"$out/o" 2>"$out/e"; then
    bad "--tui without a terminal fails"
else
    grep -q 'terminal' "$out/e" && ok "--tui without a terminal: exit 2 with a message" ||
        bad "--tui without a terminal: message ($(cat "$out/e"))"
fi

echo "tui-e2e: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
