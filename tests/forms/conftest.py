"""Fixtures for forms: a work order whose visit was completed through the real sync engine."""

import io
import uuid

import pytest
from PIL import Image

from backend.forms.samples import squiggle_png
from backend.visits.attachments import store_attachment
from backend.visits.sync import sync_batch
from tests.visits.conftest import as_sync_ops, make_order, technician, whole_visit_ops  # noqa: F401

DEVICE = "device-forms-test"


def jpeg(colour=(200, 120, 40)) -> bytes:
    """Return a small real JPEG photo."""
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


@pytest.fixture
def completed_order(db, make_order, technician):  # noqa: F811 (fixtures re-exported above)
    """Return a factory of work orders completed a whole repair visit synced as the PWA would send it."""

    photo_bytes = [jpeg()]

    def new_attachment(data=None):
        # The visit fixture's images are placeholders; the forms need real ones to draw.
        content = squiggle_png(seed=3) if data is not None else photo_bytes[0]
        attachment, _ = store_attachment(str(uuid.uuid4()), content, technician)
        return attachment.id

    def make(visit=None, photo=None, **customer):
        """Complete a repair visit (whole_visit_ops options in `visit`, its photos `photo`, a JPEG's
        bytes) for a customer with these fields."""
        photo_bytes[0] = photo or jpeg()
        order = make_order("repair")
        for key, value in customer.items():
            setattr(order.customer, key, value)
        db.session.commit()
        ops = whole_visit_ops("repair", new_attachment, **(visit or {}))
        results = sync_batch(technician, DEVICE, as_sync_ops(order, ops))
        assert all(r["status"] == "applied" for r in results), [r for r in results if r["status"] != "applied"]
        return order

    return make
