#!/usr/bin/env python3
"""Makes damaged captures from a good one, one file per kind of damage, deterministically.

Usage: tests/corrupt/make-corrupt.py OUTDIR SOURCE.pcap

SOURCE must be a little-endian microsecond pcap (pcaps/sample.pcap: 82 frames, 4 SMTP
sessions). Each file's damage is described in damages() below; tests/corrupt/expected.txt
says what smtpscope must answer for each. One file is crafted rather than damaged: a lone
tiny IPv4 fragment, which libnids mishandles (tests/valgrind.supp). The gzip files are written
here with stored (uncompressed) deflate blocks, so their offsets do not depend on zlib's version.
"""
import binascii
import os
import struct
import sys

GLOBAL = 24  # pcap file header
RECORD = 16  # pcap record header: ts_sec, ts_usec, caplen, len
# Damage lands on frame 37 of pcaps/sample.pcap: session 1 is complete before it, session 2
# (the Mailguard failure) is cut in the middle of its end of data.
DAMAGED_FRAME = 37


def records(data):
    """Offsets of each record header in a well-formed pcap."""
    offs, off = [], GLOBAL
    while off + RECORD <= len(data):
        offs.append(off)
        caplen = struct.unpack_from("<I", data, off + 8)[0]
        off += RECORD + caplen
    return offs


def set_u32(data, off, value):
    out = bytearray(data)
    struct.pack_into("<I", out, off, value)
    return bytes(out)


def to_pcapng(data):
    """The same packets as pcapng: section header, one interface, enhanced packet blocks."""
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    linktype, snaplen = struct.unpack_from("<I", data, 20)[0], struct.unpack_from("<I", data, 16)[0]
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", linktype, 0, snaplen))
    for off in records(data):
        sec, usec, caplen, wire = struct.unpack_from("<IIII", data, off)
        ts = sec * 1000000 + usec
        body = struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, caplen, wire)
        out += block(6, body + data[off + RECORD:off + RECORD + caplen])
    return out


def pcapng_blocks(ng):
    offs, off = [], 0
    while off + 8 <= len(ng):
        offs.append(off)
        off += struct.unpack_from("<I", ng, off + 4)[0]
    return offs


def tiny_fragment(src):
    """The file header of src and one packet: the last fragment of an IPv4 datagram, 2 bytes
    of payload at offset 32, with no other fragment before it (libnids reads 8 payload bytes
    from whichever fragment opens a reassembly queue: see tests/valgrind.supp)."""
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 22, 7, 4, 64, 6, 0, bytes([10, 0, 0, 1]),
                               bytes([192, 0, 2, 25])))
    total = sum(struct.unpack("!10H", bytes(ip)))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    struct.pack_into("!H", ip, 10, ~total & 0xFFFF)
    frame = bytes.fromhex("020000000002" "020000000001" "0800") + bytes(ip) + b"\x01\x02"
    sec = struct.unpack_from("<I", src, GLOBAL)[0]
    return src[:GLOBAL] + struct.pack("<IIII", sec, 0, len(frame), len(frame)) + frame


def gzip_stored(data, first_block=None):
    """A gzip member holding data in stored deflate blocks; first_block replaces the first
    block's header byte (BFINAL, BTYPE)."""
    out = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, no time, unknown OS
    for off in range(0, max(len(data), 1), 65535):
        chunk = data[off:off + 65535]
        head = 1 if off + 65535 >= len(data) else 0
        if off == 0 and first_block is not None:
            head = first_block
        out += bytes([head]) + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk
    return out + struct.pack("<II", binascii.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)


def damages(src):
    """(file name, bytes) for each kind of damage."""
    rec = records(src)
    bad = rec[DAMAGED_FRAME - 1]
    caplen = struct.unpack_from("<I", src, bad + 8)[0]
    ng = to_pcapng(src)
    ngbad = pcapng_blocks(ng)[DAMAGED_FRAME + 1]  # blocks: SHB, IDB, then one per frame
    nglen = struct.unpack_from("<I", ng, ngbad + 4)[0]
    flip = bytearray(src)
    for i in range(20, 40):  # version/IHL and total length of frames 21-40's IPv4 headers
        flip[rec[i] + RECORD + 14] ^= 0x40 if i % 2 else 0x00
        flip[rec[i] + RECORD + 16] ^= 0x80 if i % 2 == 0 else 0x00
    ts = bytearray(src)
    struct.pack_into("<II", ts, rec[30], 0xFFFFFFFF, 0xFFFFFFFF)  # frame 31's time
    struct.pack_into("<II", ts, rec[31], 0, 2000000)  # frame 32: usec out of range
    return [
        ("empty.pcap", b""),
        ("short-file-header.pcap", src[:10]),
        ("bad-magic.pcap", b"\xde\xad\xbe\xef" + src[4:]),
        ("unsupported-link-type.pcap", set_u32(src, 20, 147)),
        ("header-only.pcap", src[:GLOBAL]),
        ("snaplen-zero.pcap", set_u32(src, 16, 0)),
        ("snaplen-too-small.pcap", set_u32(src, 16, 40)),
        ("cut-in-record-header.pcap", src[:bad + 7]),
        ("cut-in-packet-data.pcap", src[:bad + RECORD + 30]),
        ("caplen-bitflip-high.pcap", set_u32(src, bad + 8, caplen ^ 0x80000000)),
        ("caplen-over-snaplen.pcap", set_u32(src, bad + 8, 70000)),
        ("caplen-bitflip-low.pcap", set_u32(src, bad + 8, caplen ^ 0x4)),
        ("len-below-caplen.pcap", set_u32(src, bad + 12, 20)),
        ("ip-header-bitflips.pcap", bytes(flip)),
        ("timestamps-garbage.pcap", bytes(ts)),
        ("trailing-garbage.pcap", src + b"\x01\x02\x03\x04\x05"),
        ("ipv4-tiny-fragment-first.pcap", tiny_fragment(src)),
        ("pcapng-cut-in-block.pcapng", ng[:ngbad + 20]),
        ("pcapng-bad-block-length.pcapng", set_u32(ng, ngbad + 4, 0x7FFFFFF0)),
        ("pcapng-block-length-mismatch.pcapng", set_u32(ng, ngbad + 4, nglen + 4)),
        # frames 1-36 in one gzip member; the next member's first block has the invalid type 3
        ("gzip-damaged-member.pcap.gz", gzip_stored(src[:bad]) + gzip_stored(src[bad:], 0x07)),
        # the compressed file cut inside frame 37's data
        ("gzip-truncated.pcap.gz", gzip_stored(src)[:10 + 5 + bad + RECORD + 30]),
    ]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    outdir, source = sys.argv[1], sys.argv[2]
    with open(source, "rb") as f:
        src = f.read()
    if src[:4] != b"\xd4\xc3\xb2\xa1":
        sys.exit(f"{source}: not a little-endian microsecond pcap")
    os.makedirs(outdir, exist_ok=True)
    for name, data in damages(src):
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
