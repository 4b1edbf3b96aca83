#!/usr/bin/env python3
"""Run the table-driven cases of Corpora/cases through `hilum stdio` and apply the same pass rule as
Tests/HilumNLPTests/CasesTests.swift:

- analyze cases: each expectation passes when some finding whose concept is the PadChest term's concept
  OR A MORE SPECIFIC DESCENDANT (transitive `isa`/`part_of` children, from Ontology/relations/*.tsv)
  has every listed value (assertion, certainty, temporality, experiencer, change, laterality, severity; JSON null = "null")
  and, with `location`, that PadChest localization ("loc apical") among its locations; with `locations`, exactly
  those PadChest localizations (`[]`: none);
  each forbidden term fails the case when a finding's concept.padchest equals it.
- assert cases: the target must be found (span not null) and its assertion must equal `expect`.

Usage: run_cases.py [--bin /tmp/hilum-bin] [--ontology Ontology] [--only id,id] [-v] [files...]
Exit status 1 when some case fails.
"""
import argparse
import glob
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def read_tsv(path):
    header = None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if header is None:
            header = cols
            continue
        yield dict(zip(header, cols))


def load_ontology(ont):
    by_padchest, children = {}, {}
    for f in sorted(glob.glob(os.path.join(ont, "concepts", "*.tsv"))):
        for r in read_tsv(f):
            if r.get("padchest"):
                by_padchest[r["padchest"]] = r["id"]
    for f in sorted(glob.glob(os.path.join(ont, "relations", "*.tsv"))):
        for r in read_tsv(f):
            children.setdefault(r["parent"], set()).add(r["child"])
    return by_padchest, children


def descendants(cid, children, cache={}):
    if cid in cache:
        return cache[cid]
    seen, stack = {cid}, [cid]
    while stack:
        for ch in children.get(stack.pop(), ()):
            if ch not in seen:
                seen.add(ch)
                stack.append(ch)
    cache[cid] = seen
    return seen


def val(v):
    return "null" if v is None else str(v)


def check_analyze(case, result, by_padchest, children):
    problems = []
    findings = result.get("findings", [])
    for e in case.get("expect", []):
        term = e.get("padchest")
        if term is None:
            continue
        cid = by_padchest.get(term)
        desc = descendants(cid, children) if cid else set()
        cands = [f for f in findings
                 if f["concept"].get("padchest") == term or f["concept"].get("cui") in desc]
        ok = any(all(k == "padchest"
                     or (k == "location" and any(l.get("padchest") == v for l in f.get("locations", [])))
                     or (k == "locations" and set(l.get("padchest") for l in f.get("locations", [])) == set(v))
                     or (k not in ("location", "locations") and (k not in ("assertion", "certainty", "temporality", "experiencer", "change", "laterality", "severity")
                                              or val(f.get(k)) == val(v))) for k, v in e.items()) for f in cands)
        if not ok:
            got = " | ".join("%s[%s]/%s/%s/%s/%s/%s" % (f["concept"].get("padchest") or f["concept"]["name"], f["text"],
                             f["assertion"], f["temporality"], val(f.get("change")), val(f.get("laterality")),
                             val(f.get("severity"))) for f in cands) or "nothing"
            problems.append("expected %s got %s" % (json.dumps(e, ensure_ascii=False), got))
    for t in case.get("forbid", []):
        if any(f["concept"].get("padchest") == t for f in findings):
            problems.append("found forbidden %s" % t)
    return problems


def check_assert(case, result):
    ts = result.get("targets", [])
    if not ts or ts[0].get("span") is None:
        return ["target not found"]
    if ts[0].get("assertion") != case["expect"]:
        return ["[%s] got %s, expected %s" % (case["target"], ts[0].get("assertion"), case["expect"])]
    return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="/tmp/hilum-bin")
    ap.add_argument("--ontology", default=os.path.join(ROOT, "Ontology"))
    ap.add_argument("--only", default="", help="comma-separated case ids")
    ap.add_argument("-v", "--verbose", action="store_true", help="print passing ids too")
    ap.add_argument("--list-failing", action="store_true", help="print only the failing ids, one a line")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    files = a.files or [os.path.join(ROOT, "Corpora", "cases", n)
                        for n in ("analyze-en.jsonl", "analyze-es.jsonl", "assert.jsonl")]
    only = set(x for x in a.only.split(",") if x)
    cases = []
    for f in files:
        for line in open(f, encoding="utf-8"):
            if line.strip():
                c = json.loads(line)
                if not only or c["id"] in only:
                    cases.append(c)
    reqs = []
    for i, c in enumerate(cases):
        if "target" in c:
            reqs.append({"id": str(i), "op": "assert",
                         "params": {"text": c["text"], "targets": [c["target"]], "lang": c.get("lang")}})
        else:
            reqs.append({"id": str(i), "op": "analyze", "params": {"text": c["text"], "lang": c.get("lang")}})
    inp = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in reqs)
    p = subprocess.run([a.bin, "stdio", "--ontology", a.ontology], input=inp, capture_output=True,
                       text=True, cwd=ROOT)
    if p.returncode != 0 and not p.stdout:
        sys.exit("hilum stdio failed: " + p.stderr)
    resp = {}
    for line in p.stdout.splitlines():
        if line.strip():
            r = json.loads(line)
            resp[r.get("id")] = r
    by_padchest, children = load_ontology(a.ontology)
    failed = []
    for i, c in enumerate(cases):
        r = resp.get(str(i))
        if r is None or not r.get("ok"):
            probs = ["no result: %s" % (r and r.get("error"))]
        elif "target" in c:
            probs = check_assert(c, r["result"])
        else:
            probs = check_analyze(c, r["result"], by_padchest, children)
        if probs:
            failed.append(c["id"])
            if not a.list_failing:
                print("FAIL %s: %s" % (c["id"], c["text"]))
                for pr in probs:
                    print("    " + pr)
        elif a.verbose and not a.list_failing:
            print("ok   %s" % c["id"])
    if a.list_failing:
        print("\n".join(failed))
    else:
        print("%d cases, %d passed, %d failed" % (len(cases), len(cases) - len(failed), len(failed)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
