"""Check PDFs with the real tools a person or an auditor would use."""

import subprocess
from io import BytesIO

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from backend.forms.seal import cert_to_asn1, get_sealer


def pdftotext(pdf: bytes) -> str:
    """Return the text poppler extracts from pdf."""
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")


def squeeze(text: str) -> str:
    """Drop all whitespace, so text wrapped over lines still compares."""
    return "".join(text.split())


def qpdf_check(pdf: bytes, tmp_path) -> subprocess.CompletedProcess:
    """Run `qpdf --check` on pdf."""
    path = tmp_path / "check.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)


def seal_status(pdf: bytes):
    """Validate the PDF's one signature with pyHanko, trusting the process's seal certificate."""
    context = ValidationContext(trust_roots=[cert_to_asn1(get_sealer().certificate)])
    reader = PdfFileReader(BytesIO(pdf))
    (signature,) = reader.embedded_signatures
    return validate_pdf_signature(signature, context)


def one_byte_changed(pdf: bytes) -> bytes:
    """Return a copy of pdf with one byte inside the first content stream changed."""
    start = pdf.index(b"stream", pdf.index(b"/Length")) + len(b"stream\n") + 20
    changed = bytearray(pdf)
    changed[start] ^= 0x01
    return bytes(changed)


def qr_codes(pdf: bytes, tmp_path) -> list[str]:
    """Return what a QR scanner (zbarimg) reads on page one of the PDF, scanned at 200 dpi."""
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", "-", str(prefix)], input=pdf, check=True)
    page = next(tmp_path.glob("page*.png"))
    scanned = subprocess.run(["zbarimg", "--quiet", "--raw", str(page)], capture_output=True, text=True)
    return scanned.stdout.split()
