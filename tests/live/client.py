#!/usr/bin/env python3
"""SMTP clients for tests/live-e2e.sh. Each scenario prints one JSON line to standard output
(scenario, client and server address as smtpscope prints them, what happened) and exits 0 when
the server behaved as the scenario expects, 1 otherwise.

  clean HOST    one message with smtplib, then QUIT (HOST an IPv4 or IPv6 address)
  split HOST    raw socket with TCP_NODELAY: the message to a recipient the server never
                answers, its terminator cut CRLF|.CRLF: the body and its CRLF in one segment,
                ".CRLF" 200 ms later in another; waits 1.5 s for a reply, closes without QUIT
  open HOST     connects, EHLO, prints its line, then stays open (--hold seconds at most)
  --for SECS    the scenario again and again, for SECS (traffic for the rotation checks)
Usage: client.py SCENARIO HOST [--port N] [--hold SECS] [--for SECS] [--message-id ID]
--message-id gives the message that Message-ID (a retry of one message keeps it)."""
import argparse
import json
import smtplib
import socket
import sys
import time

HELO = "client.live.test"


def addr(sockaddr):
    host, port = sockaddr[0], sockaddr[1]
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


MESSAGE_ID = None


def message(tag):
    mid = MESSAGE_ID or "<%s.%d@client.live.test>" % (tag, int(time.time() * 1000))
    return (
        "From: <alice@client.live.test>\r\n"
        "To: <bob@mx.live.test>\r\n"
        "Subject: smtpscope live test (%s)\r\n"
        "Message-ID: %s\r\n"
        "\r\n"
        "This message was sent by tests/live/client.py, scenario %s.\r\n"
        "A second line of body." % (tag, mid, tag)
    )


def report(**kw):
    print(json.dumps(kw), flush=True)


def clean(host, port, _hold):
    s = smtplib.SMTP(timeout=5, local_hostname=HELO)
    s.connect(host, port)
    local, peer = addr(s.sock.getsockname()), addr(s.sock.getpeername())
    msg = message("clean6" if ":" in host else "clean4")
    refused = s.sendmail("<alice@client.live.test>", ["<bob@mx.live.test>"], msg)
    code, _ = s.quit()
    mid = [l for l in msg.split("\r\n") if l.startswith("Message-ID:")][0].split(" ", 1)[1]
    report(scenario="clean", client=local, server=peer, message_id=mid, refused=refused,
           quit_reply=code)
    return code == 221 and not refused


class Raw:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def reply(self):
        """One reply, multi-line replies whole; returns its code."""
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(4096)
                if not chunk:
                    raise EOFError("the server closed the connection")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3])

    def cmd(self, line, want):
        self.sock.sendall(line.encode() + b"\r\n")
        code = self.reply()
        if code != want:
            raise RuntimeError("%s: %d, wanted %d" % (line, code, want))

    def names(self):
        return addr(self.sock.getsockname()), addr(self.sock.getpeername())


def split(host, port, _hold):
    c = Raw(host, port)
    local, peer = c.names()
    if c.reply() != 220:
        raise RuntimeError("no 220 greeting")
    c.cmd("EHLO " + HELO, 250)
    c.cmd("MAIL FROM:<alice@client.live.test>", 250)
    c.cmd("RCPT TO:<blackhole@mx.live.test>", 250)
    c.cmd("DATA", 354)
    c.sock.sendall(message("split").encode() + b"\r\n")
    time.sleep(0.2)
    c.sock.sendall(b".\r\n")
    c.sock.settimeout(1.5)
    got = None
    try:
        got = c.sock.recv(4096).decode("latin-1") or None
    except socket.timeout:
        pass
    c.sock.close()
    report(scenario="split", client=local, server=peer, reply=got)
    return got is None


def hold_open(host, port, hold):
    c = Raw(host, port)
    local, peer = c.names()
    if c.reply() != 220:
        raise RuntimeError("no 220 greeting")
    c.cmd("EHLO " + HELO, 250)
    report(scenario="open", client=local, server=peer)
    time.sleep(hold)
    c.sock.close()
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=["clean", "split", "open"])
    ap.add_argument("host")
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--hold", type=float, default=30)
    ap.add_argument("--message-id")
    ap.add_argument("--for", dest="duration", type=float, default=0)
    a = ap.parse_args()
    global MESSAGE_ID
    MESSAGE_ID = a.message_id
    fn = {"clean": clean, "split": split, "open": hold_open}[a.scenario]
    end = time.monotonic() + a.duration
    try:
        ok = fn(a.host, a.port, a.hold)
        while ok and time.monotonic() < end:
            ok = fn(a.host, a.port, a.hold)
    except Exception as e:  # noqa: BLE001 - any failure is reported the same way
        print("client %s %s: %s: %s" % (a.scenario, a.host, type(e).__name__, e), file=sys.stderr)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
