#!/usr/bin/env python3
"""A scripted SMTP server for tests/live-e2e.sh: plain sockets, one thread per connection.

Listens on PORT (default 25) on 0.0.0.0 and ::, answers 220, EHLO/HELO 250, MAIL 250,
RCPT 250, DATA 354, the end of data 250, QUIT 221 (then closes), anything else 500. A
transaction with a recipient whose address contains "blackhole" never gets an answer to its
end of data, as if a firewall had eaten the terminator: the server keeps reading until the
client closes. Writes "ready" to --ready FILE once both sockets listen, and one line per event
to standard error.
Usage: server.py [--port N] [--ready FILE]"""
import argparse
import socket
import sys
import threading


def log(*parts):
    print("server:", *parts, file=sys.stderr, flush=True)


class Conn:
    def __init__(self, sock, peer):
        self.sock = sock
        self.peer = peer
        self.buf = b""

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("latin-1")

    def data(self):
        # The terminator may be preceded directly by the 354 (an empty message) or a line.
        while True:
            if self.buf.startswith(b".\r\n"):
                body, self.buf = b"", self.buf[3:]
                return body
            i = self.buf.find(b"\r\n.\r\n")
            if i >= 0:
                body, self.buf = self.buf[: i + 2], self.buf[i + 5 :]
                return body
            self.fill()

    def drain(self):
        """Reads and ignores everything until the client closes."""
        while True:
            self.buf = b""
            self.fill()

    def run(self):
        self.send("220 mx.live.test ESMTP smtpscope-live")
        rcpts = []
        while True:
            line = self.line()
            verb = line.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                if verb == "EHLO":
                    self.send("250-mx.live.test")
                    self.send("250 8BITMIME")
                else:
                    self.send("250 mx.live.test")
            elif verb == "MAIL":
                rcpts = []
                self.send("250 2.1.0 Ok")
            elif verb == "RCPT":
                rcpts.append(line)
                self.send("250 2.1.5 Ok")
            elif verb == "DATA":
                self.send("354 End data with <CR><LF>.<CR><LF>")
                body = self.data()
                if any("blackhole" in r.lower() for r in rcpts):
                    log(self.peer, "end of data (%d bytes) not answered (blackhole)" % len(body))
                    self.drain()
                self.send("250 2.0.0 Ok: queued")
                log(self.peer, "message of %d bytes queued" % len(body))
            elif verb == "RSET" or verb == "NOOP":
                self.send("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.send("221 2.0.0 Bye")
                return
            else:
                self.send("500 5.5.2 Error: command not recognized")


def serve(conn, peer):
    c = Conn(conn, peer)
    try:
        c.run()
        log(peer, "closed after QUIT")
    except EOFError:
        log(peer, "client closed")
    except OSError as e:
        log(peer, "error:", e)
    finally:
        conn.close()


def accept_loop(lsock):
    while True:
        conn, addr = lsock.accept()
        peer = "%s:%d" % (addr[0], addr[1])
        log(peer, "connected")
        threading.Thread(target=serve, args=(conn, peer), daemon=True).start()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--ready")
    a = ap.parse_args()
    socks = []
    for family, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, a.port))
        s.listen(16)
        socks.append(s)
    threads = [threading.Thread(target=accept_loop, args=(s,), daemon=True) for s in socks]
    for t in threads:
        t.start()
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("ready\n")
    log("listening on port", a.port)
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
