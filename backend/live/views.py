"""HTTP: the live-visits board and its long-polled change feed."""

from flask.views import MethodView

from backend.auth.access import login_required
from backend.extensions import Blueprint
from backend.live.schemas import ChangesQuerySchema, ChangesSchema, LiveDaySchema, LiveQuerySchema
from backend.live.services import live_day, wait_for_change
from backend.timeutil import local_today, utcnow

blp = Blueprint("live", __name__, url_prefix="/api/v1/live", description="Live visits (实时)")

OFFICE = ("dispatcher", "manager", "admin")


@blp.route("/visits")
class LiveVisits(MethodView):
    @login_required(*OFFICE)
    @blp.arguments(LiveQuerySchema, location="query")
    @blp.response(200, LiveDaySchema)
    def get(self, args):
        """Return the day's visits: step, arrival, late notice, alerts; and each technician's last sync."""
        return live_day(args.get("date") or local_today(), now=utcnow(), branch=args.get("branch"))


@blp.route("/changes")
class LiveChanges(MethodView):
    @login_required(*OFFICE)
    @blp.arguments(ChangesQuerySchema, location="query")
    @blp.response(200, ChangesSchema)
    def get(self, args):
        """Wait up to ``wait`` seconds for any change after ``cursor`` (long-poll); then reload the day."""
        return wait_for_change(args["cursor"], wait_seconds=args["wait"])
