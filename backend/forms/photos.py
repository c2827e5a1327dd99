"""Photos at their printed size: the Service Form prints each in a box 43.5 mm wide.

The app uploads photos 1,600 px on the long side (~200 KB); WeasyPrint would embed every one at
full size (its `dpi` option only applies to images loaded with that option, and then decodes
and re-encodes them twice). Shrunk here, once per attachment and job, to cover the box at
PRINT_DPI, a photo is ~10-20 KB: the HTML, the PDF and its hash for the seal all get smaller.
"""

import io
import math

from PIL import Image, ImageOps

# The box `.photos img` fills in templates/forms/print.css (box-sizing: border-box, a 0.6 pt border,
# object-fit: cover): the photo is drawn inside the border. tests/forms/test_photos.py checks they agree.
PHOTO_BOX_MM = (43.5, 33.0)
PHOTO_BORDER_PT = 0.6
# Print resolution of the photos: a laser printer's photocopy-legible 200 dpi (write_pdf's dpi).
PRINT_DPI = 200
JPEG_QUALITY = 85

_MM_PER_INCH = 25.4
_MM_PER_PT = _MM_PER_INCH / 72
# EXIF orientations that turn the picture a quarter: its stored width is its printed height.
_QUARTER_TURNS = {5, 6, 7, 8}


def box_pixels(dpi: int = PRINT_DPI) -> tuple[int, int]:
    """Return the photo box's inside (within its border) in pixels at dpi, rounded up."""
    inner = [side - 2 * PHOTO_BORDER_PT * _MM_PER_PT for side in PHOTO_BOX_MM]
    return tuple(math.ceil(side / _MM_PER_INCH * dpi) for side in inner)


def printed_size(width: int, height: int, dpi: int = PRINT_DPI) -> tuple[int, int]:
    """Return the size a width × height photo needs to cover the box at dpi, never larger than it is."""
    box_w, box_h = box_pixels(dpi)
    scale = min(1.0, max(box_w / width, box_h / height))  # cover: the box's both sides at least dpi
    return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


def shrink_photo(content: bytes, mime_type: str) -> tuple[bytes, str]:
    """Return the photo (JPEG, PNG or WebP) at its printed size, upright, as JPEG (PNG if transparent).

    A photo that is already no larger than its printed size is returned as it is.
    """
    with Image.open(io.BytesIO(content)) as image:
        turned = image.getexif().get(0x0112) in _QUARTER_TURNS
        upright = (image.height, image.width) if turned else image.size
        target = printed_size(*upright)
        if target == upright:
            return content, mime_type
        # A JPEG decodes straight at 1/2, 1/4 or 1/8 of its size (no larger than needed): the
        # full 1,600 px picture is never decoded.
        image.draft(None, (target[1], target[0]) if turned else target)
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
            image, kind = image.convert("RGBA"), "PNG"
        else:
            image, kind = image.convert("L" if image.mode in ("L", "1") else "RGB"), "JPEG"
        image = image.resize(target, Image.Resampling.LANCZOS)
        out = io.BytesIO()
        if kind == "JPEG":
            image.save(out, "JPEG", quality=JPEG_QUALITY)
        else:
            image.save(out, "PNG")
    return out.getvalue(), f"image/{kind.lower()}"
