#!/usr/bin/env python3
"""Checks the captures of smtpscope's mail-path lab (pcaps/lab/) against each scenario's intent.

Usage: tools/lab/check-lab.py [DIR [SMTPSCOPE]]   (defaults: pcaps/lab build/smtpscope)

Each capture is checked twice, independently:
  1. from the packets alone (tshark fields: TCP flags, segment payloads, no SMTP dissector):
     the greeting, the commands, where CR LF . CR LF was cut between the client's segments,
     the server's first reply after it, QUIT, STARTTLS, BDAT, and who closed first;
  2. from smtpscope's JSON: the flags of each session must be exactly those the scenario means.
Run by tools/lab/run-lab.sh after making the captures; needs tshark, not root.
"""
import json
import os
import re
import subprocess
import sys

TERM = b"\r\n.\r\n"
MASKED = re.compile(rb"^220 [*20 ]+$")
FIELDS = ["frame.number", "frame.time_epoch", "tcp.stream", "tcp.srcport", "tcp.dstport",
          "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin", "tcp.flags.reset", "tcp.payload",
          "ip.src"]
# The relay's addresses: outside (what the sender talks to), inside (what the receiver sees).
FW_OUT, FW_IN = "10.200.1.1", "10.200.2.1"
SPLIT, NOQUIT, MASK = "split_eod_unacked", "missing_quit", "masked_banner"
INSPECT, GAVE_UP, LATE = "smtp_inspection", "client_gave_up", "reply_after_close"
# What a clean session must not show; a scenario lists what it must show (want) and may list
# more it must not (deny). Flags smtpscope adds later and no scenario names are reported only.
PROBLEMS = {SPLIT, NOQUIT, MASK, INSPECT, GAVE_UP, LATE, "eod_no_reply", "ehlo_refused",
            "command_masked", "rst_after_eod", "slow_eod_reply", "eod_retransmitted",
            "eod_reply_retransmitted", "zero_window_data"}


def is_set(v):
    return v in ("1", "True")


def read_packets(pcap):
    cmd = ["tshark", "-r", pcap, "-T", "fields", "-E", "separator=\t"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        v = (line.split("\t") + [""] * len(FIELDS))[:len(FIELDS)]
        yield {"frame": int(v[0]), "time": float(v[1]), "stream": int(v[2]),
               "sport": int(v[3]), "dport": int(v[4]), "syn": is_set(v[5]), "ack": is_set(v[6]),
               "fin": is_set(v[7]), "rst": is_set(v[8]),
               "data": bytes.fromhex(v[9].replace(":", "")), "src": v[10]}


class Session:
    """One TCP connection to port 25, described from its packets only."""

    def __init__(self, packets):
        self.packets = packets
        self.start = packets[0]["time"]
        self.client_port = next(p["sport"] for p in packets if p["syn"] and not p["ack"])
        self.segs = [p for p in packets if p["data"]]
        self.cseg = [p for p in self.segs if p["sport"] == self.client_port]
        self.client = b"".join(p["data"] for p in self.cseg)
        self.server = b"".join(p["data"] for p in self.segs if p["sport"] != self.client_port)
        self.banner = self.server.split(b"\r\n", 1)[0]
        self.closer, self.close_kind, self.close_time = self._first_close()
        self._parse_client()
        self._eod_reply()

    def _first_close(self):
        for p in self.packets:
            if p["fin"] or p["rst"]:
                who = "client" if p["sport"] == self.client_port else "server"
                return who, "rst" if p["rst"] else "fin", p["time"]
        return None, None, None

    def _parse_client(self):
        """Commands, BDAT chunks and the terminator, walking the client's byte stream."""
        self.commands, self.bdat, self.eod_off, self.tls = [], False, None, False
        data, i = self.client, 0
        while i < len(data):
            j = data.find(b"\r\n", i)
            if j < 0:
                break
            line = data[i:j].decode("latin-1")
            verb = line.split(" ")[0].upper()
            self.commands.append(verb)
            i = j + 2
            # Accepted: a second 220 line after the greeting's (the STARTTLS reply).
            if verb == "STARTTLS" and (b"\r\n" + self.server).count(b"\r\n220 ") >= 2:
                self.tls = True
                return
            if verb == "BDAT":
                self.bdat = True
                i += int(line.split()[1])
            elif verb == "DATA":
                k = data.find(TERM, i - 2)
                if k < 0:
                    return
                self.eod_off = k
                i = k + len(TERM)

    def _eod_reply(self):
        """Where the terminator was cut, and the server's first reply after its last byte."""
        self.cut, self.eod_frames, self.eod_reply, self.eod_time = None, [], None, None
        if self.eod_off is None:
            return
        off, first, last = 0, self.eod_off, self.eod_off + len(TERM) - 1
        for p in self.cseg:
            lo, hi = off, off + len(p["data"]) - 1
            if hi >= first and lo <= last:
                self.eod_frames.append(p["frame"])
                if hi < last and self.cut is None:
                    self.cut = hi - first + 1
            if lo <= last <= hi:
                self.eod_time = p["time"]
                end_frame = p["frame"]
            off = hi + 1
        self.cut = self.cut or 0
        later = [p for p in self.segs if p["sport"] != self.client_port and p["frame"] > end_frame]
        if later:
            self.eod_reply = int(later[0]["data"][:3])
            self.eod_reply_time = later[0]["time"]

    def message_id(self):
        m = re.search(rb"(?im)^message-id:\s*(<[^>\r\n]+>)", self.client)
        return m.group(1).decode() if m else None

    def pipelined(self):
        """MAIL, RCPT and DATA sent in one client segment (RFC 2920)."""
        return any(p["data"].upper().startswith(b"MAIL FROM") and b"\r\nDATA\r\n" in p["data"].upper()
                   for p in self.cseg)

    def summary(self):
        cut = "-" if self.eod_off is None else ("whole" if self.cut == 0 else "cut %d" % self.cut)
        if self.bdat:
            cut = "BDAT (no terminator)"
        return ("banner %s, %s, eod %s frames %s, reply %s, QUIT %s, closed by %s (%s)" % (
            "masked" if self.masked() else "plain", "/".join(self.commands[:3]), cut,
            self.eod_frames or "-", self.eod_reply, "QUIT" in self.commands, self.closer,
            self.close_kind))

    def masked(self):
        return bool(MASKED.match(self.banner)) and self.banner.count(b"*") >= 3


def sessions_of(pcap):
    streams = {}
    for p in read_packets(pcap):
        streams.setdefault(p["stream"], []).append(p)
    return [Session(ps) for _, ps in sorted(streams.items())]


def smtpscope(binary, pcap):
    out = subprocess.run([binary, "--json", "-r", pcap], check=True, capture_output=True,
                         text=True).stdout
    objs = [json.loads(line) for line in out.splitlines() if line.strip()]
    return sorted((o for o in objs if o["type"] == "session"), key=lambda o: o["start"])


# ------------------------------------------------------------------ what each scenario means

def expect(problems, cond, what):
    if not cond:
        problems.append(what)


def flags_match(problems, tag, got, want, deny=None):
    """smtpscope must raise every flag in want, and none of deny (default: every other
    problem flag)."""
    got, want = set(got), set(want)
    deny = PROBLEMS - want if deny is None else set(deny)
    missing, extra = want - got, got & deny
    expect(problems, not missing and not extra,
           "%s: SMTPSCOPE flags %s: missing %s, unexpected %s" % (
               tag, sorted(got), sorted(missing), sorted(extra)))


def common(problems, s, j, i, masked, eod_cut, reply, quit_, flags, deny=None):
    """One session, from packets (s) and from smtpscope (j)."""
    tag = "session %d" % (i + 1)
    expect(problems, s.masked() == masked, "%s: banner masked=%s, want %s" % (tag, s.masked(), masked))
    want_cut = "none" if eod_cut is None else eod_cut
    got_cut = "none" if s.eod_off is None else s.cut
    expect(problems, got_cut == want_cut, "%s: terminator cut %s, want %s" % (tag, got_cut, want_cut))
    if reply != "any":
        expect(problems, s.eod_reply == reply, "%s: reply to end of data %s, want %s" % (
            tag, s.eod_reply, reply))
    expect(problems, ("QUIT" in s.commands) == quit_, "%s: QUIT sent %s, want %s" % (
        tag, "QUIT" in s.commands, quit_))
    flags_match(problems, tag, j["flags"], flags, deny)


def check_clean(side, ss, js, problems):
    expect(problems, len(ss) == 1, "want 1 session, got %d" % len(ss))
    for i, (s, j) in enumerate(zip(ss, js)):
        common(problems, s, j, i, False, 0, 250, True, [])
        expect(problems, not s.pipelined(), "session %d: pipelined, want one by one" % (i + 1))


def check_pipelining(side, ss, js, problems):
    expect(problems, len(ss) == 2, "want 2 sessions (Postfix, swaks --pipeline), got %d" % len(ss))
    for i, (s, j) in enumerate(zip(ss, js)):
        common(problems, s, j, i, False, 0, 250, True, [])
        expect(problems, s.pipelined(), "session %d: MAIL/RCPT/DATA not in one segment" % (i + 1))


def check_bdat(side, ss, js, problems):
    expect(problems, len(ss) == 1, "want 1 session, got %d" % len(ss))
    for i, (s, j) in enumerate(zip(ss, js)):
        common(problems, s, j, i, False, None, None, True, [])
        expect(problems, s.bdat and "DATA" not in s.commands, "message not sent with BDAT only")
        expect(problems, re.search(rb"\r\n250 [^\r]* bytes queued", s.server) is not None,
               "no 250 to BDAT LAST in the server's bytes")
        bdat = [t for t in j["transactions"] if t["eod"] and t["eod"]["bdat"]]
        expect(problems, len(bdat) == 1 and bdat[0]["eod"]["reply"] == 250,
               "smtpscope: no BDAT end of data acknowledged with 250")


def check_starttls(side, ss, js, problems):
    expect(problems, len(ss) == 1, "want 1 session, got %d" % len(ss))
    for i, (s, j) in enumerate(zip(ss, js)):
        expect(problems, s.tls, "STARTTLS not accepted in clear")
        expect(problems, j["tls"] and j["flags"] == [], "smtpscope: tls %s flags %s" % (
            j["tls"], j["flags"]))


def steady(problems, ss, n):
    """n attempts of one message at a steady interval."""
    ids = {s.message_id() for s in ss}
    expect(problems, len(ss) == n, "want %d attempts, got %d" % (n, len(ss)))
    expect(problems, len(ids) == 1 and None not in ids, "Message-IDs differ: %s" % ids)
    gaps = [b.start - a.start for a, b in zip(ss, ss[1:])]
    if gaps:
        expect(problems, max(gaps) - min(gaps) < 3.0, "intervals not steady: %s" % gaps)
    return gaps


def check_mailguard_retry(side, ss, js, problems):
    gaps = steady(problems, ss, 3)
    print("    retry intervals: %s s" % ", ".join("%.1f" % g for g in gaps))
    for i, (s, j) in enumerate(zip(ss, js)):
        if side == "sender-side":
            # Postfix's PIX workaround: HELO, not EHLO; "." CR LF alone a second later.
            common(problems, s, j, i, True, 2, None, False, [SPLIT, NOQUIT, MASK, INSPECT, GAVE_UP])
            expect(problems, s.commands[:1] == ["HELO"], "session %d: not HELO first" % (i + 1))
            expect(problems, s.closer == "client" and s.close_kind == "fin",
                   "session %d: not closed by the client's FIN" % (i + 1))
            waited = s.close_time - s.eod_time
            expect(problems, 9.5 < waited < 12, "session %d: client waited %.1f s, want 10" % (
                i + 1, waited))
        else:
            # The receiver never sees the end of data: the dropped ".\r\n" never arrives.
            common(problems, s, j, i, False, None, None, False, [NOQUIT])
            expect(problems, all(t["eod"] is None for t in j["transactions"]),
                   "session %d: smtpscope saw an end of data" % (i + 1))


def check_mailguard_pix_default(side, ss, js, problems):
    expect(problems, len(ss) == 1, "want 1 session, got %d" % len(ss))
    for i, (s, j) in enumerate(zip(ss, js)):
        masked = side == "sender-side"
        common(problems, s, j, i, masked, 0, 250, True, [MASK, INSPECT] if masked else [])
        expect(problems, s.commands[:1] == ["HELO"], "not HELO first")


def check_mailguard_swaks(side, ss, js, problems):
    expect(problems, len(ss) == 1, "want 1 session, got %d" % len(ss))
    for i, (s, j) in enumerate(zip(ss, js)):
        if side == "sender-side":
            common(problems, s, j, i, True, 0, 250, True,
                   [MASK, INSPECT, "ehlo_refused", "command_masked"])
            expect(problems, s.commands[:2] == ["EHLO", "HELO"] and j["ehlo_reply"] == 500,
                   "EHLO not refused with 500 then HELO: %s %s" % (s.commands, j["ehlo_reply"]))
        else:
            common(problems, s, j, i, False, 0, 250, True, [])
            expect(problems, "EHLO" not in s.commands, "EHLO reached the server")


def check_mailguard_splitsend(side, ss, js, problems):
    expect(problems, len(ss) == 4, "want 4 sessions (cuts 1..4), got %d" % len(ss))
    for i, (s, j) in enumerate(zip(ss, js)):
        if side == "sender-side":
            common(problems, s, j, i, True, i + 1, None, False, [SPLIT, NOQUIT, MASK, INSPECT, GAVE_UP])
            expect(problems, s.closer == "client", "session %d: not closed by client" % (i + 1))
            cuts = [t["eod"]["cut"] for t in j["transactions"] if t["eod"]]
            expect(problems, len(cuts) == 1 and cuts[0].count("|") == 1,
                   "session %d: smtpscope cut %s" % (i + 1, cuts))
        else:
            common(problems, s, j, i, False, None, None, False, [NOQUIT])


def check_slow_server(side, ss, js, problems):
    steady(problems, ss, 2)
    for i, (s, j) in enumerate(zip(ss, js)):
        # The client gives up 10 s after end of data, without QUIT; the 250 comes 15 s after
        # end of data, when the client is gone.
        # Certain duplicates: smtpscope must say the client gave up and the reply came late.
        common(problems, s, j, i, False, 0, "any", False, [NOQUIT, GAVE_UP, LATE])
        expect(problems, s.closer == "client" and 9.5 < s.close_time - s.eod_time < 12,
               "session %d: the client did not give up 10 s after end of data" % (i + 1))
        if side == "receiver-side":
            expect(problems, s.eod_reply == 250 and s.eod_reply_time - s.eod_time > 14,
                   "session %d: no late 250 from the slow server" % (i + 1))


def check_no_quit(side, ss, js, problems):
    expect(problems, len(ss) == 2, "want 2 sessions (FIN, RST), got %d" % len(ss))
    for i, (s, j) in enumerate(zip(ss, js)):
        # A RST right after the 250 is also rst_after_eod.
        common(problems, s, j, i, False, 0, 250, False, [NOQUIT] + (["rst_after_eod"] if i else []))
        want = "fin" if i == 0 else "rst"
        expect(problems, s.closer == "client" and s.close_kind == want,
               "session %d: closed by %s %s, want client %s" % (i + 1, s.closer, s.close_kind, want))


def check_lossy_path(side, ss, js, problems):
    expect(problems, len(ss) == 1, "want 1 session, got %d" % len(ss))
    # Only the receiver side (fw-in) carries both copies; the sender side is clean.
    lossy = ["eod_retransmitted", "eod_reply_retransmitted"] if side == "receiver-side" else []
    for i, (s, j) in enumerate(zip(ss, js)):
        # This packet parser pairs replies by position and is thrown by the second copy of
        # the end of data: the reply code is taken from smtpscope, the copies from tshark.
        common(problems, s, j, i, False, 0, "any" if lossy else 250, True, lossy)
        if side == "receiver-side":
            eod = j["transactions"][0]["eod"]
            expect(problems, eod and eod["reply"] == 250, "session %d: end of data not "
                   "answered 250 after the retransmissions" % (i + 1))
            expect(problems, j["tcp"]["eod_retransmissions"] >= 1
                   and j["tcp"]["reply_retransmissions"] >= 1,
                   "session %d: retransmissions not both seen" % (i + 1))


def check_asa_rewrite(side, ss, js, problems):
    expect(problems, len(ss) == 1, "want 1 session, got %d" % len(ss))
    for i, (s, j) in enumerate(zip(ss, js)):
        first = s.client.split(b"\r\n", 1)[0]
        # The reply to the first command is Postfix's own, passed through: not the relay's.
        reply = (s.server.split(b"\r\n") + [b""])[1]
        expect(problems, reply.startswith(b"500 5.5.2 Error: command not recognized"),
               "session %d: first command answered %r, want Postfix's 500 5.5.2" % (i + 1, reply))
        if side == "sender-side":
            # Outside: EHLO as swaks sent it, refused (by the server), then HELO.
            common(problems, s, j, i, True, 0, 250, True, [MASK, INSPECT, "ehlo_refused"])
            expect(problems, first == b"EHLO swaks.client.example.test"
                   and s.commands[:2] == ["EHLO", "HELO"] and j["ehlo_reply"] == 500,
                   "session %d: not EHLO refused with 500 then HELO: %r %s %s" % (
                       i + 1, first, s.commands[:2], j["ehlo_reply"]))
        else:
            # Inside: the same line with its verb overwritten, and no EHLO at all.
            common(problems, s, j, i, False, 0, 250, True, [])
            expect(problems, first == b"XXXX swaks.client.example.test"
                   and s.commands[:2] == ["XXXX", "HELO"] and "EHLO" not in s.commands,
                   "session %d: not XXXX then HELO: %r %s" % (i + 1, first, s.commands))


def check_relay_reset(side, ss, js, problems):
    expect(problems, len(ss) == 1, "want 1 session, got %d" % len(ss))
    for i, (s, j) in enumerate(zip(ss, js)):
        resets = [p for p in s.packets if p["rst"]]
        fins = [p for p in s.packets if p["fin"]]
        if side == "sender-side":
            # Outside: the terminator cut CRLF|.CRLF, then a RST from the relay's outside
            # address that the server never sent; no reply, no QUIT.
            common(problems, s, j, i, False, 2, None, False, [SPLIT, NOQUIT, "rst_after_eod"])
            want_src, closer = FW_OUT, "server"
            expect(problems, resets and s.eod_time is not None
                   and 0 <= resets[0]["time"] - s.eod_time < 1,
                   "session %d: no RST within 1 s of the terminator's second part" % (i + 1))
        else:
            # Inside: the body without its end, then a RST from the relay's inside address that
            # the client never sent.
            common(problems, s, j, i, False, None, None, False, [NOQUIT])
            want_src, closer = FW_IN, "client"
            expect(problems, s.client.endswith(b"\r\n") and s.commands[-1:] == ["DATA"],
                   "session %d: not cut off inside the message" % (i + 1))
        expect(problems, len(resets) == 1 and resets[0]["src"] == want_src and not fins
               and s.closer == closer and s.close_kind == "rst",
               "session %d: want one RST from %s and no FIN, got RST from %s, %d FIN" % (
                   i + 1, want_src, [p["src"] for p in resets], len(fins)))


def check_log(name, directory, problems):
    """What the MTAs logged: the duplicates of the slow server, the retries of Postfix."""
    path = os.path.join(directory, name + ".log")
    text = open(path).read() if os.path.exists(path) else ""
    if name == "slow-server":
        n = len(re.findall(r"rx: .*message-id=<lab-slow-server@", text))
        expect(problems, n == 2, "receiving Postfix queued %d copies, want 2 (duplicates)" % n)
    if name == "mailguard-retry":
        n = len(re.findall(r"tx: .*status=deferred .*timed out", text))
        expect(problems, n == 3, "sending Postfix deferred %d times after a timeout, want 3" % n)
        expect(problems, "enabling PIX workarounds" in text, "Postfix did not enable PIX workarounds")
        n = len(re.findall(r"dropped the last 3 bytes", text))
        expect(problems, n == 3, "relay dropped %d terminators, want 3" % n)
    if name == "asa-rewrite":
        expect(problems, 'rewrote "EHLO swaks.client.example.test" as "XXXX swaks.client.example'
               '.test"' in text, "the relay did not log the rewrite")
        expect(problems, re.search(r"rx: .*disconnect from .* unknown=0/1", text) is not None,
               "the receiving Postfix did not count one unknown command")
    if name == "relay-reset":
        expect(problems, "CRLF|.CRLF (reads 5 and 6): reset both connections" in text,
               "the relay did not log the reset")
        expect(problems, re.search(r"rx: .*lost connection after DATA", text) is not None,
               "the receiving Postfix did not lose the connection after DATA")


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "pcaps/lab"
    binary = sys.argv[2] if len(sys.argv) > 2 else "build/smtpscope"
    failed = checked = mismatch = 0
    names = sorted({f.split(".")[0] for f in os.listdir(directory) if f.endswith(".pcap")})
    for name in names:
        problems = []
        check_log(name, directory, problems)
        for side in ("sender-side", "receiver-side"):
            pcap = os.path.join(directory, "%s.%s.pcap" % (name, side))
            check = globals().get("check_" + name.replace("-", "_"))
            if check is None:
                problems.append("no check for scenario " + name)
                continue
            ss, js = sessions_of(pcap), smtpscope(binary, pcap)
            expect(problems, len(ss) == len(js), "%s: %d TCP sessions, smtpscope %d" % (
                side, len(ss), len(js)))
            print("%s.%s:" % (name, side))
            for s, j in zip(ss, js):
                print("    %s; smtpscope: %s" % (s.summary(), " ".join(j["flags"]) or "no flags"))
            before = len(problems)
            check(side, ss, js, problems)
            problems[before:] = ["%s: %s" % (side, p) for p in problems[before:]]
            checked += 1
        for p in problems:
            print("  FAIL %s: %s" % (name, p))
        failed += bool(problems)
        mismatch += any("SMTPSCOPE" in p for p in problems)
    # A capture that is not what its scenario means is a broken lab; smtpscope disagreeing
    # with a capture that is right is a finding about smtpscope. Both fail the check.
    print("lab: %d captures checked, %d scenarios failed (%d of them: smtpscope's flags)" % (
        checked, failed, mismatch))
    return 1 if failed or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
