#!/usr/bin/env python3
"""Checks the files a rotated -w capture left (tests/live-e2e.sh) against the pcap format and
against what smtpscope said while writing them.
Usage: check_rotation.py MODE LIVE.jsonl LIMIT FILE...
  MODE time: -G -W N: exactly N files (LIMIT is N)
  MODE size: -C: each file over LIMIT bytes except the last, and at most LIMIT plus its last
             record (tcpdump checks the size before writing a frame), numbered FILE, FILE1...
Both: the files' frames add up to the frames smtpscope read (its summary's "packets"), and
its capture_file lines name the files in order with the frame each begins at.
Prints one line per check (ok/FAIL); exits 1 if any failed."""
import json
import struct
import sys

failures = 0


def check(what, cond, detail=""):
    global failures
    if cond:
        print("ok: " + what)
    else:
        failures += 1
        print("FAIL: " + what + (": " + detail if detail else ""))
    return cond


def records(path):
    """(frames, size, the last record's length with its header), or None if not a pcap."""
    data = open(path, "rb").read()
    if len(data) < 24 or data[:4] not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"):
        return None
    endian = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    at, frames, last = 24, 0, 0
    while at < len(data):
        if at + 16 > len(data):
            return None
        incl = struct.unpack(endian + "I", data[at + 8:at + 12])[0]
        last = 16 + incl
        at += last
        frames += 1
    return (frames, len(data), last) if at == len(data) else None


def main(mode, live_path, limit, files):
    limit = int(limit)
    objs = [json.loads(l) for l in open(live_path, encoding="utf-8") if l.strip()]
    summary = [o for o in objs if o.get("type") == "summary"]
    begun = [o for o in objs if o.get("type") == "capture_file"]
    if not check("the live run ended with a summary", bool(summary)):
        return
    read = summary[-1].get("packets")
    counts = [records(f) for f in files]
    broken = [f for f, r in zip(files, counts) if r is None]
    if not check("each of the %d files is a complete pcap file" % len(files),
                 files and not broken, repr(broken or files)):
        return
    if mode == "time":
        check("-G -W %d: %d files" % (limit, limit), len(files) == limit, repr(files))
    else:
        base = files[0]
        want = [base] + ["%s%d" % (base, i) for i in range(1, len(files))]
        check("-C: files named FILE, FILE1, FILE2...", files == want, repr(files))
        check("-C: the capture was split (%d files)" % len(files), len(files) >= 2)
        over = [(f, size, last) for f, (_, size, last) in zip(files, counts)
                if size - last > limit]
        check("-C: each file at most %d bytes plus its last record (largest %d)"
              % (limit, max(size for _, size, _ in counts)), not over, repr(over))
        early = [(f, size) for f, (_, size, _) in zip(files[:-1], counts[:-1]) if size <= limit]
        check("-C: each file but the last left only once over %d bytes" % limit, not early,
              repr(early))
    total = sum(n for n, _, _ in counts)
    check("the files hold every frame read: %d = summary packets %r" % (total, read),
          total == read and total > 0)
    firsts, at = [], 1
    for n, _, _ in counts:
        firsts.append(at)
        at += n
    said = [(o.get("file"), o.get("first_frame")) for o in begun]
    check("a capture_file line for each file, in order, with its first frame",
          said == list(zip(files, firsts)), "said %r, files %r" % (said, list(zip(files, firsts))))


if __name__ == "__main__":
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
    sys.exit(1 if failures else 0)
