#!/usr/bin/env python3
"""Writes Hilum's synthetic example masks (Corpora/masks/): a 512x512 8-bit label map of a frontal chest
(1 right lung, 2 left lung, 3 heart; patient right on the image's left), one binary PNG per structure, and a
CheXmask-style RLE CSV of the same shapes. Shapes are ellipses drawn here; stdlib only (zlib, struct)."""
import struct, zlib, os, sys

W, H = 512, 512
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "masks")

def inside(x, y, cx, cy, rx, ry):
    return ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1.0

def label(x, y):
    # heart drawn last so it overlaps the medial lungs, as CheXmask's heart does
    if inside(x, y, 268, 330, 82, 70): return 3
    if inside(x, y, 150, 250, 85, 175) and y > 90: return 1
    if inside(x, y, 362, 255, 80, 170) and y > 95: return 2
    return 0

def png(rows):
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))

def rle(flat):
    out, i = [], 0
    while i < len(flat):
        if flat[i]:
            j = i
            while j < len(flat) and flat[j]: j += 1
            out += [i + 1, j - i]; i = j
        else: i += 1
    return " ".join(map(str, out))

def big():
    """A 1024x1024 version (the benchmark's label map), same shapes scaled by 2."""
    global W, H
    W, H = 1024, 1024
    lab = [[label(x // 2, y // 2) for x in range(W)] for y in range(H)]
    open(os.path.join(OUT, "synthetic-labelmap-1024.png"), "wb").write(png(lab))
    with open(os.path.join(OUT, "synthetic-chexmask-1024.csv"), "w") as f:
        f.write("ImageID,Left Lung,Right Lung,Heart,Height,Width\n")
        cols = [rle([1 if lab[y][x] == v else 0 for y in range(H) for x in range(W)]) for v in (2, 1, 3)]
        f.write("synthetic-1024," + ",".join(cols) + f",{H},{W}\n")
    W, H = 512, 512

def main():
    os.makedirs(OUT, exist_ok=True)
    lab = [[label(x, y) for x in range(W)] for y in range(H)]
    open(os.path.join(OUT, "synthetic-labelmap.png"), "wb").write(png(lab))
    with open(os.path.join(OUT, "synthetic-labelmap.tsv"), "w") as f:
        f.write("# value -> region of synthetic-labelmap.png (patient right = image left)\nvalue\tregion\n1\tright lung\n2\tleft lung\n3\theart\n")
    names = {1: "right lung", 2: "left lung", 3: "heart"}
    os.makedirs(os.path.join(OUT, "synthetic-folder"), exist_ok=True)
    for v, n in names.items():
        rows = [[255 if lab[y][x] == v else 0 for x in range(W)] for y in range(H)]
        open(os.path.join(OUT, "synthetic-folder", n.replace(" ", "_") + ".png"), "wb").write(png(rows))
    with open(os.path.join(OUT, "synthetic-chexmask.csv"), "w") as f:
        f.write("ImageID,Left Lung,Right Lung,Heart,Height,Width\n")
        cols = [rle([1 if lab[y][x] == v else 0 for y in range(H) for x in range(W)]) for v in (2, 1, 3)]
        f.write("synthetic-1," + ",".join(cols) + f",{H},{W}\n")

if __name__ == "__main__":
    main()
    big()
