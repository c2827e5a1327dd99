"""HTTP: the forms API under /api/v1, the public verification page and the customer signing page."""

import base64
import binascii

from flask import Blueprint as FlaskBlueprint
from flask import Response, jsonify, render_template, request
from flask.views import MethodView

from backend.auth.access import current_user, login_required
from backend.errors import InvalidInput
from backend.extensions import Blueprint
from backend.forms import health, services
from backend.forms.builder import customer_name, verify_url
from backend.forms.render import labels
from backend.forms.schemas import FormSchema, ResealSchema, SigningLinkInSchema, SigningLinkSchema
from backend.i18n import select_locale
from backend.visits.payloads import MOT_KEYS, RATING_KEYS
from backend.workorders.services import get_visible_order

blp = Blueprint("forms", __name__, url_prefix="/api/v1/work-orders", description="Sealed forms")
pages = FlaskBlueprint("form_pages", __name__)

OFFICE_CORRECTORS = ("dispatcher", "manager", "admin")
MAX_UPLOAD = 20 * 1024 * 1024


def _with_url(form):
    form.verify_url = verify_url(form.id)
    return form


@blp.route("/<int:order_id>/forms")
class WorkOrderForms(MethodView):
    @login_required()
    @blp.response(200, FormSchema(many=True))
    @blp.alt_response(404, description="No such work order, or another technician's")
    def get(self, order_id):
        """List every version of the work order's sealed forms, current and superseded."""
        order = get_visible_order(current_user(), order_id)
        return [_with_url(form) for form in services.forms_of(order.id)]


@blp.route("/<int:order_id>/forms/reseal")
class WorkOrderFormsReseal(MethodView):
    @login_required(*OFFICE_CORRECTORS)
    @blp.arguments(ResealSchema)
    @blp.response(201, FormSchema(many=True))
    @blp.alt_response(409, description="The work order has no finished visit (no_finished_visit)")
    def post(self, data, order_id):
        """Seal a corrected new version of the forms; the old versions stay verifiable as superseded."""
        order = get_visible_order(current_user(), order_id)
        ids = services.seal_visit_forms(order.id, actor_id=current_user().id, reason=data["reason"])
        return [_with_url(services.get_form(form_id)) for form_id in ids]


@blp.route("/<int:order_id>/signing-links")
class WorkOrderSigningLinks(MethodView):
    @login_required("technician", *OFFICE_CORRECTORS)
    @blp.arguments(SigningLinkInSchema)
    @blp.response(201, SigningLinkSchema)
    @blp.alt_response(409, description="The work order has no finished visit (no_finished_visit)")
    def post(self, data, order_id):
        """Create a single-use link (72 h by default) for the customer to sign and rate the visit."""
        order = get_visible_order(current_user(), order_id)
        link, token = services.create_signing_link(order, current_user(), hours=data["hours"])
        return {"id": link.id, "url": services.signing_link_url(token), "expires_at": link.expires_at}


def _pdf_response(order_id, kind):
    order = get_visible_order(current_user(), order_id)
    form = services.current_pdf(order.id, kind)
    return Response(
        form.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{form.number}.pdf"',
            "X-Content-SHA256": form.sha256,
            "Cache-Control": "private, no-store",
        },
    )


@blp.route("/<int:order_id>/forms/service.pdf")
class ServicePdf(MethodView):
    @login_required()
    @blp.response(200, content_type="application/pdf")
    @blp.alt_response(404, description="No such work order, another technician's, or no sealed form yet")
    def get(self, order_id):
        """Download the current sealed Service Form."""
        return _pdf_response(order_id, "service")


@blp.route("/<int:order_id>/forms/feedback.pdf")
class FeedbackPdf(MethodView):
    @login_required()
    @blp.response(200, content_type="application/pdf")
    @blp.alt_response(404, description="No such work order, another technician's, or no sealed form yet")
    def get(self, order_id):
        """Download the current sealed Customer Feedback Form."""
        return _pdf_response(order_id, "feedback")


@blp.route("/<int:order_id>/forms/no_access.pdf")
class NoAccessPdf(MethodView):
    @login_required()
    @blp.response(200, content_type="application/pdf")
    @blp.alt_response(404, description="No such work order, another technician's, or no notice yet")
    def get(self, order_id):
        """Download the current sealed no-access notice (留单)."""
        return _pdf_response(order_id, "no_access")


# --- public pages -------------------------------------------------------------------------------


def _lang() -> str:
    return "en" if select_locale() == "en" else "zh"


@pages.route("/verify/<form_id>", methods=["GET", "POST"])
def verify(form_id):
    """Show a form's seal; with an uploaded PDF, say whether it is exactly that form."""
    lang = _lang()
    form = services.get_form(form_id)
    verdict = None
    if request.method == "POST":
        upload = request.files.get("pdf")
        data = upload.read(MAX_UPLOAD + 1) if upload else b""
        verdict = "none" if not data else ("match" if services.matches(form, data) else "mismatch")
    current = services.current_form(form.work_order_id, form.kind)
    return render_template(
        "forms/pages/verify.html", form=form, t=labels()[lang], lang=lang, verdict=verdict, current=current
    ), (200 if verdict != "none" else 400)


@pages.route("/sign/<token>", methods=["GET"])
def sign_page(token):
    """Show the customer the visit summary, the feedback questions and a signature pad."""
    lang = _lang()
    try:
        link = services.open_signing_link(token)
    except services.LinkUnusable as unusable:
        return render_template(
            "forms/pages/link_unusable.html", t=labels()[lang], lang=lang, reason=unusable.reason
        ), 410
    visit = services.finished_visit(link.work_order_id)
    order = visit.work_order
    return render_template(
        "forms/pages/sign.html",
        t=labels()[lang],
        lang=lang,
        order=order,
        visit=visit,
        customer=customer_name(order.customer),
        expires_at=link.expires_at,
        rating_aspects=RATING_KEYS,
        mot_moments=MOT_KEYS,
    )


@pages.route("/sign/<token>", methods=["POST"])
def sign_submit(token):
    """Record the customer's signature and answers once and seal the forms."""
    lang = _lang()
    try:
        signature = _signature_from(request.form.get("signature", ""))
        ratings = {k: int(request.form[f"rating_{k}"]) for k in RATING_KEYS if request.form.get(f"rating_{k}")}
        mot = {k: int(request.form[f"mot_{k}"]) for k in MOT_KEYS if request.form.get(f"mot_{k}")}
    except ValueError:
        raise InvalidInput("The answers could not be read.") from None
    try:
        ids = services.submit_signing_link(
            token,
            signature_png=signature,
            ratings=ratings,
            mot=mot,
            comments=request.form.get("comments", "")[:2000],
            used_from={"ip": request.remote_addr, "user_agent": request.user_agent.string[:300]},
        )
    except services.LinkUnusable as unusable:
        return render_template(
            "forms/pages/link_unusable.html", t=labels()[lang], lang=lang, reason=unusable.reason
        ), 410
    forms = [services.get_form(form_id) for form_id in ids]
    return render_template(
        "forms/pages/signed.html", t=labels()[lang], lang=lang, forms=[_with_url(form) for form in forms]
    )


def _signature_from(data_url: str) -> bytes:
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise InvalidInput("Sign in the box first.", errors={"signature": ["Required."]})
    try:
        return base64.b64decode(data_url[len(prefix) :], validate=True)
    except binascii.Error:
        raise InvalidInput("The signature could not be read.", errors={"signature": ["Invalid."]}) from None


@pages.get("/health/forms")
def forms_health():
    """Report whether forms render fast (HarfBuzz subsetting) and with the small subset fonts."""
    report = health()
    ok = report["harfbuzz_subset"] and not report["subset_fonts_missing"] and report["noto_cjk_installed"]
    return jsonify(status="ok" if ok else "degraded", **report)
