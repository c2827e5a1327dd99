"""The forms' fonts: small build-time subset faces plus the full Noto face as fallback.

WeasyPrint keeps every glyph slot up to the highest glyph used, so embedding the full Noto Sans
CJK face costs ~150 KB per form even for a Latin-only form. So the Noto face is
split once, at build time, into three faces listed in this order in the font stack:

- the common face: GB 2312 (the common Chinese set and its symbols) plus Latin, digits and
  punctuation, which is all most forms need;
- the BMP face: the rest of the Basic Multilingual Plane (rarer characters, Extension A);
- the supplementary face: characters outside the BMP such as 𠮷 (U+20BB7), ~2,600 glyphs, so a
  customer with such a character in their name costs a few KB, not a whole Noto face.

The full Noto face stays last in the stack for anything else (and in case the build was skipped).

WeasyPrint subsets with the glyph ids kept, so an embedded face costs (and takes time to subset)
in proportion to the highest glyph id a form uses. The build therefore renumbers the glyphs of the
common face: Latin, punctuation and the 3,755 level-1 characters of GB 2312 first, so a typical form
uses glyph ids below ~4,100 of the common face's ~8,000.

The faces are cut with HarfBuzz's subsetter (seconds; fontTools took minutes), then renumbered
and renamed with fontTools. Each face records BUILD_VERSION, so a changed build replaces it.
"""

import logging
import sys
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

log = logging.getLogger(__name__)

NOTO_CJK_PATH = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
NOTO_CJK_SC_INDEX = 2  # face order in the Debian fonts-noto-cjk collection: JP, KR, SC, TC, HK…
FALLBACK_FAMILY = "Noto Sans CJK SC"
# Bump when what a face holds or its glyph order changes: `make fonts` then rebuilds the faces.
BUILD_VERSION = "doorstep-fonts 2"
# No locl: the SC face's cmap already gives the Simplified Chinese forms, and locl would pull in
# ~5,800 Japanese, Korean and Traditional forms. The rare-character faces need no shaping at all
# (no kerning or ligatures among rare ideographs). No vertical metrics: the forms are horizontal.
COMMON_LAYOUT_FEATURES = ["ccmp", "kern", "liga"]
DROPPED_TABLES = ["vhea", "vmtx", "VORG"]


@dataclass(frozen=True)
class Face:
    """One build-time subset face of Noto Sans CJK SC."""

    family: str
    filename: str
    part: str  # common | bmp | supplementary


FACES = (
    Face("Doorstep Sans SC", "DoorstepSansSC-Regular.otf", "common"),
    Face("Doorstep Sans SC BMP", "DoorstepSansSCBMP-Regular.otf", "bmp"),
    Face("Doorstep Sans SC Supplementary", "DoorstepSansSCSupp-Regular.otf", "supplementary"),
)

_EXTRA_RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x017F),  # Latin-1 supplement and Latin Extended-A (names, addresses)
    (0x2000, 0x206F),  # general punctuation
    (0x2100, 0x214F),  # letterlike symbols (℃, №)
    (0x2190, 0x21FF),  # arrows
    (0x2460, 0x24FF),  # enclosed numerals
    (0x25A0, 0x25FF),  # geometric shapes (□ ■ used as tick boxes)
    (0x2600, 0x26FF),  # miscellaneous symbols (☐ ☑ ★)
    (0x2700, 0x27BF),  # dingbats (✓ ✔)
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF00, 0xFFEF),  # full-width forms
)


def _gb2312_rows(first: int, last: int) -> list[int]:
    """Return the code points of GB 2312 rows first..last (0xA1-based), in GB 2312 order."""
    code_points = []
    for high in range(first, last + 1):
        for low in range(0xA1, 0xFF):
            try:
                code_points.append(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return code_points


def common_characters() -> set[int]:
    """Return the code points the subset face holds: GB 2312 plus Latin and punctuation."""
    code_points = set(_gb2312_rows(0xA1, 0xF7))
    for start, end in _EXTRA_RANGES:
        code_points.update(range(start, end + 1))
    return code_points


def glyph_priority() -> list[int]:
    """Return code points in the order their glyphs get the lowest glyph ids: the most used first."""
    latin = [*range(0x20, 0x7F), *range(0xA0, 0x180)]
    symbols_and_full_width = _gb2312_rows(0xA1, 0xA1) + _gb2312_rows(0xA3, 0xA3)
    level_one = _gb2312_rows(0xB0, 0xD7)  # the 3,755 common characters, by pinyin
    ordered = dict.fromkeys(latin + symbols_and_full_width + level_one)
    for start, end in _EXTRA_RANGES:
        ordered.update(dict.fromkeys(range(start, end + 1)))
    ordered.update(dict.fromkeys(_gb2312_rows(0xA2, 0xF7)))  # the rest, level 2 last
    return list(ordered)


def face_characters(part: str, available: set[int]) -> set[int]:
    """Return the code points of available that go into the given part's face."""
    common = common_characters() & available
    if part == "common":
        return common
    if part == "bmp":
        return {cp for cp in available - common if cp <= 0xFFFF}
    return {cp for cp in available if cp > 0xFFFF}


def build_faces(out_dir: Path, source: Path = NOTO_CJK_PATH) -> list[Path]:
    """Write every subset face into out_dir unless it is already there; return their paths."""
    return [build_face(face, out_dir, source) for face in FACES]


def is_built(path: Path) -> bool:
    """Tell whether path holds a face made by this version of the build."""
    from fontTools.ttLib import TTFont

    if not path.exists():
        return False
    return TTFont(path, lazy=True)["name"].getDebugName(5) == BUILD_VERSION


def build_face(face: Face, out_dir: Path, source: Path = NOTO_CJK_PATH) -> Path:
    """Write one subset face into out_dir unless it is already there; return its path."""
    from fontTools.ttLib import TTFont

    from backend.forms.hb_subset import subset_face

    target = Path(out_dir) / face.filename
    if is_built(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    available = set(TTFont(source, fontNumber=NOTO_CJK_SC_INDEX, lazy=True).getBestCmap())
    common = face.part == "common"
    data = subset_face(
        source,
        NOTO_CJK_SC_INDEX,
        face_characters(face.part, available),
        layout_features=COMMON_LAYOUT_FEATURES if common else [],
        drop_tables=DROPPED_TABLES + ([] if common else ["GSUB", "GPOS", "GDEF"]),
    )
    # HarfBuzz set the bounding boxes; recomputing them would draw every glyph (minutes).
    font = TTFont(BytesIO(data), recalcBBoxes=False)
    if common:
        _renumber_glyphs(font, glyph_priority())
    _rename(font, face.family)
    tmp = target.with_suffix(".tmp")
    font.save(tmp)
    tmp.replace(target)  # atomic, so a half-written font never counts as built
    return target


def _renumber_glyphs(font, priority: list[int]) -> None:
    """Give the glyphs of the code points listed first the lowest glyph ids (.notdef stays 0)."""
    rank = {code_point: i for i, code_point in enumerate(priority)}
    glyph_rank = {}
    for code_point, glyph in font.getBestCmap().items():
        key = rank.get(code_point, len(rank) + code_point)
        glyph_rank[glyph] = min(glyph_rank.get(glyph, key), key)
    old_order = font.getGlyphOrder()
    old_id = {glyph: i for i, glyph in enumerate(old_order)}
    unmapped = len(rank) + 0x110000  # glyphs reached only through GSUB keep their order, last
    new_order = old_order[:1] + sorted(
        old_order[1:], key=lambda glyph: (glyph_rank.get(glyph, unmapped), old_id[glyph])
    )
    font.ensureDecompiled()  # tables that refer to glyphs by id must be read before renumbering
    top = font["CFF "].cff.topDictIndex[0]
    char_strings = top.CharStrings
    index = char_strings.charStringsIndex
    items = [index[i] for i in range(len(index))]  # reads any charstring not read yet
    for lazy_reader in ("file", "offsets"):
        if hasattr(index, lazy_reader):
            delattr(index, lazy_reader)
    in_charset = {glyph: i for i, glyph in enumerate(top.charset)}
    permutation = [in_charset[glyph] for glyph in new_order]
    index.items = [items[i] for i in permutation]
    char_strings.charStrings = {glyph: i for i, glyph in enumerate(new_order)}
    if hasattr(top, "FDSelect"):
        select = top.FDSelect
        select.gidArray = [select.gidArray[i] for i in permutation]
        select.format = None
    top.charset = new_order
    font.setGlyphOrder(new_order)
    _sort_coverages(font)


def _sort_coverages(font) -> None:
    """Re-sort the kerning tables by the new glyph ids: shaping binary-searches them.

    The ligature lookups fontTools sorts itself when it writes them; any other kind of lookup
    fails the build rather than leaving a table that silently stops matching.
    """
    by_id = font.getGlyphID
    for tag in ("GSUB", "GPOS"):
        if tag not in font:
            continue
        for lookup in font[tag].table.LookupList.Lookup:
            for subtable in lookup.SubTable:
                kind = type(subtable).__name__
                if kind == "LigatureSubst":
                    continue
                if kind != "PairPos":
                    raise ValueError(f"{tag} lookup {kind} not handled by the glyph renumbering")
                if subtable.Format == 1:  # one pair set per covered glyph, in coverage order
                    pairs = list(zip(subtable.Coverage.glyphs, subtable.PairSet, strict=True))
                subtable.Coverage.glyphs.sort(key=by_id)
                if subtable.Format == 1:
                    pairs.sort(key=lambda pair: by_id(pair[0]))
                    subtable.PairSet = [pair_set for _, pair_set in pairs]
                    for pair_set in subtable.PairSet:
                        pair_set.PairValueRecord.sort(key=lambda record: by_id(record.SecondGlyph))


def _rename(font, family: str) -> None:
    """Give the subset face its own family name so it never shadows the system Noto face."""
    postscript = family.replace(" ", "") + "-Regular"
    name = font["name"]
    name.names = []
    for name_id, value in (
        (1, family),
        (2, "Regular"),
        (3, postscript),
        (4, family),
        (5, BUILD_VERSION),
        (6, postscript),
        (16, family),
        (17, "Regular"),
    ):
        name.setName(value, name_id, 3, 1, 0x409)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [postscript]
        top = cff.topDictIndex[0]
        for key in ("FullName", "FamilyName"):
            if hasattr(top, key):
                setattr(top, key, family)


def harfbuzz_subset_available() -> bool:
    """Tell whether WeasyPrint found libharfbuzz-subset (without it, subsetting is ~40× slower)."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))


def full_face_available() -> bool:
    """Tell whether the full Noto Sans CJK face (the fallback for rare characters) is installed."""
    return NOTO_CJK_PATH.exists()


def main(argv: list[str]) -> int:
    """Build the subset faces into the directory given on the command line."""
    out_dir = Path(argv[1]) if len(argv) > 1 else Path("instance/fonts")
    for path in build_faces(out_dir):
        print(f"{path} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
