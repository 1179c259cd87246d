#!/usr/bin/env python3
"""Helpers of tests/sensors/run.sh.

  union.py same TYPE WHOLE PART...   the objects of TYPE in the PART runs, together, are the
                                     WHOLE run's (each "id" and "sensor" left out, order not
                                     counted); prints what differs, exits 1
  union.py tagged FILE TAG...        every object of FILE ends with these tags, in this order
                                     (TAG is key=value), and names no other
"""
import json
import sys


def objects(path, typ):
    out = []
    with open(path) as f:
        for line in f:
            o = json.loads(line)
            if o["type"] == typ:
                o.pop("id", None)
                o.pop("sensor", None)
                out.append(json.dumps(o, sort_keys=True))
    return out


def same(typ, whole, parts):
    a = sorted(objects(whole, typ))
    b = sorted(sum((objects(p, typ) for p in parts), []))
    if a != b:
        print(f"{typ}: {len(a)} in the whole run, {len(b)} in the parts")
        for x in sorted(set(a) ^ set(b))[:3]:
            print("  differs:", x[:300])
        return 1
    return 0


def tagged(path, tags):
    want = [tuple(t.split("=", 1)) for t in tags]
    bad = 0
    with open(path) as f:
        for n, line in enumerate(f, 1):
            o = json.loads(line)
            keys = list(o)
            tail = [(k, o[k]) for k in keys[len(keys) - len(want):]]
            if tail != want or any(k in ("sensor", "vantage") for k in keys[: len(keys) - len(want)]):
                print(f"{path}:{n}: {o['type']} ends {tail}, expected {want}")
                bad = 1
    return bad


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "same":
        sys.exit(same(sys.argv[2], sys.argv[3], sys.argv[4:]))
    if len(sys.argv) >= 3 and sys.argv[1] == "tagged":
        sys.exit(tagged(sys.argv[2], sys.argv[3:]))
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
