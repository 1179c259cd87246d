#!/bin/bash
# The live screen in a real terminal: smtpscope --tui runs inside tmux, keys are sent with
# send-keys and the screen is read back with capture-pane, asserting what a person would see.
#
# Every wait is for a condition (the screen matches, the screen no longer matches, the exit
# status is written), polled, with a generous limit: on a loaded machine the screen may take
# seconds to change, and a check only fails when the limit passes. Each run of smtpscope
# gets a tmux server of its own on a socket of its own, and the previous server is waited
# for until it is gone, so no command ever reaches a server that is shutting down.
# Usage: tests/tui-e2e.sh [BINARY]
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_init tui-e2e
t_binary "${1:-}" build/smtpscope
t_verbose=1
cd "$here"
command -v tmux >/dev/null || { echo "FAIL: tui-e2e: no tmux (tools/install-deps.sh test)"; exit 1; }

sock="" # the socket of the current tmux server, in $tmp
server="" # its process id
runs=0
tm() { tmux -S "$sock" "$@"; }
screen() { tm capture-pane -p -t s; }
show_screen() { screen | sed 's/^/     | /'; }
t_on_fail=show_screen
# The screen read whole before it is searched (grep -q may stop reading early).
screen_has() {
    local s
    s=$(screen) || return 1
    grep -Eq -- "$1" <<<"$s"
}
screen_lacks() {
    local s
    s=$(screen) || return 1
    ! grep -Eq -- "$1" <<<"$s"
}
# Gone from two readings 0.3 s apart: not a screen caught halfway through a redraw.
screen_lost() { screen_lacks "$1" && sleep 0.3 && screen_lacks "$1"; }
# expect DESCRIPTION REGEX: the screen matches within 30 s
expect() {
    if wait_until 30 screen_has "$2"; then ok "$1"; else bad "$1 (no match for /$2/)"; fi
}
# expect_not DESCRIPTION REGEX: the screen stops matching within 30 s (after a key that hides it)
expect_not() {
    if wait_until 30 screen_lost "$2"; then ok "$1"; else bad "$1 (unexpected /$2/)"; fi
}
stop_server() {
    [ -n "$server" ] || return 0
    tm kill-server 2>/dev/null || true
    wait_until 30 t_gone "$server" || echo "warning: tmux server $server still running after 30 s"
    server=""
}
t_on_exit stop_server
# start ARGS...: a 150x40 terminal running smtpscope, in a new tmux server; its exit status
# lands in $tmp/status, then the pane stays (with the shell's output) until the next start.
start() {
    stop_server
    runs=$((runs + 1))
    sock=$tmp/tmux-$runs
    rm -f "$tmp/status"
    tm -f /dev/null new-session -d -s s -x 150 -y 40 \
        "$*; echo \$? > $tmp/status; echo EXITED; sleep 600"
    server=$(tm display-message -p '#{pid}')
}
quit_ok() {
    tm send-keys -t s q
    wait_until 30 test -s "$tmp/status" || true
    if [ "$(cat "$tmp/status" 2>/dev/null)" = 0 ]; then ok "$1: q exits 0"; else bad "$1: q exits 0"; fi
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
# Nothing from the packets acted on the terminal: the pane's title is still tmux's default.
# (A raw OSC 0 in the stream would have renamed the pane to "pwned".)
title=$(tm display-message -p -t s '#{pane_title}')
case "$title" in *pwned*) bad "escapes: title untouched ($title)" ;; *) ok "escapes: title untouched" ;; esac
quit_ok escapes

start env TERM=xterm-256color "$bin" --tui -r pcaps/gen/mailguard.pcap
# keys only once the screen is drawn (not while the terminal is being set up)
wait_until 30 screen_has 'end of file' || true
tm send-keys -t s + + + + + + 0
expect "mailguard: split terminator and the client's wait after it" '/~+F'
quit_ok mailguard

# ---- replay at capture speed: the wait for the reply grows while the client waits ----
# sample.pcap's session 4 sends its split terminator 124 s into the capture and waits 60 s
# for a reply that never comes; at 30x that is 4.1 s to 6.1 s into the replay.
start env TERM=xterm-256color "$bin" --tui -r pcaps/sample.pcap --speed 30
waits() { # the ~ columns of session 4's row
    local s
    s=$(screen) || true
    grep -E ' 4 198\.51\.100\.20:51287 ' <<<"$s" | tr -cd '~' | wc -c || true
}
grown() {
    w2=$(waits)
    [ "$w2" -gt "$1" ]
}
expect "replay: session 4 is waiting for the reply" ' 4 198\.51\.100\.20:51287 .* wait-eod '
w1=$(waits)
w2=$w1
if wait_until 3 grown "$w1"; then ok "replay: the wait grows ($w1 -> $w2 columns)"; else bad "replay: the wait grows ($w1 -> $w2)"; fi
expect "replay: the file ends, the client gave up" 'end of file.*0 open, 4 ended'
quit_ok replay

# ---- duplicate groups as they form: the d panel on a paced replay ----
# The capture and the group it must show, in this one place. mailguard-retry.pcap sends one
# message three times 600 s apart, never acknowledged; its sessions end 60 s, 660 s and
# 1260 s into the capture, so at 100x the group forms (second attempt) 6.6 s into the replay,
# its third attempt joins at 12.6 s and the file ends just after.
dup_pcap=pcaps/gen/mailguard-retry.pcap
dup_speed=100
dup_msg='<20260302085901\.1D2E3F@client\.example\.org>' # a regex
dup_cause=smtp_inspection
dup_every=10m00s       # its median interval as the panel writes it
dup_sessions=(1 2 3)   # its attempts' sessions, in time order
dup_row() { # REGEX of the group's row in the panel with $1 attempts (0 acknowledged)
    echo "^>? (open|final) +$1 +0 +$dup_every +$dup_cause +$dup_msg"
}
start env TERM=xterm-256color "$bin" --tui -r "$dup_pcap" --speed "$dup_speed"
# One reading shows both: the group counted and the file not ended yet.
playing_with_group() {
    local s
    s=$(screen) || return 1
    grep -Eq 'duplicate groups 1' <<<"$s" && ! grep -q 'end of file' <<<"$s"
}
if wait_until 30 playing_with_group; then
    ok "dups: the header counts the group while the replay plays"
else
    bad "dups: the header counts the group while the replay plays"
fi
tm send-keys -t s d
panel_while_playing() {
    local s
    s=$(screen) || return 1
    grep -Eq "$(dup_row '[0-9]+')" <<<"$s" && ! grep -q 'end of file' <<<"$s"
}
if wait_until 30 panel_while_playing; then
    ok "dups: d lists the group before the file ends"
else
    bad "dups: d lists the group before the file ends"
fi
expect "dups: the panel's headings" 'state +attempts +acked +interval +likely cause +message'
expect "dups: every attempt joined by the end of the file" "$(dup_row ${#dup_sessions[@]})"
expect "dups: the file ended" 'end of file'
tm send-keys -t s Enter
expect "dups: Enter shows the group's title" "$dup_msg: ${#dup_sessions[@]} attempts, 0 acknowledged"
for i in "${!dup_sessions[@]}"; do
    expect "dups: attempt $((i + 1)) is session ${dup_sessions[$i]}" \
        "^>? +$((i + 1)) +${dup_sessions[$i]} +[0-9:.]+ +[0-9.]+:[0-9]+ -> [0-9.]+:[0-9]+ +fin +DUP"
done
tm send-keys -t s j Enter
expect "dups: Enter on an attempt opens its session's detail" "^ session ${dup_sessions[1]} .*Esc closes"
expect "dups: the detail is the session's report" 'transcript: +frame +time'
tm send-keys -t s Escape
expect "dups: Esc goes back to the attempts" "$dup_msg: ${#dup_sessions[@]} attempts"
tm send-keys -t s q
expect "dups: q goes back to the groups" "$(dup_row ${#dup_sessions[@]})"
tm send-keys -t s q
expect "dups: q again goes back to the sessions" 'state +flags'
expect "dups: the sessions in the group are marked" "^>? +${dup_sessions[0]} [0-9.]+:[0-9]+ +-> .* DUP "
tm send-keys -t s '?'
expect "dups: the help explains d" 'd +duplicate groups, worst first'
expect "dups: the help explains the mark" 'DUP +in a duplicate group'
tm send-keys -t s Escape
quit_ok dups

# ---- POP3: its own glyphs, legend and badges; f, / and the pane; the password never shown ----
# pcapgen's POP3 sessions log in with PASS Tr0ub4dor&3: the analyser keeps a placeholder.
secret='Tr0ub4dor'
no_secret() {
    if screen_lacks "$secret"; then ok "pop3: no password on the screen ($1)"; else bad "pop3: password on the screen ($1)"; fi
}
start env TERM=xterm-256color "$bin" --tui -r pcaps/gen/pop3-dele-dropped.pcap
expect "pop3: the file ended" 'end of file.*0 open, 1 en'
expect "pop3: findings count POP3's badges" 'findings: POP3: ROLLBK 1 NOQUIT 1'
expect "pop3: row with its badges" '^>? +1 198\.51\.100\.10:41002 +-> 192\.0\.2\.110:110 +rst +ROLLBK NOQUIT'
expect "pop3: banner, login, UIDL, message, DELE, RST in order" 'B-+L-*U-*g-+d-+#'
expect "pop3: the legend has a POP3 line" '^ POP3: L login x login refused U LIST/UIDL G RETR/TOP g message complete % message cut d DELE Q QUIT q'
no_secret list
tm send-keys -t s Enter
expect "pop3: detail pane shows the POP3 report" 'mailbox: bob +login: ok'
expect "pop3: the pane shows the placeholder for PASS" 'C: PASS \[authentication data\]'
no_secret pane
tm send-keys -t s Escape
expect_not "pop3: Esc closes the pane" 'mailbox: bob'
tm send-keys -t s / BOB Enter
expect "pop3: / finds the session by its mailbox" 'filter: "BOB"'
expect "pop3: / keeps the row" '^>? +1 198\.51\.100\.10:41002 '
no_secret "after / search"
tm send-keys -t s / C-u nobody Enter
expect "pop3: / hides what does not match" 'no session matches the filter'
tm send-keys -t s / C-u Enter
expect "pop3: an empty filter shows it again" '^>? +1 198\.51\.100\.10:41002 '
tm send-keys -t s f
expect "pop3: f keeps the flagged POP3 session" 'flagged only'
expect "pop3: f shows the row" '^>? +1 198\.51\.100\.10:41002 '
tm send-keys -t s f '?'
expect "pop3: help lists POP3 badges" 'ROLLBK pop3_dele_uncommitted'
expect "pop3: help lists POP3 glyphs" '% message cut'
no_secret help
tm send-keys -t s Escape
quit_ok pop3

start env TERM=xterm-256color "$bin" --tui -r pcaps/gen/pop3-clean.pcap
expect "pop3 clean: no findings yet" 'findings: POP3: none yet'
expect "pop3 clean: login, UIDL, message, DELE, QUIT and its +OK" 'L-*U-*g-*d-*Q-*q'
tm send-keys -t s f
expect "pop3 clean: f hides the clean session" 'no session matches the filter'
tm send-keys -t s f
no_secret clean
quit_ok "pop3 clean"

# ---- monochrome, and a small terminal ----
start env TERM=vt100 NO_COLOR=1 "$bin" --tui -r pcaps/sample.pcap
expect "NO_COLOR: still draws the sessions" 'SPLIT MASK'
tm resize-window -t s -x 60 -y 12
expect "resize: redraws in a 60x12 terminal" 'end of file'
tm resize-window -t s -x 150 -y 40
expect "resize: and back to 150x40" 'findings: SPLIT 2 NOQUIT 3 MASK 2'
quit_ok mono

# ---- not a terminal: a clear error ----
stop_server
t_on_fail=""
if "$bin" --tui -r pcaps/sample.pcap </dev/null >"$tmp/o" 2>"$tmp/e"; then
    bad "--tui without a terminal fails"
elif grep -q 'terminal' "$tmp/e"; then
    ok "--tui without a terminal: exit 2 with a message"
else
    bad "--tui without a terminal: message ($(cat "$tmp/e"))"
fi

t_done
