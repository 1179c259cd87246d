#!/usr/bin/env python3
"""Facts about the third-party captures in ../shared/pcaps, from their source projects'
expectations (see shared/pcaps/NOTES.md), checked against smtpscope's JSON output.
Usage: check_shared.py DIR  (DIR holds NAME.jsonl for each capture)"""
import json
import sys

failures = []


def load(d, name):
    with open(f"{d}/{name}.jsonl") as f:
        lines = [json.loads(line) for line in f]
    return [o for o in lines if o["type"] == "session"], lines[-1]


def expect(name, what, cond):
    if not cond:
        failures.append(f"{name}: {what}")


def eod_reply(t):
    return t["eod"]["reply"] if t["eod"] else "no eod"


def main(d):
    n = "smtp-pipelining"
    s, summ = load(d, n)
    expect(n, "one session", len(s) == 1)
    t = s[0]["transactions"]
    expect(n, "envelope", t[0]["mail_from"] == "<username@domain.com>"
           and t[0]["rcpt"] == ["<john.doe@example.com>"])
    expect(n, "pipelined DATA answered 250", eod_reply(t[0]) == 250 and not t[0]["eod"]["split"])
    expect(n, "no QUIT", s[0]["flags"] == ["missing_quit"])

    n = "smtp-pipelined-post-data-rset-sequence"
    s, _ = load(d, n)
    t = s[0]["transactions"]
    expect(n, "two transactions, both queued",
           [(x["mail_from"], eod_reply(x)) for x in t]
           == [("<alice@example.com>", 250), ("<bob@example.com>", 250)])
    expect(n, "no flags", s[0]["flags"] == [] and s[0]["counts"]["unpaired_replies"] == 0)

    n = "smtp-pipelined-rset-data-replies"
    s, _ = load(d, n)
    t = s[0]["transactions"]
    expect(n, "envelope-less empty message answered 250",
           len(t) == 1 and t[0]["mail_from"] is None and eod_reply(t[0]) == 250)
    expect(n, "open at capture end, not flagged",
           s[0]["end_reason"] == "capture_end" and s[0]["flags"] == [])

    n = "smtp-bdat-pipelined-next-mail"
    s, _ = load(d, n)
    t = s[0]["transactions"]
    expect(n, "BDAT message then DATA message",
           len(t) == 2 and t[0]["bdat_chunks"] == 2 and t[0]["eod"]["bdat"]
           and eod_reply(t[0]) == 250 and t[1]["data_reply"] == 354 and eod_reply(t[1]) == 250)
    expect(n, "no flags", s[0]["flags"] == [])

    n = "smtp-bdat-bad-tail-next-mail"
    s, _ = load(d, n)
    t = s[0]["transactions"]
    expect(n, "first message by BDAT from alice", t[0]["mail_from"] == "<alice@example.com>"
           and t[0]["bdat_chunks"] >= 1)
    expect(n, "server hung up: no QUIT", "missing_quit" in s[0]["flags"])

    n = "smtp-ehlo-reset-after-rejected-data"
    s, _ = load(d, n)
    t = s[0]["transactions"]
    expect(n, "envelope-less DATA refused 503, then bob->alice queued",
           len(t) == 2 and t[0]["data_reply"] == 503 and t[1]["mail_from"] == "<bob@example.com>"
           and eod_reply(t[1]) == 250)
    expect(n, "QUIT, no flags", s[0]["quit"] and s[0]["flags"] == [])

    n = "smtp-data-rejected_real-sendmail"
    s, _ = load(d, n)
    t = s[0]["transactions"]
    expect(n, "MAIL 553, RCPT 503, DATA 503",
           (t[0]["mail_reply"], t[0]["rcpt_replies"], t[0]["data_reply"]) == (553, [503], 503))
    expect(n, "message rejected at end of data with 554", eod_reply(t[1]) == 554)
    expect(n, "no QUIT", s[0]["flags"] == ["missing_quit"])

    n = "smtp-to-comma_DAMAGED-pcap"
    s, summ = load(d, n)
    expect(n, "read error reported in the summary", summ["read_error"] is not None)
    expect(n, "message body unterminated", s[0]["transactions"][1]["eod"] is None
           and s[0]["end_reason"] == "capture_end" and s[0]["flags"] == [])

    n = "smtp-errors_real-multi-server"
    s, _ = load(d, n)
    expect(n, "three sessions on port 25", len([x for x in s if x["server"].endswith(":25")]) == 3)
    smtps = [x for x in s if x["server"].endswith(":465")]
    # a ClientHello to a Postfix in clear on 465: plain SMTP there, parsed, not counted as TLS
    expect(n, "port 465 in clear: parsed, not implicit TLS", len(smtps) == 1
           and not smtps[0]["implicit_tls"] and not smtps[0]["tls"]
           and smtps[0]["banner"] is not None)
    yahoo = [x for x in s if "yahoo" in (x["banner"] or {}).get("text", "")][0]
    e = yahoo["transactions"][0]["eod"]
    expect(n, "reply without a code paired with end of data",
           e["reply"] is None and e["reply_text"].startswith("4.7.0"))
    cgp = [x for x in s if "CommuniGate" in (x["banner"] or {}).get("text", "")][0]
    t = cgp["transactions"][0]
    expect(n, "MAIL 472, RCPT 501, DATA 501",
           (t["mail_reply"], t["rcpt_replies"], t["data_reply"]) == (472, [501], 501))
    junk = [x for x in s if "sakura" in (x["banner"] or {}).get("text", "")][0]
    expect(n, "junk lines counted", junk["counts"]["bad_lines"] >= 3)

    n = "smtp-starttls_postfix"
    s, _ = load(d, n)
    expect(n, "encrypted after STARTTLS, helo kept, not flagged",
           s[0]["tls"] and s[0]["starttls"] and s[0]["helo"] == "desktop.unx.ca"
           and s[0]["flags"] == [] and s[0]["transactions"] == [])

    n = "smtp-long-command"
    s, _ = load(d, n)
    expect(n, "over-long EHLO counted and truncated",
           s[0]["counts"]["long_lines"] == 1 and s[0]["helo"].startswith("OBLAH")
           and len(s[0]["helo"]) < 256)
    expect(n, "QUIT sent as AUTH LOGIN's user name is not a QUIT", not s[0]["quit"])

    n = "mime-stream-depth_4-messages-port2525"
    s, _ = load(d, n)
    t = s[0]["transactions"]
    expect(n, "port 2525, 4 messages, 3 queued, last cut by the capture end",
           s[0]["server"].endswith(":2525") and len(t) == 4
           and [eod_reply(x) for x in t] == [250, 250, 250, "no eod"])

    n = "firewall-127_smtp-interactive-commands"
    s, _ = load(d, n)
    t = s[0]["transactions"]
    expect(n, "one message queued among VRFY/EXPN/NOOP", len(t) == 1 and eod_reply(t[0]) == 250
           and s[0]["quit_reply"] == 221 and s[0]["counts"]["unpaired_replies"] == 0)

    n = "arkime_smtp-decrypted"
    s, _ = load(d, n)
    expect(n, "four sessions continue in plain text after STARTTLS",
           len(s) == 4 and all(x["starttls"] and not x["tls"] for x in s))
    expect(n, "BDAT messages on port 2525 queued",
           all(eod_reply(x["transactions"][0]) == 250 for x in s if x["server"].endswith(":2525")))

    n = "arkime_smtp-data-521"
    s, _ = load(d, n)
    expect(n, "message rejected 521 then reset at once by the server",
           eod_reply(s[0]["transactions"][0]) == 521 and s[0]["end_reason"] == "rst"
           and s[0]["closed_by"] == "server"
           and s[0]["flags"] == ["missing_quit", "rst_after_eod"])

    n = "arkime_smtp-rcpt-553"
    s, _ = load(d, n)
    expect(n, "RCPT refused 553", s[0]["transactions"][0]["rcpt_replies"] == [553])

    n = "arkime_smtp-nospaces"
    s, _ = load(d, n)
    t = s[0]["transactions"][0]
    expect(n, "addresses without brackets", t["mail_from"] == "random@example.com"
           and t["rcpt"] == ["reciever@example.com"] and t["eod"] is None)

    n = "arkime_socks5-smtp-503_port1080"
    s, summ = load(d, n)
    expect(n, "port 1080 is not an SMTP port by default", s == [] and summ["sessions"] == 0)

    n = "bug-3616-smtp_wireshark-smtp-sample"
    s, _ = load(d, n)
    t = s[0]["transactions"]
    expect(n, "Exim sample: multi-line banner, AUTH, one message queued, QUIT",
           s[0]["banner"]["lines"] > 1 and s[0]["helo"] == "GP" and len(t) == 1
           and t[0]["mail_from"] == "<gurpartap@patriots.in>"
           and t[0]["rcpt"] == ["<raj_deol2002in@yahoo.co.in>"] and eod_reply(t[0]) == 250
           and s[0]["flags"] == [])

    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
