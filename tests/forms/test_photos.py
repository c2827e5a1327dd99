"""Photos are printed at their printed size: shrunk before rendering, never below print resolution."""

import io
import re
import subprocess

from PIL import Image, ImageFilter
from sqlalchemy import select

from backend.extensions import db
from backend.forms import photos
from backend.forms.models import Form
from backend.forms.render import TEMPLATE_DIR
from tests.forms.pdftools import pdftotext, qpdf_check, seal_status


def app_photo(size=(1600, 1200), fmt="JPEG", mode="RGB", exif=None) -> bytes:
    """A photo as the app uploads it: 1,600 px on the long side, noisy like a real picture."""
    grain = Image.effect_noise(size, 60).filter(ImageFilter.GaussianBlur(2))
    image = Image.merge("RGB", [grain, grain.transpose(Image.Transpose.FLIP_TOP_BOTTOM), grain]).convert(mode)
    buffer = io.BytesIO()
    options = {"quality": 82} if fmt == "JPEG" else {}
    if exif is not None:
        options["exif"] = exif
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_the_box_agrees_with_the_stylesheet():
    css = (TEMPLATE_DIR / "print.css").read_text(encoding="utf-8")
    rule = re.search(r"\.photos img \{([^}]*)\}", css).group(1)
    width, height = photos.PHOTO_BOX_MM
    assert f"width: {width}mm" in rule and f"height: {height:g}mm" in rule
    assert "box-sizing: border-box" in rule and f"border: {photos.PHOTO_BORDER_PT}pt solid" in rule
    assert "object-fit: cover" in rule


def test_an_app_photo_is_shrunk_to_cover_the_box_at_print_resolution():
    original = app_photo()
    shrunk, mime_type = photos.shrink_photo(original, "image/jpeg")
    image = opened(shrunk)
    box_w, box_h = photos.box_pixels(photos.PRINT_DPI)  # the box inside its border at 200 dpi
    assert mime_type == "image/jpeg" and image.format == "JPEG"
    assert image.width >= box_w and image.height >= box_h  # cover: neither side below 200 dpi
    assert image.width <= box_w + 10 and image.height <= box_h + 10  # and no bigger than it needs
    assert abs(image.width / image.height - 4 / 3) < 0.01  # the picture's shape is kept (the box crops)
    assert len(shrunk) < len(original) / 5


def test_a_photo_no_larger_than_its_printed_size_is_kept_as_it_is():
    small = app_photo(size=(320, 240))
    assert photos.shrink_photo(small, "image/jpeg") == (small, "image/jpeg")


def test_a_turned_photo_comes_out_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # stored lying on its side: shown turned a quarter clockwise
    shrunk, _ = photos.shrink_photo(app_photo(exif=exif.tobytes()), "image/jpeg")
    image = opened(shrunk)
    assert image.height > image.width  # upright: portrait, as WeasyPrint would have shown it
    assert image.getexif().get(0x0112) is None  # and not turned a second time by a reader
    assert image.width >= photos.box_pixels()[0]


def test_other_formats_become_jpeg_unless_transparent():
    webp, mime_type = photos.shrink_photo(app_photo(fmt="WEBP"), "image/webp")
    assert mime_type == "image/jpeg" and opened(webp).format == "JPEG"
    png, mime_type = photos.shrink_photo(app_photo(fmt="PNG", mode="RGBA"), "image/png")
    assert mime_type == "image/png" and opened(png).mode == "RGBA"


def embedded_images(pdf: bytes, tmp_path) -> list[dict]:
    """The images in the PDF as `pdfimages -list` reports them (pixels, encoding, printed ppi)."""
    path = tmp_path / "form.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:] if line.strip()]
    return [
        {"width": int(r[3]), "height": int(r[4]), "enc": r[8], "x_ppi": int(r[12]), "y_ppi": int(r[13])} for r in rows
    ]


def test_the_sealed_service_form_prints_the_photos_at_print_resolution(completed_order, tmp_path):
    order = completed_order(photo=app_photo())
    forms = {f.kind: f for f in db.session.scalars(select(Form).where(Form.work_order_id == order.id))}
    service = forms["service"].pdf

    jpegs = [image for image in embedded_images(service, tmp_path) if image["enc"] == "jpeg"]
    assert jpegs, "the visit's photos are on the Service Form"
    for image in jpegs:
        assert image["width"] < 400 and image["height"] < 300  # not the 1,600 px upload
        assert image["x_ppi"] >= photos.PRINT_DPI and image["y_ppi"] >= photos.PRINT_DPI
    assert forms["service"].size < 120_000
    assert qpdf_check(service, tmp_path).returncode == 0
    status = seal_status(service)
    assert status.intact and status.valid
    assert order.number in pdftotext(service)


def test_a_photo_that_cannot_be_shrunk_is_printed_as_stored(completed_order, monkeypatch, tmp_path):
    from backend.forms import builder

    def refuse(content, mime_type):
        raise OSError("cannot shrink")

    monkeypatch.setattr(builder, "shrink_photo", refuse)
    order = completed_order(photo=app_photo())
    service = db.session.scalar(select(Form).where(Form.work_order_id == order.id, Form.kind == "service"))
    assert any(image["width"] == 1600 for image in embedded_images(service.pdf, tmp_path))  # sealed all the same
