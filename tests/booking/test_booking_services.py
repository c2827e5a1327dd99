from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from backend.booking import services
from backend.booking.models import Appointment
from backend.errors import Conflict, InvalidInput
from backend.extensions import db
from backend.timeutil import utcnow
from backend.workorders.statemachine import IllegalTransition
from tests.factories import local_at, make_order, window


@pytest.fixture
def dispatcher(make_user):
    return make_user("dispatcher")


@pytest.fixture
def technician(make_user):
    return make_user("technician", skills=["install", "repair"], areas=["鼓楼区", "台江区"])


def _book(dispatcher, technician, order, hour, minute=0, hours=1, **kw):
    starts, ends = window(hour, minute, hours=hours)
    return services.book(dispatcher, order.id, technician_id=technician.id, starts_at=starts, ends_at=ends, **kw)


def test_booking_schedules_the_order_with_the_technician(dispatcher, technician):
    order = make_order(dispatcher)
    appointment = _book(dispatcher, technician, order, 9)
    assert appointment.status == "active" and appointment.booked_by_id == dispatcher.id
    assert order.status == "scheduled" and order.technician_id == technician.id
    assert order.history[-1].to_status == "scheduled"


def test_reschedule_supersedes_and_records_who_asked_and_why(dispatcher, technician):
    order = make_order(dispatcher)
    first = _book(dispatcher, technician, order, 9)
    with pytest.raises(InvalidInput) as raised:
        _book(dispatcher, technician, order, 14)
    assert raised.value.code == "reschedule_needs_requester"
    # Moving within its own old window is fine: the old appointment does not clash with its replacement.
    second = _book(dispatcher, technician, order, 9, 30, requested_by="customer", reason="客户上午不在家")
    assert first.status == "superseded" and second.status == "active" and second.previous_id == first.id
    assert (second.requested_by, second.reason) == ("customer", "客户上午不在家")
    assert order.status == "scheduled"


def test_overlap_and_travel_buffer_are_slot_taken(dispatcher, technician):
    _book(dispatcher, technician, make_order(dispatcher), 10)  # 10:00-11:00
    for hour, minute in [(10, 30), (11, 0), (11, 29), (8, 31)]:
        with pytest.raises(services.SlotTaken):
            _book(dispatcher, technician, make_order(dispatcher), hour, minute)
    # Exactly the buffer apart on either side is bookable.
    assert _book(dispatcher, technician, make_order(dispatcher), 11, 30).status == "active"
    assert _book(dispatcher, technician, make_order(dispatcher), 8, 30).status == "active"


def test_window_rules(dispatcher, technician):
    order = make_order(dispatcher)
    cases = {
        "bad_window": [(local_at(10), local_at(9)), (local_at(19), local_at(9, days_ahead=2))],
        "outside_working_hours": [(local_at(7), local_at(9)), (local_at(19), local_at(21))],
        "window_in_past": [(local_at(9, days_ahead=-1), local_at(10, days_ahead=-1))],
    }
    for code, windows in cases.items():
        for starts, ends in windows:
            with pytest.raises(InvalidInput) as raised:
                services.book(dispatcher, order.id, technician_id=technician.id, starts_at=starts, ends_at=ends)
            assert raised.value.code == code, (starts, ends)


def test_technician_must_have_the_skill_and_serve_the_area(dispatcher, make_user):
    installer = make_user("technician", skills=["install"])
    far_away = make_user("technician", areas=["思明区"])
    order = make_order(dispatcher, type="repair")
    for technician, code in [(installer, "technician_lacks_skill"), (far_away, "technician_outside_area")]:
        with pytest.raises(Conflict) as raised:
            _book(dispatcher, technician, order, 9)
        assert raised.value.code == code
    with pytest.raises(InvalidInput) as raised:
        _book(dispatcher, dispatcher, order, 9)
    assert raised.value.code == "unknown_technician"


def test_a_closed_order_cannot_be_booked(dispatcher, technician):
    from backend.workorders.services import change_status

    order = make_order(dispatcher)
    change_status(dispatcher, order, "cancelled")
    with pytest.raises(IllegalTransition):
        _book(dispatcher, technician, order, 9)


def test_availability_is_working_hours_minus_visits_and_buffers(app, dispatcher, technician):
    _book(dispatcher, technician, make_order(dispatcher), 10)
    _book(dispatcher, technician, make_order(dispatcher), 14, hours=2)
    day = window(10)[0].date()
    result = services.availability(day)
    mine = next(t for t in result["technicians"] if t["technician"].id == technician.id)
    free = [(w["starts_at"], w["ends_at"]) for w in mine["free"]]
    assert free == [
        (local_at(8), local_at(9, 30)),
        (local_at(11, 30), local_at(13, 30)),
        (local_at(16, 30), local_at(20)),
    ]
    assert [b["starts_at"] for b in mine["booked"]] == [local_at(10), local_at(14)]
    assert result["travel_buffer_minutes"] == 30


def test_a_week_is_each_days_free_windows_and_the_weeks_visits(dispatcher, technician):
    _book(dispatcher, technician, make_order(dispatcher), 10)  # tomorrow
    starts, ends = window(14, days_ahead=3)
    services.book(dispatcher, make_order(dispatcher).id, technician_id=technician.id, starts_at=starts, ends_at=ends)
    after_the_week = window(9, days_ahead=8)
    services.book(
        dispatcher,
        make_order(dispatcher).id,
        technician_id=technician.id,
        starts_at=after_the_week[0],
        ends_at=after_the_week[1],
    )
    first = local_at(8).date()
    result = services.availability(first, days=7)
    assert (result["date"], result["until"], result["days"]) == (first, first + timedelta(days=6), 7)
    mine = next(t for t in result["technicians"] if t["technician"].id == technician.id)
    assert [b["starts_at"] for b in mine["booked"]] == [local_at(10), local_at(14, days_ahead=3)]
    free = [(w["starts_at"], w["ends_at"]) for w in mine["free"]]
    # Seven working days, split around the two visits and their buffers; nothing from day 8.
    assert len(free) == 7 + 1 + 1
    assert free[:3] == [
        (local_at(8), local_at(9, 30)),
        (local_at(11, 30), local_at(20)),
        (local_at(8, days_ahead=2), local_at(20, days_ahead=2)),
    ]
    assert free[-1] == (local_at(8, days_ahead=7), local_at(20, days_ahead=7))


@pytest.mark.parametrize("days", [0, 8, 31])
def test_a_board_range_is_one_to_seven_days(days):
    with pytest.raises(InvalidInput):
        services.availability(local_at(8).date(), days=days)


def test_availability_today_starts_now(technician):
    result = services.availability(local_at(8, days_ahead=0).date(), now=local_at(15, days_ahead=0))
    mine = next(t for t in result["technicians"] if t["technician"].id == technician.id)
    assert mine["free"] == [{"starts_at": local_at(15, days_ahead=0), "ends_at": local_at(20, days_ahead=0)}]


def test_availability_filters_technicians_by_area_and_skill(make_user, technician):
    make_user("technician", skills=["install"], areas=["思明区"])
    day = window(9)[0].date()
    assert [t["technician"].id for t in services.availability(day, area="台江区", skill="repair")["technicians"]] == [
        technician.id
    ]


def test_agenda_lists_the_days_visits_in_order(dispatcher, technician, make_user):
    other = make_user("technician")
    late = make_order(dispatcher, description="宽带断网")
    early = make_order(dispatcher, type="install")
    _book(dispatcher, technician, late, 15)
    _book(dispatcher, technician, early, 9)
    _book(dispatcher, other, make_order(dispatcher), 9)
    agenda = services.agenda(technician, window(9)[0].date())
    assert [v["work_order"]["id"] for v in agenda["visits"]] == [early.id, late.id]
    assert agenda["visits"][0]["customer"]["id"] == early.customer_id
    assert set(agenda["flows"]) >= {"install", "repair"} and agenda["tariff"]


def test_postgresql_itself_refuses_overlapping_active_appointments(dispatcher, technician):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's")
    starts = utcnow() + timedelta(days=3)
    for order in (make_order(dispatcher), make_order(dispatcher)):
        db.session.add(
            Appointment(
                work_order_id=order.id,
                technician_id=technician.id,
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
            )
        )
    with pytest.raises(IntegrityError, match="no_double_booking"):
        db.session.flush()


def test_find_a_time_offers_the_earliest_windows_of_skilled_technicians_in_the_area(dispatcher, technician, make_user):
    make_user("technician", skills=["install"], areas=["鼓楼区"])  # free all day, but cannot repair
    make_user("technician", skills=["repair"], areas=["思明区"])  # free all day, elsewhere
    _book(dispatcher, technician, make_order(dispatcher), 8)  # 08:00-09:00, +30 min travel
    order = make_order(dispatcher, type="repair")
    assert order.area == "鼓楼区"
    found = services.suggested_windows(dispatcher, order.id, now=local_at(7, 7))
    assert found["visit_minutes"] == 60
    first = found["windows"][0]
    assert first["technician"].id == technician.id
    assert (first["starts_at"], first["ends_at"]) == (local_at(9, 30), local_at(10, 30))
    assert all(w["technician"].id == technician.id for w in found["windows"])


def test_find_a_time_offers_quarter_hours_and_a_visit_long_enough(app, dispatcher, technician, monkeypatch):
    monkeypatch.setitem(app.config, "VISIT_MINUTES", {"install": 120})
    order = make_order(dispatcher, type="install")
    found = services.suggested_windows(dispatcher, order.id, now=local_at(8, 7))
    assert found["visit_minutes"] == 120
    assert (found["windows"][0]["starts_at"], found["windows"][0]["ends_at"]) == (local_at(8, 15), local_at(10, 15))
