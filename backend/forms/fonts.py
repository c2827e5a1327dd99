"""The forms' fonts: a small build-time subset face plus the full Noto face as fallback.

WeasyPrint keeps every glyph slot up to the highest glyph used, so embedding the full Noto Sans
CJK face costs ~150 KB per form even for a Latin-only form. So the Noto face is
split once, at build time, into three faces listed in this order in the font stack:

- the common face: GB 2312 (the common Chinese set and its symbols) plus Latin, digits and
  punctuation, which is all most forms need;
- the BMP face: the rest of the Basic Multilingual Plane (rarer characters, Extension A);
- the supplementary face: characters outside the BMP such as 𠮷 (U+20BB7), ~2,600 glyphs, so a
  customer with such a character in their name costs a few KB, not a whole Noto face.

The full Noto face stays last in the stack for anything else (and in case the build was skipped).
"""

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

NOTO_CJK_PATH = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
NOTO_CJK_SC_INDEX = 2  # face order in the Debian fonts-noto-cjk collection: JP, KR, SC, TC, HK…
FALLBACK_FAMILY = "Noto Sans CJK SC"


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


def common_characters() -> set[int]:
    """Return the code points the subset face holds: GB 2312 plus Latin and punctuation."""
    code_points = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                char = bytes((high, low)).decode("gb2312")
            except UnicodeDecodeError:
                continue
            code_points.add(ord(char))
    for start, end in _EXTRA_RANGES:
        code_points.update(range(start, end + 1))
    return code_points


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


def build_face(face: Face, out_dir: Path, source: Path = NOTO_CJK_PATH) -> Path:
    """Write one subset face into out_dir unless it is already there; return its path."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    target = Path(out_dir) / face.filename
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    font = TTFont(source, fontNumber=NOTO_CJK_SC_INDEX, lazy=False)
    options = subset.Options()
    options.layout_features = ["kern", "palt", "ccmp", "locl", "liga"]
    options.name_IDs = []
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=face_characters(face.part, set(font.getBestCmap())))
    subsetter.subset(font)
    _rename(font, face.family)
    tmp = target.with_suffix(".tmp")
    font.save(tmp)
    tmp.replace(target)  # atomic, so a half-written font never counts as built
    return target


def _rename(font, family: str) -> None:
    """Give the subset face its own family name so it never shadows the system Noto face."""
    postscript = family.replace(" ", "") + "-Regular"
    name = font["name"]
    name.names = []
    for name_id, value in ((1, family), (2, "Regular"), (3, postscript), (4, family),
                           (6, postscript), (16, family), (17, "Regular")):
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
