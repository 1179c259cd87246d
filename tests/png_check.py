#!/usr/bin/env python3
"""PNG pixels without PIL: the IDAT decompressed with zlib and unfiltered (8-bit RGB or RGBA,
not interlaced: what Chromium's screenshots are).

  png_check.py stats FILE              "WIDTH HEIGHT VARIANCE COLOURS" of the grey levels
  png_check.py crop IN OUT WIDTH HEIGHT  the top-left WIDTH x HEIGHT of IN as an RGB PNG
"""
import struct
import sys
import zlib


def read(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    pos, idat, head = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = head
    if depth != 8 or colour not in (2, 6) or interlace:
        sys.exit(f"{path}: depth {depth} colour type {colour} interlace {interlace} not handled")
    return width, height, 3 if colour == 2 else 4, zlib.decompress(idat)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def rows(width, height, bpp, raw):
    """Each scanline unfiltered (PNG filters 0 to 4)."""
    stride = width * bpp
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                line[i] = (line[i] + paeth(a, b, c)) & 255
        yield line
        prev = line


def stats(path):
    width, height, bpp, raw = read(path)
    n = total = square = 0
    colours = set()
    for line in rows(width, height, bpp, raw):
        # every 4th pixel: enough for a variance, fast enough in pure Python
        for x in range(0, width, 4):
            r, g, b = line[x * bpp:x * bpp + 3]
            grey = (r * 299 + g * 587 + b * 114) // 1000
            n += 1
            total += grey
            square += grey * grey
            colours.add((r, g, b))
    mean = total / n
    print(width, height, round(square / n - mean * mean, 1), len(colours))


def crop(src, dst, width, height):
    w, h, bpp, raw = read(src)
    width, height = min(width, w), min(height, h)
    out = bytearray()
    for y, line in enumerate(rows(w, h, bpp, raw)):
        if y == height:
            break
        out.append(0)
        for x in range(width):
            out += line[x * bpp:x * bpp + 3]

    def chunk(kind, body):
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    png += chunk(b"IDAT", zlib.compress(bytes(out), 9)) + chunk(b"IEND", b"")
    open(dst, "wb").write(png)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "stats":
        stats(sys.argv[2])
    elif len(sys.argv) == 6 and sys.argv[1] == "crop":
        crop(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        sys.exit(__doc__)
