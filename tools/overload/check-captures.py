#!/usr/bin/env python3
"""Checks the overload captures in pcaps/real/ (made by tools/make-overload-captures.sh).

    check-captures.py DIR [NAME...]      (default: every capture below that exists in DIR)

Each file is read with tshark (TCP fields and payload bytes only: tshark's SMTP dissector is
not trusted, see pcaps/real/README.md). For every TCP connection it prints what the README
quotes: the frames of the handshake, the greeting and its delay, each SMTP reply line, the
SIZE= and RCPT a client sent, the Message-Id and Received: count of each message, and how
the connection ended. Then it checks that the file shows what its scenario is meant to show
and prints "ok NAME" or "FAIL NAME: why". Exits 1 if any check failed.
"""
import os
import re
import subprocess
import sys

FIELDS = ["frame.number", "frame.time_relative", "tcp.stream", "ip.src", "tcp.srcport",
          "ip.dst", "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin",
          "tcp.flags.reset", "tcp.seq", "tcp.payload"]
RELAY = "10.201.0.30"
MX = "10.201.0.25"


class Conn:
    """One TCP connection (one tshark tcp.stream), seen from its first SYN."""

    def __init__(self, num):
        self.num = num
        self.client = self.server = None
        self.syns = []            # frames of the client's SYNs (retransmissions included)
        self.syn_times = []
        self.synack = None        # frame of the server's SYN/ACK
        self.est = None           # (frame, time) of the client's ACK that completes the handshake
        self.rst_to_syn = []      # frames of RSTs the server sent instead of a SYN/ACK
        self.fins = []            # (frame, "client"|"server")
        self.rsts = []            # (frame, "client"|"server") after the handshake
        self.lines = {"client": [], "server": []}  # (frame, time, line)
        self.partial = {"client": b"", "server": b""}
        self.next_seq = {"client": None, "server": None}
        self.first_time = None

    def side(self, src):
        return "client" if src == self.client else "server"

    def add(self, p):
        frame, t = int(p["frame.number"]), float(p["frame.time_relative"])
        src = f'{p["ip.src"]}:{p["tcp.srcport"]}'
        dst = f'{p["ip.dst"]}:{p["tcp.dstport"]}'
        syn, ack = p["tcp.flags.syn"] in ("1", "True"), p["tcp.flags.ack"] in ("1", "True")
        fin, rst = p["tcp.flags.fin"] in ("1", "True"), p["tcp.flags.reset"] in ("1", "True")
        if self.client is None:
            self.client, self.server, self.first_time = src, dst, t
        who = self.side(src)
        if syn and not ack:
            self.syns.append(frame)
            self.syn_times.append(t)
        elif syn and ack:
            self.synack = frame
        elif rst and self.synack is None:
            self.rst_to_syn.append(frame)
        elif self.est is None and who == "client" and self.synack is not None:
            self.est = (frame, t)
        if fin:
            self.fins.append((frame, who))
        if rst and self.synack is not None:
            self.rsts.append((frame, who))
        data = bytes.fromhex(p["tcp.payload"].replace(":", "")) if p["tcp.payload"] else b""
        if data:
            seq = int(p["tcp.seq"])
            expect = self.next_seq[who]
            if expect is not None and seq < expect:  # a retransmission: already counted
                data = data[expect - seq:]
                seq = expect
            self.next_seq[who] = seq + len(data)
            buf = self.partial[who] + data
            *done, rest = buf.split(b"\r\n")
            for line in done:
                self.lines[who].append((frame, t, line.decode("latin-1")))
            self.partial[who] = rest

    # ------------------------------------------------------------ what the session shows

    def replies(self):
        return self.lines["server"]

    def complete_replies(self):
        """(frame, time, line) of the last line of each server reply, in order."""
        return [r for r in self.replies() if re.match(r"^\d{3}( |$)", r[2])]

    def reply_to(self, frame, line):
        """The reply to the client command LINE sent in FRAME: replies come in the order of
        the commands (also when pipelined), the first one is the greeting."""
        cmds = [(f, x) for f, _, x in self.commands()]
        i = cmds.index((frame, line))
        rs = self.complete_replies()
        return rs[i + 1] if i + 1 < len(rs) else None

    def commands(self):
        """(frame, time, line) of the client's commands, without the message itself."""
        out, in_data = [], False
        for f, t, line in self.lines["client"]:
            if in_data:
                if line == ".":
                    in_data = False
                    out.append((f, t, "."))
                continue
            out.append((f, t, line))
            if line.upper() == "DATA":
                in_data = True
        return out

    def message_headers(self):
        """The header lines of the message sent after DATA (unfolded), or []."""
        heads, state = [], "cmd"
        for _, _, line in self.lines["client"]:
            if state == "cmd" and line.upper() == "DATA":
                state = "head"
            elif state == "head":
                if line == "":
                    break
                if line[:1] in (" ", "\t") and heads:
                    heads[-1] += line
                else:
                    heads.append(line)
        return heads

    def message_id(self):
        for h in self.message_headers():
            m = re.match(r"(?i)message-id:\s*(<[^>]*>)", h)
            if m:
                return m.group(1)
        return None

    def received(self):
        return sum(1 for h in self.message_headers() if h.lower().startswith("received:"))

    def eod(self):
        """(frame of the '.', reply) or None."""
        for f, _, line in self.commands():
            if line == ".":
                return f, self.reply_to(f, line)
        return None

    def banner(self):
        rs = self.replies()
        return rs[0] if rs else None

    def accepted(self):
        e = self.eod()
        return bool(e and e[1] and e[1][2].startswith("250"))

    def describe(self):
        out = [f"  connection {self.num}: {self.client} -> {self.server}, SYN frames "
               f"{','.join(map(str, self.syns))}"]
        if self.synack is None:
            what = (f"RST frames {','.join(map(str, self.rst_to_syn))}" if self.rst_to_syn
                    else "no SYN/ACK, no RST")
            out.append(f"    {what}; SYNs at t=" + ", ".join(f"{t:.3f}" for t in self.syn_times))
            return out
        out.append(f"    SYN/ACK frame {self.synack}, handshake done frame {self.est[0]} "
                   f"(t={self.est[1]:.3f})")
        b = self.banner()
        if b:
            out.append(f"    greeting frame {b[0]} (t={b[1]:.3f}, {b[1] - self.est[1]:.3f} s after "
                       f"the handshake): {b[2]}")
        for f, t, line in self.commands():
            if re.match(r"(?i)(MAIL|RCPT|DATA|QUIT|RSET|\.$)", line):
                r = self.reply_to(f, line)
                rtxt = f" -> frame {r[0]} (+{r[1] - t:.3f} s): {r[2]}" if r else " -> no reply"
                out.append(f"    frame {f}: {line}{rtxt}")
        if self.message_id():
            out.append(f"    message {self.message_id()}, Received: headers {self.received()}")
        ends = [f"FIN by {w} frame {f}" for f, w in self.fins]
        ends += [f"RST by {w} frame {f}" for f, w in self.rsts]
        out.append(f"    end: {', '.join(ends) or 'still open'}")
        return out

    def syn_span(self):
        return self.syn_times[-1] - self.syn_times[0] if self.syn_times else 0.0


def read(path):
    cmd = ["tshark", "-n", "-r", path, "-o", "tcp.relative_sequence_numbers:TRUE",
           "-o", "tcp.analyze_sequence_numbers:FALSE", "-T", "fields", "-E", "separator=\t"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    conns = {}
    for row in out.splitlines():
        p = dict(zip(FIELDS, row.split("\t")))
        if not p.get("tcp.stream"):
            continue
        c = conns.setdefault(p["tcp.stream"], Conn(len(conns) + 1))
        c.add(p)
    return sorted(conns.values(), key=lambda c: c.num)


# ---------------------------------------------------------------- the scenarios

def host(addr):
    return addr.rsplit(":", 1)[0]


def check_busy_421(cs):
    busy = [c for c in cs if c.banner() and c.banner()[2].startswith("421 4.7.0")
            and "too many connections" in c.banner()[2]]
    ok = [c for c in cs if c.accepted()]
    assert len(cs) >= 3, f"{len(cs)} connections"
    assert busy, "no 421 4.7.0 ... too many connections greeting"
    assert ok, "no message accepted"
    slow = [c for c in ok if c.eod()[1][1] - [f for f in c.commands() if f[2] == "."][0][1] >= 2.5]
    assert slow, "no end-of-data reply 2.5 s or more after the terminator"
    return f"{len(cs)} connections, {len(busy)} greeted with 421, {len(ok)} accepted"


def check_size_declared(cs):
    assert len(cs) == 1, f"{len(cs)} connections"
    c = cs[0]
    mails = [x for x in c.commands() if re.match(r"(?i)MAIL FROM:.*\bSIZE=\d+", x[2])]
    assert mails, "no MAIL FROM with SIZE="
    r = c.reply_to(mails[0][0], mails[0][2])
    assert r and r[2].startswith("552 5.3.4"), f"reply to MAIL FROM: {r}"
    assert not c.eod(), "the message was sent anyway"
    return f"{mails[0][2]} -> {r[2]}"


def check_size_resent(cs):
    assert len(cs) == 2, f"{len(cs)} connections"
    for c in cs:
        e = c.eod()
        assert e and e[1] and e[1][2].startswith("552 5.3.4"), f"end-of-data reply {e}"
        assert not any(re.search(r"(?i)\bSIZE=", x[2]) for x in c.commands() if
                       x[2].upper().startswith("MAIL")), "SIZE= declared"
    assert cs[0].message_id() == cs[1].message_id() is not None, "not the same Message-Id"
    return f"2 sessions, both 552 5.3.4 at end of data, Message-Id {cs[0].message_id()}"


def check_slow_banner(cs):
    assert len(cs) == 1, f"{len(cs)} connections"
    c = cs[0]
    b = c.banner()
    assert b and b[2].startswith("220 "), f"greeting {b}"
    delay = b[1] - c.est[1]
    assert delay > 30, f"greeting after {delay:.3f} s"
    assert c.accepted(), "message not accepted"
    return f"220 after {delay:.3f} s, message accepted"


def check_slow_banner_gave_up(cs):
    assert len(cs) == 1, f"{len(cs)} connections"
    c = cs[0]
    b = c.banner()
    assert b and b[2].startswith("220 ") and b[1] - c.est[1] > 30, f"greeting {b}"
    first = c.commands()[0] if c.commands() else None
    assert first and first[0] < b[0], "the client sent nothing before the greeting"
    assert first[1] - c.est[1] < b[1] - c.est[1], "the client did not give up first"
    assert not c.eod(), "a message was sent"
    return (f"client gave up: {first[2]} frame {first[0]} after {first[1] - c.est[1]:.3f} s; "
            f"220 frame {b[0]} after {b[1] - c.est[1]:.3f} s")


def check_refused(cs):
    assert len(cs) >= 2, f"{len(cs)} connections"
    for c in cs:
        assert c.synack is None and c.rst_to_syn, f"connection {c.num} not refused by RST"
    return f"{len(cs)} connection attempts, each SYN answered by RST"


def check_no_synack(cs):
    assert len(cs) == 1, f"{len(cs)} connections"
    c = cs[0]
    assert c.synack is None and not c.rst_to_syn, "answered"
    assert len(c.syns) >= 3, f"{len(c.syns)} SYNs"
    return f"{len(c.syns)} SYNs over {c.syn_span():.3f} s, no answer"


def message_sessions(cs):
    return sorted((c for c in cs if c.message_id()), key=lambda c: c.est[1])


def check_mail_loop(cs):
    ms = message_sessions(cs)
    ids = {c.message_id() for c in ms}
    assert len(ids) == 1, f"Message-Ids {ids}"
    hops = [c for c in ms if {host(c.client), host(c.server)} == {RELAY, MX}]
    assert len(hops) >= 4, f"{len(hops)} transfers between relay and server"
    dirs = {(host(c.client), host(c.server)) for c in hops}
    assert len(dirs) == 2, "not both directions"
    rec = [c.received() for c in ms]
    assert rec == sorted(rec) and len(set(rec)) == len(rec), f"Received: counts {rec}"
    acc = [c.accepted() for c in ms]
    return (f"{len(ms)} sessions ({len(hops)} between relay and server), Received: {rec}, "
            f"accepted {acc}")


def check_relay_path(cs):
    ms = message_sessions(cs)
    assert len(ms) == 2, f"{len(ms)} sessions with a message"
    a, b = ms
    assert a.message_id() == b.message_id(), "not the same Message-Id"
    assert host(b.client) == host(a.server), "second client is not the first server"
    assert b.received() == a.received() + 1, f"Received: {a.received()} then {b.received()}"
    assert a.accepted() and b.accepted(), "not both accepted"
    return f"{a.client} -> {a.server} then {b.client} -> {b.server}, Received: {a.received()}, {b.received()}"


def check_fanout(cs):
    ms = message_sessions(cs)
    assert len(ms) == 3, f"{len(ms)} sessions with a message"
    assert len({c.message_id() for c in ms}) == 1, "not the same Message-Id"
    rcpts = [[x[2] for x in c.commands() if x[2].upper().startswith("RCPT")] for c in ms]
    assert all(len(r) == 1 for r in rcpts) and len({r[0] for r in rcpts}) == 3, f"RCPTs {rcpts}"
    assert all(c.accepted() for c in ms), "not all accepted"
    return f"3 sessions, RCPTs {[r[0] for r in rcpts]}, all accepted"


CHECKS = {
    "busy-421": check_busy_421,
    "size-declared": check_size_declared,
    "size-resent": check_size_resent,
    "slow-banner": check_slow_banner,
    "slow-banner-gave-up": check_slow_banner_gave_up,
    "refused": check_refused,
    "no-synack": check_no_synack,
    "mail-loop": check_mail_loop,
    "relay-path": check_relay_path,
    "fanout": check_fanout,
}


def main():
    d = sys.argv[1]
    names = sys.argv[2:] or [n for n in CHECKS if os.path.exists(f"{d}/{n}.pcap")]
    failed = 0
    for name in names:
        path = f"{d}/{name}.pcap"
        cs = read(path)
        npk = sum(1 for _ in subprocess.run(["tshark", "-n", "-r", path], capture_output=True,
                                            text=True, check=True).stdout.splitlines())
        print(f"{name}.pcap: {npk} packets, {os.path.getsize(path)} bytes, {len(cs)} TCP connections")
        for c in cs:
            print("\n".join(c.describe()))
        try:
            print(f"ok {name}: {CHECKS[name](cs)}")
        except AssertionError as e:
            print(f"FAIL {name}: {e}")
            failed = 1
    return failed


if __name__ == "__main__":
    sys.exit(main())
