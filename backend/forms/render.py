"""Render the forms to PDF with WeasyPrint: one font configuration and stylesheet per process."""

import base64
import logging
import os
import threading
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from backend.forms import fonts
from backend.forms.data import (
    MOT_MOMENTS,
    RATING_ASPECTS,
    FeedbackFormData,
    NoAccessNoticeData,
    ServiceFormData,
)

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = ROOT / "templates" / "forms"
LABELS_PATH = Path(__file__).with_name("labels.yaml")
DEFAULT_FONT_DIR = ROOT / "instance" / "fonts"
ASSET_SCHEME = "doorstep-asset:"
LANGUAGES = ("zh", "en")
LANG_TAGS = {"zh": "zh-CN", "en": "en"}
TEMPLATES = {
    ServiceFormData: "service.html",
    FeedbackFormData: "feedback.html",
    NoAccessNoticeData: "no_access.html",
}


class AssetRefused(ValueError):
    """A form tried to load something other than the project's own assets or a data: URI."""


@cache
def labels() -> dict[str, dict[str, str]]:
    """Return the label catalogue as {language: {key: text}}."""
    entries = yaml.safe_load(LABELS_PATH.read_text(encoding="utf-8"))
    return {lang: {key: texts[lang] for key, texts in entries.items()} for lang in LANGUAGES}


def qr_data_uri(url: str) -> str:
    """Return a QR code for url as a one-pixel-per-module PNG data: URI."""
    # A fixed mask skips segno's scoring of all eight (3/4 of its time); any mask is valid
    # ISO 18004 and decodes alike. A tiny PNG, scaled up unsmoothed by the stylesheet, draws
    # far faster than an SVG path. The 4-module quiet zone is the standard's: scanners need it.
    return segno.make(url, error="m", micro=False, mask=0).png_data_uri(border=4, scale=1)


def _data_uri(item) -> str:
    return f"data:{item.mime_type};base64,{base64.b64encode(_image_bytes(item)).decode('ascii')}"


def _image_bytes(item) -> bytes:
    return item.content if hasattr(item, "content") else item.image


class Renderer:
    """Holds everything reused across renders: fonts, stylesheet, templates, URL fetcher."""

    def __init__(self, font_dir: Path, tz: ZoneInfo):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.tz = tz
        self.assets = self._assets(Path(font_dir))
        self.url_fetcher = LockedURLFetcher(self.assets)
        self.font_config = FontConfiguration()
        self.stylesheet = CSS(
            string=(TEMPLATE_DIR / "print.css").read_text(encoding="utf-8"),
            font_config=self.font_config,
            url_fetcher=self.url_fetcher,
        )
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATE_DIR),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            local_time=self._local_time,
            local_window=self._local_window,
            local_date=self._local_date,
            money=_money,
            number=_number,
            data_uri=_data_uri,
            fill=_fill,
        )
        # WeasyPrint's layout shares state through the font configuration; one render at a time.
        self._lock = threading.Lock()

    @staticmethod
    def _assets(font_dir: Path) -> dict[str, Path]:
        assets = {}
        for face in fonts.FACES:
            path = font_dir / face.filename
            if path.exists():
                assets["fonts/" + face.filename] = path
            else:
                log.warning(
                    "forms: subset font %s missing (run `make fonts`); forms fall back to "
                    "the full Noto Sans CJK face and grow by ~150 KB",
                    path,
                )
        return assets

    def render_html(self, form, lang: str = "zh") -> str:
        """Return the HTML of form in lang (zh or en)."""
        if lang not in LANGUAGES:
            raise ValueError(f"unknown form language {lang!r}")
        template = self.env.get_template(TEMPLATES[type(form)])
        return template.render(
            form=form,
            t=labels()[lang],
            lang_tag=LANG_TAGS[lang],
            qr_data_uri=qr_data_uri(form.verify_url),
            rating_aspects=RATING_ASPECTS,
            mot_moments=MOT_MOMENTS,
        )

    def render_pdf(self, form, lang: str = "zh") -> bytes:
        """Return form rendered as PDF bytes."""
        return self.html_to_pdf(self.render_html(form, lang), form.form_number, [self.stylesheet])

    def html_to_pdf(self, html: str, identifier: str, stylesheets=()) -> bytes:
        """Return the project's own HTML (a form, a report) as PDF, with the forms' fonts and locked fetcher."""
        from weasyprint import HTML

        with self._lock:
            document = HTML(string=html, url_fetcher=self.url_fetcher).render(
                stylesheets=list(stylesheets), font_config=self.font_config
            )
            return document.write_pdf(
                dpi=200, jpeg_quality=85, pdf_identifier=identifier.encode("utf-8"), custom_metadata=True
            )

    def _local(self, value: datetime) -> datetime:
        return value.astimezone(self.tz) if value.tzinfo else value

    def _local_time(self, value: datetime | None) -> str:
        return self._local(value).strftime("%Y-%m-%d %H:%M") if value else "—"

    def _local_window(self, start: datetime | None, end: datetime | None) -> str:
        if not start:
            return "—"
        start = self._local(start)
        text = start.strftime("%Y-%m-%d %H:%M")
        return text + (self._local(end).strftime("–%H:%M") if end else "")

    @staticmethod
    def _local_date(value: date | None) -> str:
        return value.strftime("%Y-%m-%d") if value else "—"


def _money(cents: int, t: dict) -> str:
    return f"{t['currency']}{cents // 100}.{cents % 100:02d}"


def _number(value: float) -> str:
    return f"{value:g}"


def _fill(label: str, **values) -> Markup:
    """Put values into a label's {placeholders}, escaping the values."""
    return Markup.escape(label).format(**values)


class LockedURLFetcher:
    """Load only the project's own assets and data: URIs; refuse and log everything else."""

    def __init__(self, assets: dict[str, Path]):
        from weasyprint.urls import URLFetcher

        self._assets = dict(assets)
        self._data = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
        self._fail_on_errors = False  # WeasyPrint reads this: a refused URL is a warning, not fatal
        self.refused: list[str] = []

    def __call__(self, url: str):
        from weasyprint.urls import URLFetcherResponse

        if url.startswith("data:"):
            return self._data.fetch(url)
        if url.startswith(ASSET_SCHEME) and url[len(ASSET_SCHEME) :] in self._assets:
            path = self._assets[url[len(ASSET_SCHEME) :]]
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": "font/otf"})
        self.refused.append(url[:200])
        log.warning("forms: refused to load %r while rendering a form", url[:200])
        raise AssetRefused(f"refused to load {url[:200]!r}")


_renderer: Renderer | None = None
_renderer_settings: "RenderSettings | None" = None
_renderer_lock = threading.Lock()


@dataclass(frozen=True)
class RenderSettings:
    """Where the renderer finds its fonts and which time zone it prints times in."""

    font_dir: Path = Path(os.environ.get("FORMS_FONT_DIR", DEFAULT_FONT_DIR))
    timezone: str = "Asia/Shanghai"


def configure(settings: RenderSettings) -> Renderer:
    """Create the process's renderer (fonts and stylesheet loaded once) and return it."""
    global _renderer, _renderer_settings
    with _renderer_lock:
        _renderer = Renderer(settings.font_dir, ZoneInfo(settings.timezone))
        _renderer_settings = settings
        return _renderer


def get_renderer_settings() -> RenderSettings:
    """Return the settings the process's renderer uses (or will use)."""
    return _renderer_settings or RenderSettings()


def get_renderer() -> Renderer:
    """Return the process's renderer, creating it with default settings on first use."""
    if _renderer is None:
        configure(RenderSettings())
    return _renderer


def render_pdf(form, lang: str = "zh") -> bytes:
    """Render a ServiceFormData, FeedbackFormData or NoAccessNoticeData to PDF bytes."""
    return get_renderer().render_pdf(form, lang)
