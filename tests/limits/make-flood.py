#!/usr/bin/env python3
"""Writes a SYN-flood capture: N TCP connections to 192.0.2.25:25 that never carry a byte.

Usage: tests/limits/make-flood.py OUT.pcap N [syn|handshake|gap]

syn:       one SYN per connection (half-open: what a SYN flood leaves in a stream table)
handshake: SYN, SYN/ACK, ACK per connection, none ever closed (each becomes an SMTP
           session that smtpscope follows until the table is full)
gap:       one connection (window scale 14: a 1 GiB window) whose client sends N segments
           of 1400 bytes, all beyond a hole that is never filled: what the reassembler
           holds while it waits for the missing byte
Packets are 1 ms apart; clients are 10.0.0.0/8 addresses, each with its own port.
"""
import struct
import sys

ETH = bytes.fromhex("020000000002" "020000000001" "0800")
SERVER = bytes([192, 0, 2, 25])
SYN, ACK = 0x02, 0x10


def ip_checksum(hdr):
    s = sum(struct.unpack("!10H", hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def packet(src, dst, sport, dport, seq, ack, flags, payload=b"", options=b""):
    offset = (20 + len(options)) // 4
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack, offset << 4, flags, 65535,
                      0, 0)
    tcp += options + payload
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src,
                               dst))
    struct.pack_into("!H", ip, 10, ip_checksum(bytes(ip)))
    return ETH + bytes(ip) + tcp


def connection(i, mode):
    client = bytes([10, (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF])
    sport = 1024 + i % 60000
    iss, irs = 1000 + i, 5000 + i
    yield packet(client, SERVER, sport, 25, iss, 0, SYN)
    if mode == "handshake":
        yield packet(SERVER, client, 25, sport, irs, iss + 1, SYN | ACK)
        yield packet(client, SERVER, sport, 25, iss + 1, irs + 1, ACK)


def gap_connection(n):
    client = bytes([10, 0, 0, 1])
    iss, irs = 1000, 5000
    wscale = b"\x01\x03\x03\x0e"  # NOP, window scale 14: a window of 1 GiB
    yield packet(client, SERVER, 40000, 25, iss, 0, SYN, options=wscale)
    yield packet(SERVER, client, 25, 40000, irs, iss + 1, SYN | ACK, options=wscale)
    yield packet(client, SERVER, 40000, 25, iss + 1, irs + 1, ACK)
    payload = b"x" * 1400
    for i in range(n):  # byte iss+1 never arrives: every segment waits behind the hole
        yield packet(client, SERVER, 40000, 25, iss + 2 + i * 1400, irs + 1, ACK, payload)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    out, n = sys.argv[1], int(sys.argv[2])
    mode = sys.argv[3] if len(sys.argv) == 4 else "syn"
    if mode not in ("syn", "handshake", "gap"):
        sys.exit(__doc__)
    packets = gap_connection(n) if mode == "gap" else (p for i in range(n) for p in connection(i, mode))
    t = 1772442000 * 1000000
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for p in packets:
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(p), len(p)) + p)
            t += 1000


if __name__ == "__main__":
    main()
