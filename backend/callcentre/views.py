"""HTTP: the call centre's intake guide and the caller's history."""

from flask.views import MethodView

from backend.auth.access import current_user, login_required
from backend.callcentre.guide import guide_for
from backend.callcentre.history import customer_history
from backend.callcentre.schemas import CustomerHistorySchema, IntakeGuideSchema
from backend.extensions import Blueprint
from backend.timeutil import utcnow

blp = Blueprint("call_centre", __name__, url_prefix="/api/v1", description="Call centre intake (来电受理)")

OFFICE = ("dispatcher", "manager", "admin")


@blp.route("/call-centre/guide")
class IntakeGuide(MethodView):
    @login_required(*OFFICE)
    @blp.response(200, IntakeGuideSchema)
    def get(self):
        """Return the answering and closing scripts, the verification checklist and phone guidance per fault."""
        return guide_for(current_user())


@blp.route("/customers/<int:customer_id>/history")
class CustomerHistory(MethodView):
    @login_required(*OFFICE)
    @blp.response(200, CustomerHistorySchema)
    @blp.alt_response(404, description="No such customer")
    def get(self, customer_id):
        """Return the caller's recent orders with their scores, and their open complaints."""
        return customer_history(current_user(), customer_id, now=utcnow())
