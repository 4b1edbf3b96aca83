#!/usr/bin/env python3
"""Cue detection of Hilum's Spanish ConText rules on the NUBes/IULA+ radiology-keyword subset.

The data is read in place (never copied into the project):
    /work/shared/data/spanish-negation/nubes_iula_radiology_keyword_subset.jsonl
Each line has `text`, `annotations` (brat entities: NegSynMarker, NegLexMarker, NegMorMarker,
UncertSynMarker, UncertLexMarker and the scope entities Phrase, DISO, PROC, SUBS, BODY, OTHER)
and `relations` (`Scope` / `DiscScope` from a marker to a scope entity).

Probes, each sent to `hilum stdio` as one `assert` request:
  * gold probes: one per annotated cue (marker with at least one Scope/DiscScope). The target is
    the first content word of the first clinical entity (DISO/PROC/SUBS/BODY/OTHER) inside the
    cue's scope, or else the first content word of the scope itself. `assert` takes the *first*
    occurrence of the target in the text, so when that is not the annotated one the target grows
    by the following words (up to 4) until Hilum's returned span lies in the scope; probes that
    never do are counted as `unplaceable` and left out.
    Expected: `absent` for negation markers, `uncertain` for uncertainty markers.
  * control probes: every content word outside every annotated scope and marker (expected
    `present`), again only where Hilum's span is that occurrence.
  Content words inside a scope other than the chosen target are not probed.

Figures: for negation, TP = negation probe -> absent, FN = negation probe -> not absent,
FP = any other probe -> absent; likewise for uncertainty with `uncertain`. They are reported for all
markers (`all`), without NegMorMarker (`no_morph`: morphological negation inside one word,
"afebril", which a phrase-level cue engine cannot express), and with absent decisions made only by a
`normal` cue ("corazón normal", "sin alteraciones") counted as present (`all_no_normal`: `assert`
lets a normality predicate deny any target, while NUBes does not annotate normality predicates as
negation cues), plus recall by cue text and false alarms by deciding rule.

Usage (from the repository root, or give --cwd: hilum reads ./Ontology of its working directory):
    python3 Corpora/tools/spanish_cues_eval.py [--bin /tmp/hilum-bin] [--cwd DIR] [--errors N] [--json]
"""
import argparse
import collections
import json
import os
import re
import signal
import subprocess
import sys
import unicodedata

DATA = "/work/shared/data/spanish-negation/nubes_iula_radiology_keyword_subset.jsonl"
NEG = {"NegSynMarker", "NegLexMarker", "NegMorMarker"}
UNC = {"UncertSynMarker", "UncertLexMarker"}
CLINICAL = {"DISO", "PROC", "SUBS", "BODY", "OTHER"}

STOP = set("""
a al algo algun alguna algunas alguno algunos ambos ambas ante antes aqui asi aun bajo bien cada como con contra
cual cuales cuando de del desde donde dos el ella ellas ello ellos en entre era eran es esa esas ese eso esos esta
estaba estan estas este esto estos fue fueron ha han has hay he hemos la las le les lo los mas me mi mismo misma
muy ni no nos o otra otras otro otros para pero poco por porque que se sea segun ser si sin sido sobre son su sus
tambien tampoco tanto te tiene tienen todo toda todos todas tras tu un una uno unos unas y ya etc puede pueden
presenta presentan hace dia dias vez
""".split())

WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def fold(s):
    s = unicodedata.normalize("NFD", s.lower())
    return "".join(ch for ch in s if unicodedata.category(ch) != "Mn")


def words(text, lo, hi):
    """(start, end, word) of the words of text[lo:hi]."""
    return [(m.start() + lo, m.end() + lo, m.group()) for m in WORD.finditer(text[lo:hi])]


def is_content(w):
    f = fold(w)
    return len(f) >= 3 and f not in STOP


def inside(span, ranges):
    return any(a <= span[0] and span[1] <= b for a, b in ranges)


def overlaps(span, ranges):
    return any(span[0] < b and a < span[1] for a, b in ranges)


def load(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


def build_probes(rows):
    """Returns probes: dicts with sid, text, candidates (list of target strings), lo, hi, gold, cue, mtype."""
    probes = []
    for sid, d in enumerate(rows):
        text = d["text"]
        ann = {a["id"]: a for a in d.get("annotations", [])}
        scopes_of = collections.defaultdict(list)
        for r in d.get("relations", []):
            if r["type"] in ("Scope", "DiscScope") and r["arg1"] in ann and r["arg2"] in ann:
                scopes_of[r["arg1"]].append(ann[r["arg2"]])
        marker_spans = [tuple(s) for a in ann.values() if a["type"] in NEG | UNC for s in a["spans"]]
        all_scope_spans = [tuple(s) for lst in scopes_of.values() for e in lst for s in e["spans"]]
        # Clinical entities, to prefer a finding word over a verb or determiner in a phrase scope.
        clinical = sorted((tuple(s), a) for a in ann.values() if a["type"] in CLINICAL for s in a["spans"])
        for mid, scope_ents in scopes_of.items():
            m = ann[mid]
            gold = "absent" if m["type"] in NEG else "uncertain" if m["type"] in UNC else None
            if gold is None:
                continue
            spans = sorted(tuple(s) for e in scope_ents for s in e["spans"])
            own = [tuple(s) for s in m["spans"]]
            choice = None
            # First clinical entity inside the scope (the scope entity itself when it is one).
            for (a, b), _e in clinical:
                if inside((a, b), spans):
                    ws = [w for w in words(text, a, b) if is_content(w[2]) and not overlaps(w[:2], own)]
                    if ws:
                        choice = (ws[0], (a, b)); break
            if choice is None:
                for a, b in spans:
                    ws = [w for w in words(text, a, b) if is_content(w[2]) and not overlaps(w[:2], own)]
                    if ws:
                        choice = (ws[0], (a, b)); break
            if choice is None:
                # Morphological cues ("afebril"): the scope is the cue word itself.
                for a, b in spans:
                    ws = [w for w in words(text, a, b) if len(w[2]) >= 3]
                    if ws:
                        choice = (ws[0], (a, b)); break
            if choice is None:
                continue
            (ws, we, w), _ = choice
            following = [x for x in words(text, we, len(text))][:4]
            cands = [text[ws:we]] + [text[ws:x[1]] for x in following]
            probes.append(dict(sid=sid, text=text, cands=cands, lo=ws, hi=we, gold=gold,
                               cue=fold(m["text"]), mtype=m["type"], scope=spans))
        # Controls: content words outside all scopes and markers.
        for (a, b, w) in words(text, 0, len(text)):
            if not is_content(w) or overlaps((a, b), all_scope_spans) or overlaps((a, b), marker_spans):
                continue
            following = [x for x in words(text, b, len(text))][:4]
            probes.append(dict(sid=sid, text=text, cands=[w] + [text[a:x[1]] for x in following],
                               lo=a, hi=b, gold="present", cue="", mtype="control", scope=[(a, b)]))
    return probes


def run_hilum(binary, cwd, reqs):
    inp = "".join(json.dumps({"id": i, "op": "assert", "params": {"text": t, "targets": [tg], "lang": "es"}},
                             ensure_ascii=False) + "\n" for i, (t, tg) in enumerate(reqs))
    p = subprocess.run([binary, "stdio"], input=inp.encode("utf-8"), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, cwd=cwd, check=True)
    out = {}
    for line in p.stdout.decode("utf-8").splitlines():
        r = json.loads(line)
        out[r["id"]] = r
    return [out.get(i) for i in range(len(reqs))]


def char_span(text, byte_or_char_span):
    return byte_or_char_span  # hilum reports character offsets (checked on ASCII and accented text)


def evaluate(binary, cwd, rows):
    probes = build_probes(rows)
    pending = list(range(len(probes)))
    level = 0
    while pending and level < 5:
        reqs, idx = [], []
        for k in pending:
            p = probes[k]
            if level < len(p["cands"]):
                reqs.append((p["text"], p["cands"][level])); idx.append(k)
        if not reqs:
            break
        res = run_hilum(binary, cwd, reqs)
        nxt = []
        for k, r in zip(idx, res):
            p = probes[k]
            t = (r or {}).get("result", {}).get("targets", [{}])[0] if r and r.get("ok") else {}
            span = t.get("span")
            if span and span[0] == p["lo"]:
                p["pred"] = t.get("assertion")
                p["evidence"] = [e["rule"] for e in t.get("evidence", []) if e.get("category") in ("negation", "uncertainty", "normal", "normality")]
                p["target"] = p["cands"][level]
            else:
                nxt.append(k)
        pending, level = nxt, level + 1
    return probes


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def decided_by_normal(p):
    ev = p.get("evidence") or []
    return bool(ev) and all(e.startswith(LANG_NORMAL) for e in ev)


LANG_NORMAL = "es.normal."


def score(probes, want, gold_label, exclude=(), ignore_normal=False):
    tp = fp = fn = 0
    for p in probes:
        if "pred" not in p or p["mtype"] in exclude:
            continue
        g = p["gold"] == gold_label
        y = p["pred"] == want and not (ignore_normal and decided_by_normal(p))
        tp += g and y; fp += (not g) and y; fn += g and not y
    return tp, fp, fn


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="/tmp/hilum-bin")
    ap.add_argument("--cwd", default=".", help="directory whose ./Ontology hilum reads")
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--errors", type=int, default=0, help="print up to N misses and false alarms per category")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    a = ap.parse_args()
    if not os.path.isdir(os.path.join(a.cwd, "Ontology")):
        sys.exit(f"no Ontology/ in {a.cwd}")
    rows = list(load(a.data))
    probes = evaluate(a.bin, a.cwd, rows)
    placed = [p for p in probes if "pred" in p]
    counts = collections.Counter((p["mtype"] == "control", "pred" in p) for p in probes)
    figures = {}
    for name, want, gold in (("negation", "absent", "absent"), ("uncertainty", "uncertain", "uncertain")):
        for tag, excl, ign in (("all", (), False), ("no_morph", ("NegMorMarker",), False),
                               ("all_no_normal", (), True)):
            tp, fp, fn = score(placed, want, gold, excl, ign)
            p, r, f = prf(tp, fp, fn)
            figures[f"{name}/{tag}"] = dict(tp=tp, fp=fp, fn=fn, precision=round(p, 4), recall=round(r, 4), f1=round(f, 4))
    if a.json:
        print(json.dumps(figures, indent=1)); return
    print(f"sentences {len(rows)}; cue probes {counts[(False, True)]} placed, {counts[(False, False)]} unplaceable; "
          f"control probes {counts[(True, True)]} placed, {counts[(True, False)]} unplaceable")
    print(f"{'':24}{'TP':>6}{'FP':>6}{'FN':>6}{'P':>8}{'R':>8}{'F1':>8}")
    for k, v in figures.items():
        print(f"{k:24}{v['tp']:>6}{v['fp']:>6}{v['fn']:>6}{v['precision']:>8.3f}{v['recall']:>8.3f}{v['f1']:>8.3f}")
    by = collections.defaultdict(lambda: [0, 0])
    for p in placed:
        if p["mtype"] == "control":
            continue
        want = "absent" if p["gold"] == "absent" else "uncertain"
        by[(p["gold"], p["cue"])][0] += 1
        by[(p["gold"], p["cue"])][1] += p["pred"] == want
    print("\nrecall by cue (cues with >= 3 probes):")
    for (g, cue), (n, ok) in sorted(by.items(), key=lambda kv: -kv[1][0]):
        if n >= 3:
            print(f"  {g:10} {cue:28} {ok:>4}/{n:<4} {ok / n:.2f}")
    fa = collections.Counter()
    for p in placed:
        if p["gold"] != p["pred"] and p["pred"] in ("absent", "uncertain"):
            for e in p.get("evidence", [])[:1]:
                fa[(p["pred"], e)] += 1
    print("\nfalse alarms by rule (pred != gold):")
    for (pred, rule), n in fa.most_common(25):
        print(f"  {pred:10} {rule:36} {n}")
    if a.errors:
        shown = collections.Counter()
        for p in placed:
            kind = None
            if p["gold"] in ("absent", "uncertain") and p["pred"] != p["gold"]:
                kind = f"miss-{p['gold']}"
            elif p["gold"] == "present" and p["pred"] != "present":
                kind = f"false-{p['pred']}"
            if kind and shown[kind] < a.errors:
                shown[kind] += 1
                print(f"\n[{kind}] cue={p['cue']!r} target={p['target']!r} pred={p['pred']} rules={p.get('evidence')}\n  {p['text']}")


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    main()
