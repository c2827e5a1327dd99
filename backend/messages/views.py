"""HTTP: the messages sent (or recorded) to customers, for the office."""

from flask.views import MethodView

from backend.auth.access import login_required
from backend.extensions import Blueprint
from backend.messages.schemas import MessageQuerySchema, MessageSchema
from backend.messages.services import messages_query
from backend.pagination import page_of

blp = Blueprint("messages", __name__, url_prefix="/api/v1/messages", description="Messages to customers")


@blp.route("")
class Messages(MethodView):
    @login_required("dispatcher", "manager", "admin")
    @blp.arguments(MessageQuerySchema, location="query")
    @blp.response(200, MessageSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """List messages to customers, newest first, with their delivery status."""
        return page_of(messages_query(**filters), pagination_parameters)
