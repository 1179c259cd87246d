#!/usr/bin/env python3
"""Tests of build/mailguard against a scripted SMTP server, on 127.0.0.1 only, no root.

Usage: tools/mailguard/test-mailguard.py [BINARY]   (default build/mailguard; `make mailguard-test`)

Each case starts the relay with some switches in front of a one-connection fake server that
answers from a script, sends the client's writes one at a time, and compares what the server
received and what the client received. After each write the case waits until the traffic has
settled (every byte read by the program it was sent to, the client's own inbox aside), so each
write is one read for the relay and the server's replies have come back before the next one,
however loaded the machine.
"""
import errno
import os
import socket
import subprocess
import sys
import threading
import time

SETTLE_LIMIT = 30  # seconds a write may take to settle before the case goes on regardless

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/mailguard"
REFUSAL = b'500 5.5.1 Command unrecognized: "XXXX"\r\n'


class FakeServer(threading.Thread):
    """Accepts one connection, sends the banner, answers each complete client line or chunk
    as told by answer(received_so_far), and records every byte it received and how the
    connection ended (ended: "fin", "reset" or "timeout")."""

    def __init__(self, banner, answer):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.banner, self.answer, self.received = banner, answer, b""
        self.ended = None

    def run(self):
        conn, _ = self.sock.accept()
        conn.settimeout(5)
        conn.sendall(self.banner)
        answered = 0
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    self.ended = "fin"
                    break
                self.received += data
                replies, answered = self.answer(self.received, answered)
                if replies:
                    conn.sendall(replies)
        except socket.timeout:
            self.ended = "timeout"
        except ConnectionResetError:
            self.ended = "reset"
        conn.close()


def line_answers(received, answered):
    """250 to every complete line not yet answered, 354 to DATA; nothing inside DATA."""
    lines = received.split(b"\r\n")[:-1]
    out = b""
    for line in lines[answered:]:
        out += b"354 go ahead\r\n" if line.upper() == b"DATA" else b"250 ok\r\n"
    return out, len(lines)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tcp_queues():
    """(local port, remote port, unacknowledged bytes, unread bytes) of every IPv4 TCP socket."""
    out = []
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            tx, rx = (int(x, 16) for x in fields[4].split(":"))
            out.append((int(fields[1].split(":")[1], 16), int(fields[2].split(":")[1], 16), tx, rx))
    return out


def settled(ports, client_end):
    """True when no socket of the case's connections (ports: the relay's and the server's)
    holds bytes not yet acknowledged or not yet read, except replies waiting for the client,
    which reads only at the end."""
    for local, remote, tx, rx in tcp_queues():
        if local not in ports and remote not in ports:
            continue
        if (local, remote) == client_end:
            rx = 0
        if tx or rx:
            return False
    return True


def settle(ports, client_end, wait):
    """Waits at least WAIT seconds, then until the traffic is settled in two readings 50 ms apart."""
    time.sleep(wait)
    deadline = time.monotonic() + SETTLE_LIMIT
    while time.monotonic() < deadline:
        if settled(ports, client_end):
            time.sleep(0.05)
            if settled(ports, client_end):
                return
        time.sleep(0.02)


def client_finish(client, ends):
    """Half-closes the client and reads all it was sent; ends["client"] says how that went:
    "fin", or the errors met on the way ("shutdown ENOTCONN", "reset")."""
    got, how = b"", []
    try:
        client.shutdown(socket.SHUT_WR)
    except OSError as e:
        how.append("shutdown " + errno.errorcode.get(e.errno, str(e.errno)))
    client.settimeout(5)
    while True:
        try:
            data = client.recv(65536)
        except ConnectionResetError:
            how.append("reset")
            break
        if not data:
            how.append("fin")
            break
        got += data
    ends["client"] = ", ".join(how)
    return got


def run_case(switches, banner, writes, answer=line_answers, wait=0.3, ends=None):
    """Returns what the server received, what the client received and the relay's log; ends,
    if given, is filled with how each end's connection ended (see client_finish, FakeServer)."""
    ends = {} if ends is None else ends
    server = FakeServer(banner, answer)
    server.start()
    port = free_port()
    relay = subprocess.Popen([BIN, "--listen", "127.0.0.1:%d" % port, "--connect",
                              "127.0.0.1:%d" % server.port, "--idle-timeout", "5"] + switches,
                             stderr=subprocess.PIPE)
    try:
        for _ in range(50):
            try:
                client = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except ConnectionRefusedError:
                time.sleep(0.05)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ports = (port, server.port)
        client_end = (client.getsockname()[1], port)
        settle(ports, client_end, wait)
        for w in writes:
            client.sendall(w)
            settle(ports, client_end, wait)
        got = client_finish(client, ends)
        client.close()
        server.join(6)
        ends["server"] = server.ended
    finally:
        relay.terminate()
        log = relay.communicate(timeout=5)[1].decode()
    return server.received, got, log


FAILED = []
PASSED = []


def check(name, cond, detail):
    print("%s %s" % ("ok  " if cond else "FAIL", name))
    if not cond:
        print("     " + detail)
        FAILED.append(name)
    else:
        PASSED.append(name)


def main():
    # Greeting masked byte for byte, a multi-line one too ("220-" parsed before masking).
    banner = b"220-mx.example.test 2020 ESMTP\r\n220 ready\r\n"
    _, got, _ = run_case(["--mask-banner"], banner, [b"QUIT\r\n"])
    want = b"220*" + b"*" * len(b"mx.example.test") + b" 2020 *****\r\n220 *****\r\n250 ok\r\n"
    check("mask-banner: multi-line greeting masked, length kept", got == want, repr(got))

    # Pipelined: NOOP, EHLO, NOOP in one write: the relay's 500 comes between the server's 250s.
    srv, got, _ = run_case(["--refuse-esmtp"], b"220 mx\r\n", [b"NOOP\r\nEHLO c\r\nNOOP\r\n"])
    check("refuse-esmtp: EHLO never reaches the server", srv == b"NOOP\r\nNOOP\r\n", repr(srv))
    check("refuse-esmtp: replies stay in command order",
          got == b"220 mx\r\n250 ok\r\n" + REFUSAL + b"250 ok\r\n", repr(got))

    # --rewrite-esmtp (ASA): EHLO reaches the server as XXXX, the server's 502 reaches the
    # client; minimal commands pass as they are, pipelined ones keep their order.
    def rewrite_answers(received, answered):
        lines = received.split(b"\r\n")[:-1]
        return b"".join(b"502 5.5.2 Error: command not recognized\r\n" if l.startswith(b"X")
                        else b"250 ok\r\n" for l in lines[answered:]), len(lines)
    writes = [b"EHLO mta.example\r\n", b"NOOP\r\nstarttls\r\nNOOP\r\n", b"HELO mta.example\r\n"]
    srv, got, log = run_case(["--rewrite-esmtp"], b"220 mx\r\n", writes, answer=rewrite_answers)
    check("rewrite-esmtp: verbs overwritten with X, the rest as sent",
          srv == b"XXXX mta.example\r\nNOOP\r\nXXXXXXXX\r\nNOOP\r\nHELO mta.example\r\n", repr(srv))
    refused = b"502 5.5.2 Error: command not recognized\r\n"
    check("rewrite-esmtp: the server's replies reach the client, in order",
          got == b"220 mx\r\n" + refused + b"250 ok\r\n" + refused + b"250 ok\r\n250 ok\r\n",
          repr(got))
    check("rewrite-esmtp: logged",
          'rewrote "EHLO mta.example" as "XXXX mta.example"' in log
          and 'rewrote "starttls" as "XXXXXXXX"' in log, log)
    rc = subprocess.run([BIN, "--listen", "127.0.0.1:1", "--connect", "127.0.0.1:2",
                         "--refuse-esmtp", "--rewrite-esmtp"], capture_output=True)
    check("rewrite-esmtp: refused together with --refuse-esmtp (exit 2)",
          rc.returncode == 2 and b"cannot be combined" in rc.stderr, repr(rc))

    body = b"Subject: t\r\n\r\nbody line\r\n"
    # The terminator cut CRLF|.CRLF: the 3 later bytes are dropped, the server stays silent.
    for cut in range(1, 5):
        term = b"\r\n.\r\n"
        writes = [b"HELO c\r\n", b"DATA\r\n", body[:-2] + term[:cut], term[cut:]]
        srv, got, log = run_case(["--drop-split-eod"], b"220 mx\r\n", writes)
        check("drop-split-eod: cut %d dropped" % cut,
              srv == b"HELO c\r\nDATA\r\n" + body[:-2] + term[:cut] and "dropped" in log,
              repr(srv[-12:]) + " " + log)
    # --reset-split-eod, cut 2 as the lab's relay-reset: the later part is not passed on and
    # both connections are reset at once. The client first reads what was sent before the RST
    # (banner, 250, 354 and the scripted server's 250 to each body line), its shutdown() fails
    # with ENOTCONN, then recv() ECONNRESET; the server, which had read everything, ECONNRESET.
    term = b"\r\n.\r\n"
    writes = [b"HELO c\r\n", b"DATA\r\n", body[:-2] + term[:2], term[2:]]
    ends = {}
    srv, got, log = run_case(["--reset-split-eod"], b"220 mx\r\n", writes, ends=ends)
    check("reset-split-eod: the cut part not passed on",
          srv == b"HELO c\r\nDATA\r\n" + body[:-2] + term[:2], repr(srv[-12:]))
    check("reset-split-eod: the client reads the replies, then a reset",
          got.startswith(b"220 mx\r\n250 ok\r\n354 go ahead\r\n")
          and ends["client"] == "shutdown ENOTCONN, reset",
          repr(got) + " " + ends["client"])
    check("reset-split-eod: the server's connection is reset", ends["server"] == "reset",
          str(ends["server"]))
    check("reset-split-eod: logged", "CRLF|.CRLF (reads 3 and 4): reset both connections" in log,
          log)
    # The same switch with the terminator whole: passed, answered, the session ends normally.
    writes = [b"HELO c\r\n", b"DATA\r\n", body + b".\r\n", b"QUIT\r\n"]
    ends = {}
    srv, got, log = run_case(["--reset-split-eod"], b"220 mx\r\n", writes, ends=ends)
    check("reset-split-eod: whole terminator passed, no reset",
          srv.endswith(body + b".\r\nQUIT\r\n") and ends == {"client": "fin", "server": "fin"},
          repr(srv[-12:]) + " " + repr(ends))

    # Whole terminator: passed.
    writes = [b"HELO c\r\n", b"DATA\r\n", body + b".\r\n"]
    srv, got, log = run_case(["--drop-split-eod"], b"220 mx\r\n", writes)
    check("drop-split-eod: whole terminator passed", srv.endswith(body + b".\r\n"), repr(srv))
    # Without the switch a split terminator passes too.
    writes = [b"HELO c\r\n", b"DATA\r\n", body, b".\r\n"]
    srv, got, log = run_case([], b"220 mx\r\n", writes)
    check("no switches: split terminator passed", srv.endswith(body + b".\r\n"), repr(srv))
    # A dot-stuffed line cut after CRLF. is not a terminator.
    writes = [b"HELO c\r\n", b"DATA\r\n", b"a\r\n.", b".b\r\n.\r\n"]
    srv, got, log = run_case(["--drop-split-eod"], b"220 mx\r\n", writes)
    check("drop-split-eod: dot-stuffed line passed", srv.endswith(b"a\r\n..b\r\n.\r\n"), repr(srv))

    # BDAT: CR LF . CR LF inside a chunk is data, and split over reads it is still not dropped.
    chunk = b"x\r\n.\r\ny"
    writes = [b"EHLO c\r\n", b"BDAT %d LAST\r\nx\r\n" % len(chunk), b".\r\ny", b"QUIT\r\n"]
    srv, got, log = run_case(["--drop-split-eod"], b"220 mx\r\n", writes,
                             answer=lambda r, a: (b"250 ok\r\n" * (r.count(b"\r\n") - a),
                                                  r.count(b"\r\n")))
    check("BDAT: chunk passed unscanned", srv == b"".join(writes), repr(srv))

    # STARTTLS accepted: everything after it passes as is (here: bytes that look like commands).
    writes = [b"EHLO c\r\n", b"STARTTLS\r\n", b"\x16\x03\x01EHLO x\r\n"]
    srv, got, log = run_case(["--drop-split-eod", "--mask-banner"], b"220 mx\r\n", writes,
                             answer=lambda r, a: (b"220 go\r\n" if a == 1 else b"250 ok\r\n"
                                                  if a == 0 else b"", a + 1))
    check("STARTTLS: opaque afterwards", srv == b"".join(writes) and "uninspected" in log,
          repr(srv) + log)

    print("mailguard: %d passed, %d failed" % (len(PASSED), len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    sys.exit(main())
