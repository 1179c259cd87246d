#!/usr/bin/env python3
"""Helpers of tests/multi-file/run.sh: split a capture by flow, and put a report of several
files back into the numbering of the one file they came from.

  frames.py split IN WHOLE A B MAP
                               classic pcap IN into A and B, a TCP flow's frames kept together
                               (sport + dport even: A, odd: B; other frames: A), its times made
                               strictly increasing (as in WHOLE, IN so nudged); MAP gets a line
                               "FILE LOCAL GLOBAL" per frame
  frames.py parts MAP PART...  MAP for files cut one after the other (editcap -c; any format)
  frames.py norm MAP REPORT    REPORT (JSON Lines or text) with each NAME#N named by MAP put
                               back as its global frame; capture_file lines, the summary's
                               source and display filters' frame ranges left out, runs of
                               spaces made one
"""
import json
import os
import re
import struct
import subprocess
import sys


def packets(path):
    with open(path, "rb") as f:
        head = f.read(24)
        magic = struct.unpack("<I", head[:4])[0]
        endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        linktype = struct.unpack(endian + "I", head[20:24])[0]
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return head, linktype, endian
            incl = struct.unpack(endian + "IIII", rec)[2]
            yield_rec = (rec, f.read(incl))
            packets.out.append(yield_rec)


def read_pcap(path):
    packets.out = []
    head, linktype, endian = packets(path)
    return head, linktype, endian, packets.out


def ports(linktype, data):
    """The TCP ports of an Ethernet or raw IP frame, or None."""
    off = 0
    if linktype == 1:
        etype = struct.unpack(">H", data[12:14])[0]
        off = 14
        while etype in (0x8100, 0x88A8):
            etype = struct.unpack(">H", data[off + 2:off + 4])[0]
            off += 4
        if etype not in (0x0800, 0x86DD):
            return None
    elif linktype not in (101, 228, 229, 12, 14):
        return None
    version = data[off] >> 4
    if version == 4:
        proto = data[off + 9]
        off += (data[off] & 15) * 4
    elif version == 6:
        proto = data[off + 6]
        off += 40
    else:
        return None
    if proto != 6 or len(data) < off + 4:
        return None
    return struct.unpack(">HH", data[off:off + 4])


def nudged(recs, endian):
    """The records with strictly increasing times (a microsecond after the one before when
    not): frames of one time in two files have no order a merge could find again."""
    prev = -1
    for rec, data in recs:
        sec, usec, incl, orig = struct.unpack(endian + "IIII", rec)
        t = max(sec * 1000000 + usec, prev + 1)
        prev = t
        yield struct.pack(endian + "IIII", t // 1000000, t % 1000000, incl, orig), data


def split(src, whole, a, b, mapfile):
    head, linktype, endian, recs = read_pcap(src)
    names = [os.path.basename(a), os.path.basename(b)]
    outs = [open(a, "wb"), open(b, "wb")]
    counts = [0, 0]
    with open(mapfile, "w") as m, open(whole, "wb") as w:
        for o in outs + [w]:
            o.write(head)
        for g, (rec, data) in enumerate(nudged(recs, endian), 1):
            p = ports(linktype, data)
            k = (p[0] + p[1]) % 2 if p else 0
            outs[k].write(rec + data)
            w.write(rec + data)
            counts[k] += 1
            m.write(f"{names[k]} {counts[k]} {g}\n")
    for o in outs:
        o.close()


def count(path):
    """Frames in a capture of any format (capinfos, of wireshark-common)."""
    out = subprocess.run(["capinfos", "-Trc", path], check=True, capture_output=True, text=True)
    return int(out.stdout.strip().split("\t")[-1])


def parts(mapfile, files):
    g = 0
    with open(mapfile, "w") as m:
        for path in files:
            for n in range(1, count(path) + 1):
                g += 1
                m.write(f"{os.path.basename(path)} {n} {g}\n")


def load_map(mapfile):
    """The table NAME#N -> global frame, and a pattern that finds those names in a text."""
    table, names = {}, set()
    with open(mapfile) as m:
        for line in m:
            name, local, glob = line.split()
            table[f"{name}#{local}"] = int(glob)
            names.add(name)
    ref = re.compile("(?:" + "|".join(re.escape(n) for n in sorted(names)) + ")#[0-9]+")
    return table, ref


RANGE = re.compile(r" && frame\.number>=[0-9]+ && frame\.number<=[0-9]+")
TO = re.compile(r"frames ([0-9]+) to ([0-9]+)")
# the transcript note numbers the terminator's frames in its own file
SPLIT = re.compile(r"terminator split (\S+) (over frames [0-9]+ and [0-9]+|across two capture files)")


def norm_str(s, table, ref):
    s = SPLIT.sub(r"terminator split \1", s)
    s = ref.sub(lambda m: str(table.get(m.group(0), m.group(0))), s)
    s = TO.sub(r"frames \1-\2", s)  # names hold dashes: "A to B" between them
    return RANGE.sub("", s)


def norm_value(v, table, ref):
    if isinstance(v, str):
        return table[v] if v in table else norm_str(v, table, ref)
    if isinstance(v, list):
        return [norm_value(x, table, ref) for x in v]
    if isinstance(v, dict):
        return {k: norm_value(x, table, ref) for k, x in v.items()}
    return v


def norm(mapfile, report):
    table, ref = load_map(mapfile)
    out = []
    with open(report) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("{"):
                obj = json.loads(line)
                if obj.get("type") == "capture_file":
                    continue
                if obj.get("type") == "summary":
                    obj["source"] = "S"
                out.append(json.dumps(norm_value(obj, table, ref), separators=(",", ":")))
            elif line.startswith("capture file ") or line.startswith("Summary of "):
                continue
            else:
                out.append(re.sub(r" +", " ", norm_str(line, table, ref)))
    sys.stdout.write("\n".join(out) + "\n")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "split":
        split(*args)
    elif cmd == "parts":
        parts(args[0], args[1:])
    elif cmd == "norm":
        norm(*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
