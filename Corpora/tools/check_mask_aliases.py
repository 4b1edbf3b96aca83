#!/usr/bin/env python3
"""Check the segmentation class-name aliases (name -> Hilum region).

Checks:
- the header is `name region source` and every row has three cells;
- every `name` is written folded (lower case, '_' and '-' as spaces, single spaces), is unique, and does not
  fold to a region name (those match directly and need no row);
- every `region` is a region of Ontology/regions.tsv, spelled exactly;
- every `source` item ('|'-separated) is a known convention;
- a fixed list of class names as datasets write them (CheXmask, JSRT/SCR, PAX-Ray, PAX-Ray++, gb-multilabel,
  ChestX-Det, V7, generic) resolves to the expected region (region name first, then alias).

Usage: check_mask_aliases.py [--aliases PATH] [--ontology DIR] [--paxray LABELS_TSV] [-v]
The alias file defaults to Ontology/masks/aliases.tsv.
With -v (and the shared PAX-Ray label list, default ../shared/data/paxray/paxray-labels.tsv) it also lists the
PAX-Ray / PAX-Ray++ labels that resolve to no region. Exit status 1 on any problem.
"""
import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

COLUMNS = ["name", "region", "source"]
SOURCES = {"chexmask", "paxray", "paxray++", "jsrt-scr", "gb-multilabel", "chestx-det", "chestx-seg40", "v7",
           "generic"}

# Class names exactly as the datasets write them, and the region each must resolve to.
EXPECTED = [
    # CheXmask (columns / landmark groups) and its example file stems
    ("Right Lung", "right lung"), ("Left Lung", "left lung"), ("Heart", "heart"),
    ("RL", "right lung"), ("LL", "left lung"), ("H", "cardiac silhouette"),
    # JSRT / SCR mask folders
    ("right_lung", "right lung"), ("left_lung", "left lung"), ("heart", "heart"),
    ("left_clavicle", "left clavicle"), ("right_clavicle", "right clavicle"),
    # PAX-Ray (snake_case)
    ("lung_overall", "lung"), ("lung_left", "left lung"), ("lung_right", "right lung"),
    ("lung_right_lobeupper", "lung upper lobe right"), ("lung_right_lobemiddle", "lung middle lobe right"),
    ("lung_left_lobelower", "lung lower lobe left"), ("mediastinum_overall", "mediastinum"),
    ("mediastinum_upper", "upper mediastinum"), ("mediastinum_posterior", "posterior mediastinum"),
    ("airways", "trachea"), ("aorta", "aorta"), ("aorta_arch", "aortic arch"),
    ("aorta_descending", "descending aorta"), ("hemidiaphragm_left", "left hemidiaphragm"),
    ("hemidiaphragm_right", "right hemidiaphragm"), ("diaphragm", "diaphragm"), ("spine", "spine"),
    ("t7", "vertebrae T7"), ("l3", "vertebrae L3"), ("rib_left_posterior_12", "posterior 12th rib left"),
    ("rib_right_anterior_1", "anterior 1st rib right"),
    # PAX-Ray++ / CXAS
    ("clavicle left", "left clavicle"), ("scapula right", "scapula right"), ("cardiomediastinum", "mediastinum"),
    ("heart atrium right", "right atrium"), ("vertebrae T1", "vertebrae T1"), ("right lung base", "right lower lung zone"),
    ("left apical zone lung", "left apical zone"), ("tracheal bifurcation", "carina"), ("breast left", "left breast"),
    ("posterior 3rd rib left", "posterior 3rd rib left"),
    # gb-multilabel
    ("Cardiomediastinum", "mediastinum"), ("Airways", "trachea"),
    # ChestX-Det
    ("Left Clavicle", "left clavicle"), ("Right Scapula", "scapula right"), ("Left Hilus Pulmonis", "left hilar structures"),
    ("Right Hilus Pulmonis", "right hilar structures"), ("Aorta", "aorta"), ("Facies Diaphragmatica", "diaphragm"),
    ("Mediastinum", "mediastinum"), ("Weasand", "trachea"), ("Spine", "spine"),
    # V7
    ("Lung", "lung"),
    # generic
    ("lungs", "lung"), ("both lungs", "lung"), ("L-lung", "left lung"), ("R_Lung", "right lung"), ("rt lung", "right lung"),
    ("lt lung", "left lung"), ("heart shadow", "cardiac silhouette"), ("Cardio-Mediastinum", "mediastinum"),
]


def fold(name):
    return re.sub(r" +", " ", re.sub(r"[_-]", " ", name.lower())).strip()


def read_table(path):
    header, rows = None, []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip() or line.startswith("#"):
                continue
            cells = [c.strip() for c in line.split("\t")]
            if header is None:
                header = cells
            else:
                rows.append((n, cells))
    return header, rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--aliases", default=os.path.join(ROOT, "Ontology", "masks", "aliases.tsv"))
    ap.add_argument("--ontology", default=os.path.join(ROOT, "Ontology"))
    ap.add_argument("--paxray", default=os.path.join(ROOT, "..", "shared", "data", "paxray", "paxray-labels.tsv"))
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    problems = []
    rel = os.path.relpath(args.aliases, ROOT)

    def problem(line, msg):
        problems.append(f"{rel}:{line}: {msg}")

    rheader, rrows = read_table(os.path.join(args.ontology, "regions.tsv"))
    regions = {dict(zip(rheader, cells))["region"] for _, cells in rrows}
    folded_regions = {fold(r): r for r in regions}

    header, rows = read_table(args.aliases)
    if header != COLUMNS:
        problem(0, f"header must be {' '.join(COLUMNS)}, found {header}")
        rows = []

    alias, where = {}, {}
    for n, cells in rows:
        if len(cells) != len(COLUMNS):
            problem(n, f"expected {len(COLUMNS)} cells, found {len(cells)}")
            continue
        name, region, source = cells
        if not name:
            problem(n, "empty name")
            continue
        if fold(name) != name:
            problem(n, f"name '{name}' is not written folded (should be '{fold(name)}')")
        if fold(name) in folded_regions:
            problem(n, f"name '{name}' is the region '{folded_regions[fold(name)]}' itself; drop the row")
        if region not in regions:
            problem(n, f"unknown region '{region}'")
        for s in source.split("|"):
            if s not in SOURCES:
                problem(n, f"unknown source '{s}' (known: {', '.join(sorted(SOURCES))})")
        key = fold(name)
        if key in alias:
            problem(n, f"duplicate name '{name}' (line {where[key]})")
            continue
        alias[key], where[key] = region, n

    def resolve(cls):
        k = fold(cls)
        return folded_regions.get(k) or alias.get(k)

    for cls, want in EXPECTED:
        got = resolve(cls)
        if got != want:
            problem(0, f"class '{cls}' resolves to {got!r}, expected '{want}'")

    for p in problems:
        print(p, file=sys.stderr)
    print(f"{len(rows)} alias rows, {len(regions)} regions, {len(EXPECTED)} dataset class names checked; "
          f"{len(problems)} problem(s)")

    if args.verbose and os.path.exists(args.paxray):
        h, prow = read_table(args.paxray)
        labels = [dict(zip(h, c)) for _, c in prow]
        unresolved = [f"{r['dataset']} {r['index']} {r['label']}" for r in labels if not resolve(r["label"])]
        print(f"PAX-Ray/PAX-Ray++ labels: {len(labels) - len(unresolved)} of {len(labels)} resolve; unresolved:")
        for u in unresolved:
            print("  ", u)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
