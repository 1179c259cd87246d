#!/usr/bin/env python3
"""Mutants of a --sensor run's JSON lines, for --merge to read: each file is the run with one
damage (a byte flipped, a line cut, a number made huge or negative, a key taken out, a record's
base64 data changed, a line dropped, doubled or moved). --merge must take or refuse each one
cleanly: exit 0 or 2, no sanitizer report. Deterministic (a fixed seed).
Usage: mutate.py RUN.json OUTDIR COUNT"""
import base64
import json
import os
import random
import sys

src, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(src, "rb").read().split(b"\n")
if lines and lines[-1] == b"":
    lines.pop()
rng = random.Random(1729)
NUMBERS = [b"0", b"-1", b"18446744073709551615", b"18446744073709551616",
           b"99999999999999999999999", b"1e308", b"-9223372036854775808", b"4294967296"]


def flip_byte(ls):
    i = rng.randrange(len(ls))
    b = bytearray(ls[i])
    if b:
        b[rng.randrange(len(b))] = rng.randrange(256)
    ls[i] = bytes(b).replace(b"\n", b" ")


def cut_line(ls):
    i = rng.randrange(len(ls))
    ls[i] = ls[i][:rng.randrange(len(ls[i]) + 1)]


def huge_number(ls):
    i = rng.randrange(len(ls))
    digits = [k for k, c in enumerate(ls[i]) if 48 <= c <= 57]
    if digits:
        k = rng.choice(digits)
        ls[i] = ls[i][:k] + rng.choice(NUMBERS) + ls[i][k + 1:]


def drop_key(ls):
    i = rng.randrange(len(ls))
    try:
        o = json.loads(ls[i])
    except ValueError:
        return
    if isinstance(o, dict) and o:
        del o[rng.choice(sorted(o))]
        ls[i] = json.dumps(o, separators=(",", ":")).encode()


def change_data(ls):
    records = [k for k, l in enumerate(ls) if b'"data":"' in l]
    if not records:
        return
    i = rng.choice(records)
    o = json.loads(ls[i])
    d = bytearray(base64.b64decode(o["data"]))
    for _ in range(rng.randrange(1, 9)):
        if d:
            d[rng.randrange(len(d))] ^= 1 << rng.randrange(8)
    if rng.random() < 0.3:
        d = d[:rng.randrange(len(d) + 1)]
    o["data"] = base64.b64encode(bytes(d)).decode()
    ls[i] = json.dumps(o, separators=(",", ":")).encode()


def move_lines(ls):
    i = rng.randrange(len(ls))
    what = rng.randrange(3)
    if what == 0:
        del ls[i]
    elif what == 1:
        ls.insert(i, ls[i])
    else:
        ls.insert(rng.randrange(len(ls)), ls.pop(i))


MUTATIONS = [flip_byte, cut_line, huge_number, drop_key, change_data, change_data, move_lines]
os.makedirs(out, exist_ok=True)
for n in range(count):
    ls = list(lines)
    rng.choice(MUTATIONS)(ls)
    with open(os.path.join(out, "m%04d.json" % n), "wb") as f:
        f.write(b"\n".join(ls) + b"\n")
