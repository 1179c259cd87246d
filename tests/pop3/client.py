#!/usr/bin/env python3
"""Scripted POP3 clients and server-side checks for tests/pop3-lab.sh.

Raw sockets, not poplib: the lab needs what poplib hides (the source address, a small
receive buffer, a close without QUIT, a reset, two sessions interleaved in one order).

  client.py fill DIR COUNT SIZE PREFIX     COUNT messages of about SIZE bytes into the
                                           Maildir DIR (new/), Message-ID
                                           <PREFIX-K@lab.example.test>, K = 1..COUNT
  client.py truth SERVER USER PASS         one session: STAT, UIDL, QUIT; prints
                                           "count N" and "uidl K UID" lines
  client.py dele-drop SERVER USER PASS     RETR 1, DELE 1, then close without QUIT
  client.py retr-rst SERVER USER PASS      RETR 1 with a 4 KB receive buffer, reads a few KB
                                           of it, then closes with SO_LINGER 0 (a reset)
  client.py collect SERVER USER PASS [SRC] UIDL, RETR and DELE of every message, QUIT
  client.py quit-chmod SERVER USER PASS DIR
                                           RETR 1, DELE 1, makes DIR read-only, QUIT, restores
                                           DIR: what dovecot answers when it cannot expunge
  client.py two SERVER USER PASS SRC1 SRC2 two collectors, from SRC1 and SRC2, in one
                                           order: A logs in, B logs in, A and B each RETR
                                           every message, A DELEs all and QUITs, then B
Every response line received is printed (C: / S: lines, PASS hidden), so the lab's log
holds the client's view. Exit status 0 when the session went as scripted.
"""
import os
import socket
import struct
import sys

TIMEOUT = 60  # per read: generous, the lab may run on a loaded machine


class Session:
    def __init__(self, server, src=None, rcvbuf=None, tag=""):
        self.tag = tag
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            # Before connect, so the window the server sees stays small from the start.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if src:
            self.sock.bind((src, 0))
        self.sock.settimeout(TIMEOUT)
        self.sock.connect((server, 110))
        self.buf = b""
        self.greeting = self.line()

    def say(self, text):
        print(f"{self.tag}S: {text}", flush=True)

    def raw(self):
        """The next line, without its CR LF."""
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed by the server")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def line(self):
        text = self.raw().decode("latin-1")
        self.say(text)
        return text

    def multi(self):
        """The lines of a multi-line response, up to the lone dot, un-stuffed."""
        lines = []
        while (line := self.raw()) != b".":
            lines.append(line[1:] if line.startswith(b".") else line)
        return lines

    def cmd(self, text, multi=False):
        shown = "PASS ********" if text.startswith("PASS ") else text
        print(f"{self.tag}C: {shown}", flush=True)
        self.sock.sendall(text.encode() + b"\r\n")
        status = self.line()
        if multi and status.startswith("+OK"):
            body = self.multi()
            self.say(f"({len(body)} lines)")
            return status, body
        return status, None

    def must(self, text, multi=False):
        status, body = self.cmd(text, multi)
        if not status.startswith("+OK"):
            raise RuntimeError(f"{text.split()[0]} answered {status!r}")
        return body

    def login(self, user, password):
        status, _ = self.cmd(f"USER {user}")
        if not status.startswith("+OK"):
            return status
        status, _ = self.cmd(f"PASS {password}")
        return status

    def close(self):
        self.sock.close()


def stat(sess):
    status, _ = sess.cmd("STAT")
    return int(status.split()[1])


def fill(args):
    top, count, size, prefix = args[0], int(args[1]), int(args[2]), args[3]
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(top, sub), exist_ok=True)
    line = b"The quick brown fox jumps over the lazy dog, line %06d of the lab body.\r\n"
    for k in range(1, count + 1):
        head = (
            f"From: sender@lab.example.test\r\n"
            f"To: {prefix}@lab.example.test\r\n"
            f"Subject: {prefix} message {k}\r\n"
            f"Message-ID: <{prefix}-{k}@lab.example.test>\r\n"
            f"Date: Sun, 06 Dec 2026 00:00:{k % 60:02d} +0000\r\n\r\n"
        ).encode()
        body = b""
        n = 0
        while len(head) + len(body) < size:
            body += line % n
            n += 1
        # Names sort in message order: dovecot gives new mail its UIDs in name order.
        name = f"{1700000000 + k}.M{k}P1.lab.example.test"
        with open(os.path.join(top, "new", name), "wb") as f:
            f.write(head + body)
    return 0


def truth(server, user, password):
    s = Session(server)
    if not s.login(user, password).startswith("+OK"):
        return 1
    print(f"count {stat(s)}")
    for row in s.must("UIDL", multi=True):
        num, uid = row.decode().split()
        print(f"uidl {num} {uid}")
    s.must("QUIT")
    s.close()
    return 0


def dele_drop(server, user, password):
    s = Session(server)
    if not s.login(user, password).startswith("+OK"):
        return 1
    s.must("UIDL", multi=True)
    s.must("RETR 1", multi=True)
    s.must("DELE 1")
    # No QUIT: the server never enters the UPDATE state (RFC 1939 section 6).
    s.close()
    return 0


def retr_rst(server, user, password):
    s = Session(server, rcvbuf=4096)
    if not s.login(user, password).startswith("+OK"):
        return 1
    print("C: RETR 1", flush=True)
    s.sock.sendall(b"RETR 1\r\n")
    got = len(s.buf)
    while got < 8192:
        data = s.sock.recv(4096)
        if not data:
            raise EOFError("the server closed inside RETR")
        got += len(data)
    print(f"S: ({got} bytes of the RETR response read, then a reset)", flush=True)
    # SO_LINGER on with a zero timeout: close() sends RST and drops unread data.
    s.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    return 0


def collect(server, user, password, src=None):
    s = Session(server, src=src)
    if not s.login(user, password).startswith("+OK"):
        return 1
    n = len(s.must("UIDL", multi=True))
    for k in range(1, n + 1):
        s.must(f"RETR {k}", multi=True)
        s.must(f"DELE {k}")
    s.must("QUIT")
    s.close()
    return 0


def quit_chmod(server, user, password, top):
    s = Session(server)
    if not s.login(user, password).startswith("+OK"):
        return 1
    s.must("RETR 1", multi=True)
    s.must("DELE 1")
    cur = os.path.join(top, "cur")
    mode = os.stat(cur).st_mode & 0o7777
    os.chmod(cur, 0o555)  # the mail process (not root) can no longer unlink in cur/
    try:
        status, _ = s.cmd("QUIT")
    finally:
        os.chmod(cur, mode)
    s.close()
    print(f"quit {status}")
    return 0


def two(server, user, password, src1, src2):
    a = Session(server, src=src1, tag="A ")
    b = Session(server, src=src2, tag="B ")
    if not a.login(user, password).startswith("+OK"):
        return 1
    b_status = b.login(user, password)
    print(f"second login {b_status}")
    n = len(a.must("UIDL", multi=True))
    b_in = b_status.startswith("+OK")
    if b_in:
        b.must("UIDL", multi=True)
    for k in range(1, n + 1):
        a.must(f"RETR {k}", multi=True)
        if b_in:
            b.must(f"RETR {k}", multi=True)
    for k in range(1, n + 1):
        a.must(f"DELE {k}")
    a.must("QUIT")
    if b_in:
        for k in range(1, n + 1):
            status, _ = b.cmd(f"DELE {k}")
        status, _ = b.cmd("QUIT")
        print(f"second quit {status}")
    else:
        # Dovecot closes the connection after -ERR [IN-USE]; wait for that end.
        try:
            while b.sock.recv(4096):
                pass
        except OSError:
            pass
    a.close()
    b.close()
    return 0


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    what, args = argv[1], argv[2:]
    if what == "fill":
        return fill(args)
    table = {
        "truth": truth,
        "dele-drop": dele_drop,
        "retr-rst": retr_rst,
        "collect": collect,
        "quit-chmod": quit_chmod,
        "two": two,
    }
    if what not in table:
        print(__doc__, file=sys.stderr)
        return 2
    return table[what](*args)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
