"""Plain data the form templates are rendered from, independent of the database."""

from dataclasses import dataclass, field
from datetime import date, datetime

from backend.visits.payloads import MOT_KEYS, MOT_SCALE, RATING_KEYS, RATING_SCALE

MAX_PHOTOS = 4


@dataclass(frozen=True)
class Company:
    """The operator as printed in a form's header."""

    name: str
    hotline: str
    branch: str = ""


@dataclass(frozen=True)
class EquipmentSwap:
    """One piece of equipment replaced, with the old and new serial numbers."""

    kind: str
    old_serial: str = ""
    new_serial: str = ""


@dataclass(frozen=True)
class Material:
    """A material used, e.g. cable by the metre."""

    name: str
    quantity: str = ""


@dataclass(frozen=True)
class Fee:
    """One line of the itemised fees, priced from the operator's tariff."""

    code: str
    name: str
    quantity: float
    unit: str
    unit_price_cents: int
    amount_cents: int
    # An equipment swap's line in warranty: free (《售后服务管理规定》), said so on the form.
    in_warranty: bool = False


@dataclass(frozen=True)
class Photo:
    """A photo shown on the Service Form."""

    content: bytes
    mime_type: str = "image/jpeg"
    caption: str = ""


@dataclass(frozen=True)
class Signature:
    """A signature image and when it was given."""

    image: bytes
    mime_type: str = "image/png"
    signed_at: datetime | None = None


@dataclass(frozen=True)
class ComplianceSummary:
    """The visit's compliance record as the Service Form prints it: scores apart, and what was missed."""

    score: int | None
    verified_score: int | None
    attested_score: int | None
    verified: int
    attested: int
    missed: int
    not_applicable: int
    missed_rules: tuple[str, ...] = ()  # their names, as people read them


@dataclass(frozen=True)
class ServiceFormData:
    """Everything printed on a Service Form (服务单)."""

    company: Company
    form_number: str
    work_order_number: str
    work_order_type: str
    customer_name: str
    customer_phone: str
    address: str
    technician_name: str
    technician_employee_no: str
    verify_url: str
    appointment_start: datetime | None = None
    appointment_end: datetime | None = None
    arrived_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    fault: str = ""
    diagnosis: str = ""
    work_done: str = ""
    equipment_swaps: tuple[EquipmentSwap, ...] = ()
    materials: tuple[Material, ...] = ()
    fees: tuple[Fee, ...] = ()
    result: str = ""
    customer_signature: Signature | None = None
    technician_signature: Signature | None = None
    photos: tuple[Photo, ...] = ()
    compliance: ComplianceSummary | None = None

    def __post_init__(self):
        if len(self.photos) > MAX_PHOTOS:
            raise ValueError(f"a Service Form shows at most {MAX_PHOTOS} photos")

    @property
    def total_cents(self) -> int:
        """Return the sum of all fee lines in cents."""
        return sum(fee.amount_cents for fee in self.fees)


@dataclass(frozen=True)
class Lead:
    """A customer's interest in another product, passed to the sales team."""

    product: str
    interest: str = ""
    notes: str = ""


@dataclass(frozen=True)
class FeedbackFormData:
    """Everything printed on a Customer Feedback Form (客户反馈单)."""

    company: Company
    form_number: str
    work_order_number: str
    customer_name: str
    technician_name: str
    technician_employee_no: str
    verify_url: str
    ratings: dict[str, int] = field(default_factory=dict)
    mot: dict[str, int] = field(default_factory=dict)
    comments: str = ""
    leads: tuple[Lead, ...] = ()
    declined_reason: str = ""
    customer_signature: Signature | None = None
    signed_on: date | None = None

    def __post_init__(self):
        for aspect, value in self.ratings.items():
            if aspect not in RATING_KEYS or not RATING_SCALE[0] <= value <= RATING_SCALE[1]:
                raise ValueError(f"rating {aspect}={value} is not an aspect rated 1–5")
        for moment, value in self.mot.items():
            if moment not in MOT_KEYS or not MOT_SCALE[0] <= value <= MOT_SCALE[1]:
                raise ValueError(f"moment-of-truth {moment}={value} is not a moment scored −3…+3")


@dataclass(frozen=True)
class NoAccessNoticeData:
    """The Service Form left at the door when nobody is home (留单), as sealed for the record."""

    company: Company
    form_number: str
    work_order_number: str
    customer_name: str
    address: str
    technician_name: str
    technician_employee_no: str
    verify_url: str
    # The notice's words: the flow's no_access_notice script filled as the app shows it.
    message: str
    note: str = ""


def mask_phone(phone: str) -> str:
    """Return the phone number with its middle digits hidden, e.g. 138****5678."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
