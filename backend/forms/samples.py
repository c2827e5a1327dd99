"""Demo form data: for the benchmark, the README picture and the tests."""

import math
import struct
import zlib
from datetime import UTC, date, datetime, timedelta

from backend.forms.data import (
    Company,
    ComplianceSummary,
    EquipmentSwap,
    Fee,
    FeedbackFormData,
    Lead,
    Material,
    NoAccessNoticeData,
    ServiceFormData,
    Signature,
    mask_phone,
)
from backend.greetings import fill_script
from backend.visits.definitions import NO_ACCESS_NOTICE_SCRIPT, flow_step, get_flow

_T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Fuzhou


def squiggle_png(width: int = 360, height: int = 110, seed: int = 1) -> bytes:
    """Return a greyscale PNG of a hand-writing-like stroke, standing in for a signature."""
    rows = [bytearray(b"\xff" * width) for _ in range(height)]
    for x in range(10, width - 10):
        y = height / 2 + math.sin(x / (9 + seed)) * height / 4 + math.sin(x / 3.1) * 6
        for dy in (-1, 0, 1):
            rows[int(y) + dy][x] = 0
    raw = b"".join(b"\x00" + bytes(row) for row in rows)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


ZH = {
    "company": Company(name="广电网络集团", hotline="96000", branch="鼓楼分公司"),
    "customer_name": "吉𠮷祥先生",
    "address": "福州市鼓楼区五四路88号温泉花园3座1202室",
    "technician_name": "陈志强",
    "fault": "客厅机顶盒无信号，电视显示“E101 信号中断”，卧室电视正常。",
    "diagnosis": "入户分配器接头氧化松动，机顶盒电源模块损坏。",
    "work_done": "更换分配器接头并重新压接，更换机顶盒，测试信号电平正常，指导客户使用遥控器。",
    "swaps": (
        EquipmentSwap("高清机顶盒", "STB-HD-20190311-7781", "STB-HD-20261101-0042"),
        EquipmentSwap("遥控器", "RC-5521-0098", "RC-5521-2231"),
    ),
    "materials": (Material("同轴电缆 SYWV-75-5", "3 米"), Material("F 头", "2 个")),
    "fees": (
        Fee("STB-SWAP", "机顶盒更换（保内）", 1, "台", 0, 0),
        Fee("CABLE", "入户线缆", 3, "米", 300, 900),
        Fee("F-CONN", "F 接头", 2, "个", 200, 400),
        Fee("VISIT", "上门服务费", 1, "次", 2000, 2000),
    ),
    "comments": "师傅很准时，穿了鞋套，讲解很耐心。",
    "leads": (Lead("宽带提速 500M", "感兴趣", "周末联系"),),
    "missed_rules": ("到达时间比约定时间提前5-10分钟", "主动宣传：递送宣传单张"),
}

EN = {
    "company": Company(name="Cable Network Group", hotline="96000", branch="Gulou branch"),
    "customer_name": "Mr Jonathan Appleby",
    "address": "Flat 1202, Block 3, Hot Spring Gardens, 88 Wusi Road, Gulou",
    "technician_name": "Chen Zhiqiang",
    "fault": "Living-room set-top box shows no signal (E101); the bedroom TV works fine.",
    "diagnosis": "Oxidised, loose splitter connector; the box's power module has failed.",
    "work_done": "Re-crimped the splitter connector, replaced the box, tested levels, showed the remote.",
    "swaps": (
        EquipmentSwap("HD set-top box", "STB-HD-20190311-7781", "STB-HD-20261101-0042"),
        EquipmentSwap("Remote control", "RC-5521-0098", "RC-5521-2231"),
    ),
    "materials": (Material("Coax SYWV-75-5", "3 m"), Material("F connector", "2")),
    "fees": (
        Fee("STB-SWAP", "Box swap (warranty)", 1, "unit", 0, 0),
        Fee("CABLE", "Drop cable", 3, "m", 300, 900),
        Fee("F-CONN", "F connector", 2, "pc", 200, 400),
        Fee("VISIT", "Call-out fee", 1, "visit", 2000, 2000),
    ),
    "comments": "On time, wore shoe covers, explained everything patiently.",
    "leads": (Lead("Broadband 500M upgrade", "interested", "call at the weekend"),),
    "missed_rules": ("Arrived 5–10 minutes before the agreed time", "Handed the leaflet"),
}


def _text(lang: str) -> dict:
    return ZH if lang == "zh" else EN


def sample_service_form(
    lang: str = "zh", *, verify_url: str = "https://doorstep.example/verify/demo", photos: tuple = (), **overrides
) -> ServiceFormData:
    """Return a filled-in one-page Service Form in Chinese (with 𠮷) or Latin text."""
    text = _text(lang)
    values = dict(
        company=text["company"],
        form_number="SF-20261123-0042-1",
        work_order_number="WO-20261122-0042",
        work_order_type="repair",
        customer_name=text["customer_name"],
        customer_phone=mask_phone("13805912345"),
        address=text["address"],
        technician_name=text["technician_name"],
        technician_employee_no="FZ-0731",
        verify_url=verify_url,
        appointment_start=_T0,
        appointment_end=_T0 + timedelta(hours=2),
        arrived_at=_T0 - timedelta(minutes=7),
        started_at=_T0 + timedelta(minutes=5),
        finished_at=_T0 + timedelta(minutes=50),
        fault=text["fault"],
        diagnosis=text["diagnosis"],
        work_done=text["work_done"],
        equipment_swaps=text["swaps"],
        materials=text["materials"],
        fees=text["fees"],
        result="fixed",
        customer_signature=Signature(squiggle_png(seed=1), signed_at=_T0 + timedelta(minutes=52)),
        technician_signature=Signature(squiggle_png(seed=4), signed_at=_T0 + timedelta(minutes=51)),
        photos=photos,
        compliance=ComplianceSummary(
            score=97,
            verified_score=39,
            attested_score=58,
            verified=24,
            attested=36,
            missed=2,
            not_applicable=4,
            missed_rules=text["missed_rules"],
        ),
    )
    values.update(overrides)
    return ServiceFormData(**values)


def sample_feedback_form(lang: str = "zh", **overrides) -> FeedbackFormData:
    """Return a filled-in Customer Feedback Form."""
    text = _text(lang)
    values = dict(
        company=text["company"],
        form_number="FB-20261123-0042-1",
        work_order_number="WO-20261122-0042",
        customer_name=text["customer_name"],
        technician_name=text["technician_name"],
        technician_employee_no="FZ-0731",
        verify_url="https://doorstep.example/verify/demo-feedback",
        ratings={"overall": 5, "punctuality": 5, "attitude": 5, "professionalism": 4, "tidiness": 5},
        mot={"call": 2, "arrival": 1, "communication": 3, "operation": 2},
        comments=text["comments"],
        leads=text["leads"],
        customer_signature=Signature(squiggle_png(seed=2)),
        signed_on=date(2026, 11, 23),
    )
    values.update(overrides)
    return FeedbackFormData(**values)


def sample_no_access_notice(lang: str = "zh", customer: str | None = None, **overrides) -> NoAccessNoticeData:
    """Return a filled-in no-access notice (留单): the repair flow's wording, to `customer` (张先生) or neutral."""
    text = _text(lang)
    arrive = flow_step(get_flow("repair"), "arrive")
    script = next(s for s in arrive["scripts"] if s["id"] == NO_ACCESS_NOTICE_SCRIPT)
    message = fill_script(
        script["text"][lang],
        customer=customer,
        branch="鼓楼",
        technician=text["technician_name"],
        employee_no="FZ-0731",
        time="08:54",
        phone="13905910731",
    )
    values = dict(
        company=text["company"],
        form_number="NA-20261123-0042-1",
        work_order_number="WO-20261122-0042",
        customer_name=text["customer_name"],
        address=text["address"],
        technician_name=text["technician_name"],
        technician_employee_no="FZ-0731",
        verify_url="https://doorstep.example/verify/demo-na",
        message=message,
    )
    values.update(overrides)
    return NoAccessNoticeData(**values)
