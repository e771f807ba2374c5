#!/usr/bin/env python3
"""Regenerate the bundled CJK UI font(s) under assets/fonts/.

Source : Debian bookworm package `fonts-noto-cjk` (Noto Sans CJK 2.004),
         /usr/share/fonts/opentype/noto/NotoSansCJK-{Regular,Bold}.ttc
Output : assets/fonts/NotoSansSC-Pingan-Subset.ttf       (Regular)
         assets/fonts/NotoSansSC-Pingan-Subset-Bold.ttf  (Bold, optional)

Steps:
  1. pick the "Noto Sans CJK SC" face out of the TTC (found via the name table),
  2. subset it (fontTools.subset) to ASCII, Latin-1, general punctuation,
     arrows, geometric shapes, enclosed alphanumerics, CJK symbols &
     punctuation, fullwidth forms and every character of GB2312;
     hinting dropped, only the 'kern' layout feature kept, all name records
     (incl. copyright / licence IDs 0, 13, 14) kept,
  3. convert CFF outlines to TrueType quadratic glyf outlines
     (same approach as fontTools' Snippets/otf2ttf.py: Cu2QuPen,
     max_err=1.0, reverse_direction=True, maxp 1.0, sfntVersion 0x00010000),
  4. verify the result.

Usage (from the repository root):
    apt-get install -y fonts-noto-cjk
    pip install fonttools brotli
    python3 packaging/make_font_subset.py            # Regular + Bold
    python3 packaging/make_font_subset.py --no-bold  # Regular only
"""

import argparse
import os
import sys

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

FONT_DIR = "/usr/share/fonts/opentype/noto"
FAMILY = "Noto Sans CJK SC"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO_ROOT, "assets", "fonts")

MAX_ERR = 1.0            # cu2qu approximation error, font units (1000 upem)
POST_FORMAT = 3.0        # no glyph names stored -> smaller file
SIZE_LIMIT = 6 * 1024 * 1024

RANGES = [
    (0x0020, 0x007E),  # ASCII printable
    (0x00A0, 0x00FF),  # Latin-1 supplement
    (0x2000, 0x206F),  # General punctuation
    (0x2190, 0x21FF),  # Arrows
    (0x25A0, 0x25FF),  # Geometric shapes
    (0x2460, 0x24FF),  # Enclosed alphanumerics
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF00, 0xFFEF),  # Halfwidth and fullwidth forms
]

CHECK_TEXT = "平安余杭区网格员事件纠纷火警已逾期ABC123"


def gb2312_chars():
    """Every character encodable in GB2312 (symbols + level 1 + level 2 hanzi)."""
    chars = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def wanted_codepoints():
    cps = set()
    for lo, hi in RANGES:
        cps.update(range(lo, hi + 1))
    cps.update(ord(c) for c in gb2312_chars())
    return cps


def find_face(ttc_path, family):
    coll = TTCollection(ttc_path, lazy=True)
    for i, f in enumerate(coll.fonts):
        if f["name"].getDebugName(1) == family:
            return i
    raise SystemExit(f"{family!r} not found in {ttc_path}")


def subset_face(ttc_path, index, unicodes):
    font = TTFont(ttc_path, fontNumber=index)
    opts = subset.Options()
    opts.layout_features = ["kern"]
    opts.hinting = False
    opts.desubroutinize = True
    opts.name_IDs = ["*"]          # keep copyright / licence / trademark records
    opts.name_languages = ["*"]
    opts.name_legacy = True
    opts.notdef_outline = True
    opts.recalc_bounds = True
    opts.drop_tables += ["BASE", "VORG", "vhea", "vmtx", "DSIG"]
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=unicodes)  # codepoints missing from the font are ignored
    sub.subset(font)
    return font


def otf_to_ttf(font, max_err=MAX_ERR, post_format=POST_FORMAT):
    """CFF -> glyf, after fontTools Snippets/otf2ttf.py."""
    assert font.sfntVersion == "OTTO" and "CFF " in font
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()

    glyphs = {}
    for name in glyph_order:
        tt_pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(tt_pen, max_err, reverse_direction=True))
        glyphs[name] = tt_pen.glyph()

    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = glyphs
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    glyf.compile(font)

    # lsb must equal xMin for TrueType outlines
    hmtx = font["hmtx"]
    for name, g in glyf.glyphs.items():
        aw, _ = hmtx.metrics[name]
        hmtx.metrics[name] = (aw, getattr(g, "xMin", 0))

    font["maxp"] = maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    maxp.maxTwilightPoints = 0
    maxp.maxStorage = 0
    maxp.maxFunctionDefs = 0
    maxp.maxInstructionDefs = 0
    maxp.maxStackElements = 0
    maxp.maxSizeOfInstructions = 0
    maxp.maxComponentElements = max(
        len(getattr(g, "components", None) or []) for g in glyf.glyphs.values()
    )
    maxp.compile(font)

    post = font["post"]
    post.formatType = post_format
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = glyph_order

    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"
    return font


def verify(path):
    f = TTFont(path)
    assert f.sfntVersion == "\x00\x01\x00\x00", "not a TrueType-flavoured sfnt"
    assert "glyf" in f and "CFF " not in f, "missing glyf / still has CFF"
    cmap = f.getBestCmap()
    missing = [c for c in CHECK_TEXT if ord(c) not in cmap]
    assert not missing, f"unmapped characters: {missing}"
    glyf = f["glyf"]
    for c in CHECK_TEXT:
        g = glyf[cmap[ord(c)]]
        assert g.numberOfContours > 0, f"empty outline for {c!r}"
    n = f["maxp"].numGlyphs
    size = os.path.getsize(path)
    print(f"{os.path.basename(path)}: {size} bytes ({size / 1048576:.2f} MiB), "
          f"{n} glyphs, {len(cmap)} mapped codepoints, "
          f"family={f['name'].getDebugName(1)!r}")
    return size


def build(weight, out_name, unicodes):
    ttc = os.path.join(FONT_DIR, f"NotoSansCJK-{weight}.ttc")
    idx = find_face(ttc, FAMILY)
    print(f"{ttc}: face #{idx} = {FAMILY} {weight}")
    font = subset_face(ttc, idx, unicodes)
    otf_to_ttf(font)
    out = os.path.join(OUT_DIR, out_name)
    font.recalcTimestamp = False  # keep the source's head.modified -> reproducible output
    font.save(out)
    size = verify(out)
    if size > SIZE_LIMIT:
        print(f"WARNING: {out_name} exceeds {SIZE_LIMIT} bytes", file=sys.stderr)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-bold", action="store_true", help="only build the Regular face")
    args = ap.parse_args()
    os.makedirs(OUT_DIR, exist_ok=True)
    unicodes = wanted_codepoints()
    print(f"{len(unicodes)} requested codepoints "
          f"({len(gb2312_chars())} from GB2312)")
    build("Regular", "NotoSansSC-Pingan-Subset.ttf", unicodes)
    if not args.no_bold:
        build("Bold", "NotoSansSC-Pingan-Subset-Bold.ttf", unicodes)


if __name__ == "__main__":
    main()
