#!/usr/bin/env python3
"""Assertions on the JSON of an --outside/--inside run (tests/path/run.sh).

  check.py expect FILE [--pairs N] [--outside-only N] [--inside-only N]
                       [--each F,F...] [--pair K F,F...] [--verdict TEXT]
                       [--to-server MEDIAN,MAX] [--to-client MEDIAN,MAX]
      --each: every pair's findings are exactly these; --pair K: the K-th pair's (from 1,
      in the outside's order); delays in seconds, to the microsecond. Always: the pairs'
      sessions carry the same Message-IDs on both sides, every line but the comparison's
      has a "vantage" matching its session, and the summary counts the pairs' findings.
  check.py same A B SHIFT TOLERANCE
      B is A's run with the inside capture's clock moved SHIFT seconds: the same pairs and
      findings, the clock offset found within TOLERANCE seconds of SHIFT, the round trip
      within 1 us.
Prints what failed and exits 1; silent on success.
"""
import json
import sys

failures = []


def fail(msg):
    failures.append(msg)


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def pairs_of(lines):
    return [o for o in lines if o["type"] == "path"]


def summary_of(lines):
    s = [o for o in lines if o["type"] == "path_summary"]
    if len(s) != 1:
        fail(f"{len(s)} path_summary lines")
        return {}
    return s[0]


def messages(lines, vantage):
    """session id -> its Message-IDs, for one side's session lines."""
    out = {}
    for o in lines:
        if o["type"] == "session" and o.get("vantage") == vantage:
            out[o["id"]] = [t.get("message_id") for t in o.get("transactions", [])]
    return out


def check_common(lines):
    ids = {"outside": messages(lines, "outside"), "inside": messages(lines, "inside")}
    for o in lines:
        if o["type"] in ("path", "path_summary"):
            if "vantage" in o:
                fail(f"{o['type']} line has a vantage")
        elif o.get("vantage") not in ("outside", "inside"):
            fail(f"{o['type']} line without a vantage: {json.dumps(o)[:120]}")
    paired = [p for p in pairs_of(lines) if p["outside"] and p["inside"]]
    for p in paired:
        out = ids["outside"].get(p["outside"]["session"])
        ins = ids["inside"].get(p["inside"]["session"])
        if out is None or ins is None:
            fail(f"pair {p['outside']['session']}/{p['inside']['session']}: no such session line")
        elif set(filter(None, out)) != set(filter(None, ins)):
            fail(f"pair {p['outside']['session']}/{p['inside']['session']}: messages {out} vs {ins}")
    s = summary_of(lines)
    for name, n in s.get("findings", {}).items():
        got = sum(name in p["findings"] for p in paired)
        if got != n:
            fail(f"summary counts {n} pairs with {name}, the pairs {got}")
    return paired, s


def near(a, b, tol=0.0000015):
    return a is not None and abs(a - b) <= tol


def expect(path, args):
    lines = load(path)
    paired, s = check_common(lines)
    one = [p for p in pairs_of(lines) if not (p["outside"] and p["inside"])]
    i = 0
    while i < len(args):
        opt = args[i]
        val = args[i + 1] if i + 1 < len(args) else ""
        if opt == "--pairs" and len(paired) != int(val):
            fail(f"{len(paired)} pairs, expected {val}")
        elif opt == "--outside-only" and sum(1 for p in one if p["outside"]) != int(val):
            fail(f"outside only: {sum(1 for p in one if p['outside'])}, expected {val}")
        elif opt == "--inside-only" and sum(1 for p in one if p["inside"]) != int(val):
            fail(f"inside only: {sum(1 for p in one if p['inside'])}, expected {val}")
        elif opt == "--each":
            for p in paired:
                if set(p["findings"]) != set(val.split(",")):
                    fail(f"pair {p['outside']['session']}: findings {p['findings']}, expected {val}")
        elif opt == "--pair":
            k, want = int(val), args[i + 2]
            i += 1
            if k > len(paired) or set(paired[k - 1]["findings"]) != set(want.split(",")):
                got = paired[k - 1]["findings"] if k <= len(paired) else None
                fail(f"pair {k}: findings {got}, expected {want}")
        elif opt == "--verdict" and val not in s.get("verdict", ""):
            fail(f"verdict {s.get('verdict')!r} lacks {val!r}")
        elif opt in ("--to-server", "--to-client"):
            d = s["delay"]["to_server" if opt == "--to-server" else "to_client"]
            median, mx = (float(x) for x in val.split(","))
            if not near(d["median"], median) or not near(d["max"], mx):
                fail(f"{opt}: {d}, expected median {median} max {mx}")
        i += 2


def same(a_path, b_path, shift, tolerance):
    a, b = load(a_path), load(b_path)
    pa, sa = check_common(a)
    pb, sb = check_common(b)
    key = lambda ps: [(p["outside"]["session"], p["inside"]["session"], p["findings"]) for p in ps]
    if key(pa) != key(pb):
        fail(f"pairs differ: {key(pa)} vs {key(pb)}")
    offset = sb["clock_offset"] - sa["clock_offset"]
    if abs(offset - float(shift)) > float(tolerance):
        fail(f"clock offset {sb['clock_offset']} (unshifted {sa['clock_offset']}), shift {shift}")
    trip = lambda s: s["delay"]["to_server"]["median"] + s["delay"]["to_client"]["median"]
    if abs(trip(sa) - trip(sb)) > 0.000001:
        fail(f"round trip {trip(sa)} vs {trip(sb)}")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "expect":
        expect(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) == 6 and sys.argv[1] == "same":
        same(*sys.argv[2:6])
    else:
        sys.exit(__doc__)
    for f in failures:
        print(f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
