"""The work-order status machine of DESIGN.md, enforced on every move."""

from backend.errors import Conflict
from backend.workorders.models import StatusChange

# Allowed moves. Terminal states have no entry.
TRANSITIONS = {
    "new": {"scheduled", "resolved_by_phone", "cancelled"},
    # resolved_by_phone: 电话指导 on the technician's pre-visit call (issue 10.8).
    "scheduled": {"en_route", "on_site", "no_access", "resolved_by_phone", "cancelled"},
    "en_route": {"on_site", "no_access", "scheduled", "resolved_by_phone", "cancelled"},
    "on_site": {"completed", "needs_revisit", "no_access", "cancelled"},
    "no_access": {"scheduled", "cancelled"},
    "needs_revisit": {"scheduled", "cancelled"},
    "completed": {"closed", "needs_revisit"},
}


class IllegalTransition(Conflict):
    code = "illegal_transition"


def allowed_targets(status: str) -> set[str]:
    """Return the statuses an order in `status` may move to."""
    return TRANSITIONS.get(status, set())


def check_transition(number: str, from_status: str, to_status: str) -> None:
    """Raise IllegalTransition unless an order may move from `from_status` to `to_status`."""
    allowed = allowed_targets(from_status)
    if to_status not in allowed:
        raise IllegalTransition(
            f"Work order {number} cannot go from {from_status} to {to_status}.",
            errors={"status": [f"Allowed from {from_status}: {', '.join(sorted(allowed)) or 'none'}."]},
        )


def transition(order, to_status, actor, reason=None) -> StatusChange:
    """Move `order` to `to_status`, recording who, when and why; the caller commits."""
    check_transition(order.number, order.status, to_status)
    change = StatusChange(
        from_status=order.status, to_status=to_status, actor_id=actor.id if actor is not None else None, reason=reason
    )
    order.history.append(change)
    order.status = to_status
    return change
