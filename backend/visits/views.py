"""HTTP edge of visits: flow definitions, sync, attachments, a work order's visits, leads."""

from datetime import UTC

from flask import Response, jsonify, request
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate

from backend.auth.access import current_user, login_required
from backend.errors import NotFound
from backend.extensions import Blueprint, db
from backend.observability import record_sync_results
from backend.timeutil import utcnow
from backend.visits import attachments, definitions, services
from backend.visits.attachments import may_see_order
from backend.visits.schemas import AttachmentSchema, SyncRequestSchema, SyncResponseSchema, VisitSummarySchema
from backend.visits.sync import sync_batch
from backend.workorders.models import WorkOrder

MAX_ID = 2**31 - 1  # the ids' column type; larger ones would overflow the database driver

blp = Blueprint(
    "visits",
    __name__,
    url_prefix="/api/v1",
    description="Six-step flows, the offline sync protocol, attachments and visit records",
)


@blp.route("/flows/<string:order_type>")
class Flow(MethodView):
    @blp.response(200, description="The six-step flow definition of a work-order type")
    @blp.alt_response(404, description="No flow for this type")
    @login_required()
    def get(self, order_type):
        """Return the six-step flow definition (checklists, scripts, tips, rules) of a work-order type."""
        return definitions.get_flow(order_type)


@blp.route("/tariff")
class Tariff(MethodView):
    @blp.response(200, description="The operator's fee tariff")
    @login_required()
    def get(self):
        """Return the operator's fee tariff (the only fees a visit may charge)."""
        return definitions.get_tariff()


@blp.route("/sync")
class Sync(MethodView):
    @blp.arguments(SyncRequestSchema)
    @blp.response(200, SyncResponseSchema)
    @login_required("technician")
    def post(self, batch):
        """Apply a batch of outbox actions; each gets applied, duplicate, conflict or rejected."""
        results = sync_batch(current_user(), batch["device_id"], batch["ops"])
        record_sync_results(results)
        # The results are built to SyncResponseSchema's shape (the contract test checks it):
        # dumping ~70 of them again through marshmallow cost ~1 ms of every sync.
        return jsonify({"results": results, "server_time": utcnow().isoformat()})


class _Uploaded(AttachmentSchema):
    created = fields.Boolean()


@blp.route("/attachments/<uuid:attachment_id>")
class AttachmentResource(MethodView):
    @blp.response(200, _Uploaded, description="Already stored with the same content")
    @blp.alt_response(201, schema=_Uploaded, description="Stored")
    @blp.alt_response(413, description="Larger than ATTACHMENT_MAX_BYTES")
    @blp.alt_response(409, description="The uploader's own id sent again with other bytes: attachment_id_reused")
    @blp.alt_response(415, description="Not a JPEG, PNG or WebP image")
    @blp.alt_response(
        422,
        description="Starts like an image but is not a whole one (invalid_image), or X-Content-SHA256 differs",
    )
    @blp.doc(
        requestBody={
            "required": True,
            "description": "The image itself, at most ATTACHMENT_MAX_BYTES",
            "content": {
                mime: {"schema": {"type": "string", "format": "binary"}}
                for mime in ("image/jpeg", "image/png", "image/webp")
            },
        }
    )
    @login_required("technician")
    def put(self, attachment_id):
        """Upload a photo or signature image under a client-made uuid (idempotent).

        The body is the raw image. Optional header `X-Content-SHA256` (hex) is checked against it.
        """
        limit = attachments.max_bytes()
        if request.content_length is not None and request.content_length > limit:
            raise attachments.TooLarge(f"Attachments are limited to {limit} bytes.")
        data = request.stream.read(limit + 1)
        attachment, created = attachments.store_attachment(
            str(attachment_id), data, current_user(), request.headers.get("X-Content-SHA256")
        )
        # The id answered is the one it was sent under, wherever it is stored (`scoped_attachment_id`).
        uploaded = {key: getattr(attachment, key) for key in _Uploaded().fields if key != "created"}
        return {**uploaded, "id": str(attachment_id), "created": created}, 201 if created else 200

    @blp.response(200, description="The image bytes")
    @login_required()
    def get(self, attachment_id):
        """Return an attachment's bytes, to those who may see its work order."""
        attachment = attachments.readable_attachment(str(attachment_id), current_user())
        filename = f"{attachment.id}.{attachment.content_type.removeprefix('image/')}"
        return Response(
            attachment.data,
            mimetype=attachment.content_type,
            headers={
                "ETag": f'"{attachment.sha256}"',
                "Cache-Control": "private, max-age=86400",
                # Saved, never shown as a page, even if a browser is sent to this address.
                "Content-Disposition": f'attachment; filename="{filename}"',
            },
        )


@blp.route("/work-orders/<int:order_id>/visits")
class OrderVisits(MethodView):
    @blp.response(200, VisitSummarySchema, description="Compliance record, visits and audit trail of a work order")
    @login_required()
    def get(self, order_id):
        """Return a work order's visits with their compliance records and the audit trail."""
        order = db.session.get(WorkOrder, order_id) if order_id <= MAX_ID else None
        if order is None or not may_see_order(current_user(), order):
            raise NotFound("No such work order.")
        return services.visit_summary(order)


def _representable_in_utc(value):
    try:
        value.astimezone(UTC)
    except OverflowError as exc:
        raise ValidationError("Out of range.") from exc


class LeadQuery(Schema):
    since = fields.AwareDateTime(validate=_representable_in_utc)
    until = fields.AwareDateTime(validate=_representable_in_utc)
    technician_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


@blp.route("/leads")
class Leads(MethodView):
    @blp.arguments(LeadQuery, location="query")
    @blp.response(200, description="Sales leads recorded during visits, newest first")
    @login_required("dispatcher", "manager", "admin")
    def get(self, query):
        """List the customers' interest in other products recorded at visits (主动营销)."""
        return {"leads": [services.lead_to_dict(lead) for lead in services.list_leads(**query)]}
