#!/usr/bin/env python3
"""Checks smtpscope's JSON Lines from the live capture of tests/live-e2e.sh against what the
clients did (their own lines), and against the analysis of the -w file.
Usage: check.py LIVE.jsonl REPLAY.jsonl CLIENTS.jsonl IFACE
Prints one line per check (ok/FAIL); exits 1 if any failed."""
import json
import sys

failures = 0


def check(what, cond, detail=""):
    global failures
    if cond:
        print("ok: " + what)
    else:
        failures += 1
        print("FAIL: " + what + (": " + detail if detail else ""))
    return cond


def load(path, name):
    objs = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                objs.append(json.loads(line))
            except ValueError as e:
                check("%s line %d is valid JSON" % (name, n), False, "%s: %.200r" % (e, line))
    return objs


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def eod(s):
    t = s.get("transactions") or []
    return t[0].get("eod") if len(t) == 1 else None


def check_summary(name, objs, iface):
    if not check(name + ": has output", objs):
        return None
    summ = objs[-1]
    if not check(name + ": the last line is the summary", summ.get("type") == "summary",
                 "type %r" % summ.get("type")):
        return None
    bad = [o.get("type") for o in objs[:-1]
           if o.get("type") not in ("session", "server", "duplicate", "capture_file")]
    check(name + ": only session, server, duplicate and capture_file lines before the summary",
          not bad, repr(bad))
    servers = sum(1 for o in objs if o.get("type") == "server")
    check(name + ": a server line for each server the summary counts",
          servers == summ.get("servers") and servers > 0,
          "%d lines, summary %r" % (servers, summ.get("servers")))
    return summ


def main(live_path, replay_path, clients_path, iface):
    live = load(live_path, "live")
    replay = load(replay_path, "replay")
    clients = load(clients_path, "clients")
    summ = check_summary("live", live, iface)
    rsumm = check_summary("replay", replay, iface)
    sessions = [o for o in live if o.get("type") == "session"]
    if summ:
        check("summary source is 'interface %s'" % iface, summ.get("source") == "interface " + iface,
              repr(summ.get("source")))
        d = summ.get("dropped")
        if check("summary has a dropped object", isinstance(d, dict), repr(d)):
            check("dropped.kernel and dropped.interface are integers",
                  is_int(d.get("kernel")) and is_int(d.get("interface")), repr(d))
            print("info: dropped: kernel %r, interface %r" % (d.get("kernel"), d.get("interface")))
        check("summary counts %d sessions" % len(sessions), summ.get("sessions") == len(sessions),
              repr(summ.get("sessions")))
        check("summary has no read_error", summ.get("read_error") is None, repr(summ.get("read_error")))
    files = [o for o in live if o.get("type") == "capture_file"]
    check("live: one capture_file line, the -w file from frame 1",
          len(files) == 1 and str(files[0].get("file")).endswith("/live.pcap")
          and files[0].get("first_frame") == 1, repr(files))
    check("replay (-r): no capture_file line",
          not [o for o in replay if o.get("type") == "capture_file"])
    check("no duplicate lines (every message was different)",
          not [o for o in live if o.get("type") == "duplicate"])

    scen = [c for c in clients if "scenario" in c]
    check("four client scenarios ran", len(scen) == 4, repr([c.get("scenario") for c in scen]))
    check("%d sessions seen, one per client connection" % len(scen), len(sessions) == len(scen),
          "%d sessions: %s" % (len(sessions), [(s.get("client"), s.get("server")) for s in sessions]))
    for c in scen:
        label = "%s %s -> %s" % (c["scenario"], c["client"], c["server"])
        found = [s for s in sessions if s.get("client") == c["client"] and s.get("server") == c["server"]]
        if not check(label + ": one session with these addresses", len(found) == 1,
                     "found %d; sessions: %s" % (len(found), [(s.get("client"), s.get("server")) for s in sessions])):
            continue
        s = found[0]
        flags = s.get("flags")
        e = eod(s)
        banner = s.get("banner") or {}
        check(label + ": banner 220", banner.get("code") == 220, repr(banner))
        check(label + ": helo client.live.test, EHLO answered 250",
              s.get("helo") == "client.live.test" and s.get("ehlo_reply") == 250,
              "helo %r, ehlo_reply %r" % (s.get("helo"), s.get("ehlo_reply")))
        if c["scenario"] == "clean":
            check(label + ": no flags", flags == [], repr(flags))
            check(label + ": end_reason fin", s.get("end_reason") == "fin", repr(s.get("end_reason")))
            check(label + ": QUIT answered 221", s.get("quit") is True and s.get("quit_reply") == 221,
                  "quit %r, quit_reply %r" % (s.get("quit"), s.get("quit_reply")))
            t = (s.get("transactions") or [{}])[0]
            check(label + ": one message, MAIL/RCPT 250, DATA 354, Message-ID",
                  len(s.get("transactions") or []) == 1 and t.get("mail_reply") == 250
                  and t.get("rcpt_replies") == [250] and t.get("data_reply") == 354
                  and t.get("message_id") == c["message_id"], repr(t)[:400])
            check(label + ": end of data whole, answered 250",
                  e is not None and e.get("split") is False and e.get("reply") == 250
                  and e.get("cut") == "CRLF.CRLF", repr(e))
        elif c["scenario"] == "split":
            check(label + ": flagged split_eod_unacked and missing_quit",
                  isinstance(flags, list) and "split_eod_unacked" in flags and "missing_quit" in flags,
                  repr(flags))
            check(label + ": end_reason fin, closed by the client",
                  s.get("end_reason") == "fin" and s.get("closed_by") == "client",
                  "%r by %r" % (s.get("end_reason"), s.get("closed_by")))
            check(label + ": end of data split CRLF|.CRLF over 2 segments, no reply",
                  e is not None and e.get("split") is True and e.get("cut") == "CRLF|.CRLF"
                  and len(e.get("parts") or []) == 2 and e.get("reply") is None, repr(e))
            print("info: split session flags: %s" % " ".join(flags or []))
        elif c["scenario"] == "open":
            check(label + ": end_reason capture_end", s.get("end_reason") == "capture_end",
                  repr(s.get("end_reason")))
            check(label + ": not flagged missing_quit", "missing_quit" not in (flags or []), repr(flags))

    # The -w file analysed again: the same sessions, the same frame numbers.
    rsessions = [o for o in replay if o.get("type") == "session"]
    if check("the -w capture gives as many sessions (%d)" % len(sessions), len(rsessions) == len(sessions),
             "%d from the file" % len(rsessions)):
        for a, b in zip(sessions, rsessions):
            if a != b:
                diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
                check("session %s (%s) identical from the -w capture" % (a.get("id"), a.get("client")), False,
                      "fields differ: %s; live %s; file %s"
                      % (diff, {k: a.get(k) for k in diff}, {k: b.get(k) for k in diff}))
            else:
                check("session %s (%s) identical from the -w capture" % (a.get("id"), a.get("client")), True)
    if summ and rsumm:
        check("the -w capture holds every packet read (%r)" % summ.get("packets"),
              summ.get("packets") == rsumm.get("packets") and summ.get("bytes") == rsumm.get("bytes"),
              "live %r packets %r bytes, file %r packets %r bytes"
              % (summ.get("packets"), summ.get("bytes"), rsumm.get("packets"), rsumm.get("bytes")))
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
