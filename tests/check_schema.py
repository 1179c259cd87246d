#!/usr/bin/env python3
"""The JSON Schema checker of tests/schema.sh: smtpscope's JSON Lines against docs/schema/
with python3-jsonschema (Debian 12: 4.10, draft 2020-12).

Usage: tests/check_schema.py SCHEMA_DIR schemas            every schema is a valid 2020-12 schema
       tests/check_schema.py SCHEMA_DIR lines FILE...      every line of each JSON Lines FILE
       tests/check_schema.py SCHEMA_DIR readme README.md   the README's ```json examples
       tests/check_schema.py SCHEMA_DIR negative FILE...   mutated lines of the FILEs are refused

lines and readme validate strictly: every object the schemas describe is closed
(additionalProperties false), so a field the tool writes that no schema declares fails and
gets documented. The published schemas stay open, as the README promises consumers that
fields are only ever added; `negative` checks both sides of that. Each mode prints one
"types: NAME=COUNT ..." line of what it validated and exits 1 on any failure.
"""
import collections
import copy
import json
import pathlib
import re
import sys
import warnings

import jsonschema

TOP = "smtpscope.schema.json"


def load(schema_dir):
    files = sorted(pathlib.Path(schema_dir).resolve().glob("*.schema.json"))
    if not files:
        sys.exit(f"no *.schema.json in {schema_dir}")
    return {f.as_uri(): json.loads(f.read_text()) for f in files}


def closed(schema):
    """A copy where every object with declared properties allows no others."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            t = node.get("type")
            if "properties" in node and (t == "object" or (isinstance(t, list) and "object" in t)):
                node.setdefault("additionalProperties", False)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(schema)
    return schema


def validator(schema_dir, strict):
    store = load(schema_dir)
    if strict:
        store = {uri: closed(s) for uri, s in store.items()}
    top_uri = next(u for u in store if u.endswith("/" + TOP))
    # RefResolver is what 4.10 has (later versions warn that it is deprecated, and still work).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        resolver = jsonschema.RefResolver(top_uri, store[top_uri], store=store)
    return jsonschema.Draft202012Validator(store[top_uri], resolver=resolver)


def errors_of(v, obj):
    """The validation errors, the deepest first ones of each anyOf/if branch spelled out."""
    out = []
    for e in v.iter_errors(obj):
        leaf = e
        while leaf.context:
            leaf = min(leaf.context, key=lambda x: len(x.path))
        path = "/".join(str(p) for p in leaf.absolute_path) or "(top)"
        out.append(f"{path}: {leaf.message}")
    return out


def kind(obj):
    t = obj.get("type", "?") if isinstance(obj, dict) else "?"
    return t + "/" + obj["protocol"] if isinstance(obj, dict) and "protocol" in obj else t


def report(seen, failed):
    print("types: " + " ".join(f"{k}={n}" for k, n in sorted(seen.items())))
    return 1 if failed else 0


def mode_schemas(schema_dir):
    failed = 0
    for uri, s in load(schema_dir).items():
        try:
            jsonschema.Draft202012Validator.check_schema(s)
        except jsonschema.SchemaError as e:
            print(f"{uri}: not a valid 2020-12 schema: {e.message}")
            failed += 1
        if s.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
            print(f"{uri}: $schema is not draft 2020-12")
            failed += 1
    # every $ref resolves: each schema reached through the top one with an empty object
    v = validator(schema_dir, strict=False)
    for t in v.schema["allOf"][0]["properties"]["type"]["enum"]:
        try:
            list(v.iter_errors({"type": t}))
        except jsonschema.RefResolutionError as e:
            print(f"type {t}: a $ref does not resolve: {e}")
            failed += 1
    print(f"schemas: {len(load(schema_dir))} checked")
    return 1 if failed else 0


def mode_lines(schema_dir, files):
    v = validator(schema_dir, strict=True)
    seen, failed, total = collections.Counter(), 0, 0
    for name in files:
        with open(name, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                total += 1
                try:
                    obj = json.loads(line)
                except ValueError as e:
                    print(f"{name}:{n}: not JSON: {e}")
                    failed += 1
                    continue
                errs = errors_of(v, obj)
                for e in errs[:5]:
                    print(f"{name}:{n}: {kind(obj)}: {e}")
                failed += bool(errs)
                seen[kind(obj)] += 1
    print(f"lines: {total} validated, {failed} failed")
    return report(seen, failed)


def readme_examples(path):
    """The README's ```json blocks, and its plain ``` blocks that begin with a "type" (an
    object wrapped over lines): each one object or one object a line. Blocks abbreviated
    with ... are not JSON; they are counted, not validated."""
    text = pathlib.Path(path).read_text(encoding="utf-8")
    objs, skipped = [], 0
    for lang, block in re.findall(r"^```(json|)\n(.*?)^```", text, re.S | re.M):
        if lang != "json" and not block.startswith('{"type"'):
            continue
        try:
            objs.append(json.loads(block))
            continue
        except ValueError:
            pass
        try:
            objs.extend(json.loads(l) for l in block.splitlines() if l.strip())
        except ValueError:
            skipped += 1
    return objs, skipped


def mode_readme(schema_dir, path):
    v = validator(schema_dir, strict=True)
    objs, skipped = readme_examples(path)
    seen, failed = collections.Counter(), 0
    for obj in objs:
        errs = errors_of(v, obj)
        for e in errs[:5]:
            print(f"{path}: example {kind(obj)}: {e}")
        failed += bool(errs)
        seen[kind(obj)] += 1
    print(f"readme: {len(objs)} examples validated, {failed} failed, {skipped} abbreviated blocks not JSON")
    return report(seen, failed)


def mutations(obj):
    """(what, mutated copy, refused by the strict schema, refused by the published one)."""
    out = []

    def mut(what, fn, strict_only=False):
        o = copy.deepcopy(obj)
        fn(o)
        out.append((what, o, True, not strict_only))

    keys = [k for k in obj if k not in ("type", "vantage", "sensor")]  # optional tags
    ints = [k for k in keys if type(obj[k]) is int]
    strs = [k for k in keys if isinstance(obj[k], str) and k != "protocol"]
    if ints:
        mut(f"{ints[0]} a string", lambda o: o.__setitem__(ints[0], "12"))
        mut(f"{ints[0]} negative", lambda o: o.__setitem__(ints[0], -1))
    if strs:
        mut(f"{strs[0]} a number", lambda o: o.__setitem__(strs[0], 7))
    mut(f"{keys[0]} missing", lambda o: o.pop(keys[0]))
    mut(f"{keys[-1]} missing", lambda o: o.pop(keys[-1]))
    mut("type unknown", lambda o: o.__setitem__("type", "no_such_type"))
    mut("an undeclared field", lambda o: o.__setitem__("undeclared_field", 1), strict_only=True)
    nested = [k for k in keys if isinstance(obj[k], dict) and obj[k]]
    if nested:
        mut(f"an undeclared field in {nested[0]}",
            lambda o: o[nested[0]].__setitem__("undeclared_field", 1), strict_only=True)
    if isinstance(obj.get("flags"), list):
        mut("a flag not in flags.def", lambda o: o["flags"].append("no_such_flag"))
    if "vantage" in obj:
        mut("vantage not outside or inside", lambda o: o.__setitem__("vantage", "middle"))
    if "sensor" in obj:
        mut("sensor with a quote", lambda o: o.__setitem__("sensor", 'a"b'))
    if isinstance(obj.get("end_reason"), str):
        mut("end_reason not one of the five", lambda o: o.__setitem__("end_reason", "closed"))
    return out


def mode_negative(schema_dir, files):
    strict, published = validator(schema_dir, True), validator(schema_dir, False)
    firsts = {}  # the first line of each kind: one of every object type the files hold
    for name in files:
        with open(name, encoding="utf-8") as f:
            for line in f:
                obj = json.loads(line)
                firsts.setdefault(kind(obj), obj)
    seen, failed, tried = collections.Counter(), 0, 0
    for k, obj in sorted(firsts.items()):
        if errors_of(strict, obj):
            print(f"{k}: the unmutated line is refused, so its mutations prove nothing")
            failed += 1
            continue
        for what, o, by_strict, by_published in mutations(obj):
            tried += 1
            seen[k] += 1
            if bool(errors_of(strict, o)) != by_strict:
                print(f"{k}: {what}: accepted by the strict schema")
                failed += 1
            if bool(errors_of(published, o)) != by_published:
                print(f"{k}: {what}: " + ("accepted by the published schema" if by_published
                                          else "refused by the published schema, which must tolerate new fields"))
                failed += 1
    print(f"negative: {tried} mutations of {len(firsts)} object kinds, {failed} wrong")
    return report(seen, failed)


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    d, mode, rest = argv[1], argv[2], argv[3:]
    if mode == "schemas" and not rest:
        return mode_schemas(d)
    if mode == "lines" and rest:
        return mode_lines(d, rest)
    if mode == "readme" and len(rest) == 1:
        return mode_readme(d, rest[0])
    if mode == "negative" and rest:
        return mode_negative(d, rest)
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
