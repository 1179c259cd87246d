#!/usr/bin/env python3
"""Writes the flag and cause lists of docs/schema/defs.schema.json from smtp/flags.def and
pop3/flags.def, so the schema names exactly the flags and causes the tool has.

Usage: tools/schema-enums.py           rewrite docs/schema/defs.schema.json
       tools/schema-enums.py --check   exit 1 (saying what differs) when it is not up to date
"""
import json
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DEFS = os.path.join(ROOT, "docs", "schema", "defs.schema.json")

# FLAG(ID, "name", ... and CAUSE(ID, "name", ... at the start of a line: the X-macro rows
# (the comment block above them describes the macros without this shape).
ROW = re.compile(r'^(FLAG|CAUSE)\(\s*([A-Z0-9_]+)\s*,\s*"([^"]+)"', re.M)


def rows(path, kind):
    with open(os.path.join(ROOT, path)) as f:
        text = f.read()
    names = [m.group(3) for m in ROW.finditer(text) if m.group(1) == kind]
    if not names:  # a changed .def layout must not give an empty enum that checks equal
        sys.exit(f"{path}: no {kind} rows found")
    return names


def counts(names, proto):
    return {
        "description": f"how many {proto} sessions raised each flag (every flag, in flags.def order)",
        "type": "object",
        "required": names,
        "properties": {n: {"$ref": "#/$defs/count"} for n in names},
    }


def generated():
    sf, pf = rows("smtp/flags.def", "FLAG"), rows("pop3/flags.def", "FLAG")
    sc, pc = rows("smtp/flags.def", "CAUSE"), rows("pop3/flags.def", "CAUSE")
    return {
        "smtp_flag": {"description": "an SMTP flag (smtp/flags.def)", "enum": sf},
        "pop3_flag": {"description": "a POP3 flag (pop3/flags.def)", "enum": pf},
        "smtp_cause": {"description": "a cause of lost or duplicated SMTP mail (smtp/flags.def)", "enum": sc},
        "pop3_cause": {"description": "a cause of re-downloaded POP3 mail (pop3/flags.def)", "enum": pc},
        "smtp_flag_counts": counts(sf, "SMTP"),
        "pop3_flag_counts": counts(pf, "POP3"),
    }


def render(schema):
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main():
    check = sys.argv[1:] == ["--check"]
    if sys.argv[1:] and not check:
        sys.exit(__doc__)
    with open(DEFS) as f:
        old = f.read()
    schema = json.loads(old)
    for key, value in generated().items():
        schema["$defs"][key] = value
    new = render(schema)
    if not check:
        if new != old:
            with open(DEFS, "w") as f:
                f.write(new)
        return 0
    if new != old:
        stale = [k for k, v in generated().items() if json.loads(old)["$defs"].get(k) != v]
        print("docs/schema/defs.schema.json is not what the .def files give"
              f" ({', '.join(stale) or 'formatting'}): run tools/schema-enums.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
