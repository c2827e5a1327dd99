"""Sealed Service and Feedback Forms: render (WeasyPrint), seal (PAdES), verify, sign by link.

Public entry points: `backend.forms.render.render_pdf`, `backend.forms.seal.seal_pdf`,
`backend.forms.services.seal_visit_forms` (the job run when a visit completes).
"""

import logging
import threading
from pathlib import Path

log = logging.getLogger(__name__)
_configured_lock = threading.Lock()
_configured_for: tuple | None = None
_worker_prepared = False


def _settings(app):
    font_dir = Path(app.config.get("FORMS_FONT_DIR") or Path(app.instance_path) / "fonts")
    pkcs12 = app.config.get("SEAL_PKCS12_PATH")
    passphrase = app.config.get("SEAL_PKCS12_PASSPHRASE")
    return (str(font_dir), pkcs12, passphrase, app.config.get("SEAL_TSA_URL"), app.instance_path)


def configure_for_app(app) -> None:
    """Load the fonts, stylesheet and signer once per process, from the app's configuration."""
    global _configured_for
    from backend.forms import render, seal

    settings = _settings(app)
    if _configured_for == settings:
        return
    with _configured_lock:
        if _configured_for == settings:
            return
        font_dir, pkcs12, passphrase, tsa_url, instance_path = settings
        render.configure(render.RenderSettings(font_dir=Path(font_dir)))
        if not pkcs12:
            if not app.config.get("SEAL_ALLOW_DEMO", True):
                raise RuntimeError("SEAL_PKCS12_PATH is not set and SEAL_ALLOW_DEMO is off")
            pkcs12 = demo_certificate_path(instance_path)
            log.warning("forms: no SEAL_PKCS12_PATH; sealing with the DEMO certificate %s", pkcs12)
        if isinstance(passphrase, str):
            passphrase = passphrase.encode()
        seal.configure(seal.SealSettings(Path(pkcs12), passphrase or None, tsa_url or None))
        _configured_for = settings


def prepare_worker(app) -> None:
    """Load everything sealing needs and draw the sample forms once, so no job pays for start-up.

    A worker's first render also loads Pango's fonts and WeasyPrint's and pyHanko's lazily
    imported modules (about a second); done here, before the worker takes its first job.
    """
    global _worker_prepared
    configure_for_app(app)
    if _worker_prepared:
        return
    from backend.forms import render, samples, seal

    lang = app.config.get("FORMS_LANG", "zh")
    for form in (samples.sample_service_form(lang), samples.sample_feedback_form(lang)):
        seal.seal_pdf(render.render_pdf(form, lang))
    _worker_prepared = True


def demo_certificate_path(instance_path: str) -> Path:
    """Return the demo seal certificate in the instance folder, creating it the first time."""
    from backend.forms.seal import create_demo_pkcs12

    path = Path(instance_path) / "demo-seal.p12"
    if not path.exists():
        create_demo_pkcs12(path)
    return path


def health() -> dict:
    """Report whether fast font subsetting, the subset fonts and the fallback face are present."""
    from backend.forms import fonts, render

    font_dir = render.get_renderer_settings().font_dir
    missing = [face.filename for face in fonts.FACES if not (font_dir / face.filename).exists()]
    return {
        "harfbuzz_subset": fonts.harfbuzz_subset_available(),
        "subset_fonts_missing": missing,
        "noto_cjk_installed": fonts.full_face_available(),
    }


def init_app(app) -> None:
    """Register the forms' pages and API, and log whether PDF rendering will be fast."""
    from backend.forms import fonts

    if fonts.harfbuzz_subset_available():
        log.info("forms: HarfBuzz subsetting available")
    else:
        log.warning(
            "forms: libharfbuzz-subset0 is missing: WeasyPrint falls back to fontTools and "
            "renders forms ~40x slower; install the Debian package libharfbuzz-subset0"
        )
    from backend.extensions import api
    from backend.forms.views import blp, pages

    api.register_blueprint(blp)
    app.register_blueprint(pages)
