#!/usr/bin/env python3
"""Check Ontology/imagenome/attributes.tsv (Hilum concept -> Chest ImaGenome attribute).

Checks:
- the header is `attribute category concepts note` and every row has four cells;
- every (attribute, category) pair is in Chest ImaGenome's attribute list, and no attribute has two rows;
- every attribute of the finding categories (anatomicalfinding, disease, technicalassessment, tubesandlines,
  device/devices) has a row; modifier categories (nlp, texture, temporal, severity, laterality) have none;
- every concept id exists in Ontology/concepts/*.tsv, is not an anatomy concept, and appears in one row only;
- the nearest-listed-ancestor lookup has no ties: no finding concept reaches two different rows at the same
  (smallest) number of `isa` edges.

Usage: check_imagenome_attributes.py [--attributes PATH] [--ontology DIR] [-v] [IMAGENOME_ATTRIBUTES_TSV]
The ImaGenome list defaults to ../shared/data/imagenome/imagenome_attributes.tsv relative to the project root.
-v lists the finding/diagnosis concepts that map to no attribute. Exit status 1 on any problem.
"""
import argparse
import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

FINDING_CATEGORIES = {"anatomicalfinding", "disease", "technicalassessment", "tubesandlines", "device", "devices"}
MODIFIER_CATEGORIES = {"nlp", "texture", "temporal", "severity", "laterality"}
COLUMNS = ["attribute", "category", "concepts", "note"]


def tsv_rows(path):
    """Yields (line number, cells) of the data rows; the first non-comment row is returned as line 0 header."""
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip() or line.startswith("#"):
                continue
            yield n, [c.strip() for c in line.split("\t")]


def read_table(path):
    header, rows = None, []
    for n, cells in tsv_rows(path):
        if header is None:
            header = cells
        else:
            rows.append((n, cells))
    return header, rows


def load_concepts(ont):
    kinds = {}
    for path in sorted(glob.glob(os.path.join(ont, "concepts", "*.tsv"))):
        header, rows = read_table(path)
        for _, cells in rows:
            row = dict(zip(header, cells))
            kinds[row["id"]] = (row.get("kind", ""), row.get("preferred_en", ""))
    return kinds


def load_isa_parents(ont):
    parents = {}
    for path in sorted(glob.glob(os.path.join(ont, "relations", "*.tsv"))):
        header, rows = read_table(path)
        for _, cells in rows:
            row = dict(zip(header, cells))
            if row.get("rel") == "isa":
                parents.setdefault(row["child"], []).append(row["parent"])
    return parents


def nearest_rows(concept, parents, row_of):
    """The set of rows reached at the smallest isa distance from concept (itself = distance 0), and the distance."""
    frontier, seen, dist = {concept}, {concept}, 0
    while frontier:
        hits = {row_of[c] for c in frontier if c in row_of}
        if hits:
            return hits, dist
        nxt = set()
        for c in frontier:
            for p in parents.get(c, []):
                if p not in seen:
                    seen.add(p)
                    nxt.add(p)
        frontier, dist = nxt, dist + 1
    return set(), None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("imagenome", nargs="?",
                    default=os.path.join(ROOT, "..", "shared", "data", "imagenome", "imagenome_attributes.tsv"))
    ap.add_argument("--attributes", default=os.path.join(ROOT, "Ontology", "imagenome", "attributes.tsv"))
    ap.add_argument("--ontology", default=os.path.join(ROOT, "Ontology"))
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    problems = []

    def problem(line, msg):
        problems.append(f"{os.path.relpath(args.attributes, ROOT)}:{line}: {msg}")

    # Chest ImaGenome's own list: category, attribute.
    ig_header, ig_rows = read_table(args.imagenome)
    if ig_header != ["category", "attribute"]:
        print(f"{args.imagenome}: unexpected header {ig_header}", file=sys.stderr)
        return 1
    imagenome = {(cells[1], cells[0]) for _, cells in ig_rows if len(cells) == 2}

    concepts = load_concepts(args.ontology)
    parents = load_isa_parents(args.ontology)

    header, rows = read_table(args.attributes)
    if header != COLUMNS:
        problem(0, f"header must be {' '.join(COLUMNS)}, found {header}")
        rows = []

    seen_attr, row_of, listed = {}, {}, 0
    for n, cells in rows:
        if len(cells) != len(COLUMNS):
            problem(n, f"expected {len(COLUMNS)} cells, found {len(cells)}")
            continue
        attr, cat, cell, _note = cells
        if (attr, cat) not in imagenome:
            problem(n, f"'{cat}|{attr}' is not a Chest ImaGenome attribute")
        if cat in MODIFIER_CATEGORIES:
            problem(n, f"category '{cat}' is a modifier; this file lists finding categories only")
        if attr in seen_attr:
            problem(n, f"attribute '{attr}' already has a row (line {seen_attr[attr]})")
        seen_attr.setdefault(attr, n)
        ids = [c.strip() for c in cell.split(",") if c.strip()] if cell else []
        if cell and len(ids) != len(cell.split(",")):
            problem(n, "empty item in the concept list")
        if not ids and not _note:
            problem(n, "empty concepts need a note saying why")
        for c in ids:
            listed += 1
            if c not in concepts:
                problem(n, f"unknown concept {c}")
                continue
            if concepts[c][0] == "anatomy":
                problem(n, f"{c} ({concepts[c][1]}) is an anatomy concept, not a finding")
            if c in row_of:
                problem(n, f"{c} ({concepts[c][1]}) already listed for '{row_of[c][1]}' (line {row_of[c][0]})")
                continue
            row_of[c] = (n, attr)

    for attr, cat in sorted(imagenome, key=lambda p: (p[1], p[0])):
        if cat in FINDING_CATEGORIES and attr not in seen_attr:
            problem(0, f"missing row for '{cat}|{attr}'")

    # Nearest-listed-ancestor lookup must be unambiguous for every finding-like concept.
    unmapped, mapped = [], 0
    for c, (kind, name) in sorted(concepts.items()):
        if kind == "anatomy":
            continue
        hits, dist = nearest_rows(c, parents, row_of)
        if len(hits) > 1:
            where = ", ".join(f"'{a}' (line {ln})" for ln, a in sorted(hits))
            problem(0, f"{c} ({name}) reaches {where} at the same distance {dist}; list it in one row")
        elif hits:
            mapped += 1
        else:
            unmapped.append(f"{c} ({kind}: {name})")

    for p in problems:
        print(p, file=sys.stderr)
    print(f"{len(rows)} attribute rows, {listed} listed concepts, {mapped} finding/diagnosis/global concepts map to an "
          f"attribute, {len(unmapped)} map to none; {len(problems)} problem(s)")
    if args.verbose:
        for u in unmapped:
            print("  unmapped:", u)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
