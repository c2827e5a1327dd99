"""Flow definitions and the tariff: data files, validated when loaded, cached per process.

The operator edits `flows/<type>.yaml` and `tariff.yaml` (or the files that config
`FLOWS_DIR` / `TARIFF_FILE` point at) without a release; a changed file is re-read on its
next use because the cache is keyed on the file's modification time.
"""

from pathlib import Path

import yaml
from flask import current_app, has_app_context
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backend.errors import NotFound
from backend.greetings import check_script
from backend.visits.compliance import ENGINE_RULES

PACKAGE_DIR = Path(__file__).parent
DEFAULT_FLOWS_DIR = PACKAGE_DIR / "flows"
DEFAULT_TARIFF_FILE = PACKAGE_DIR / "tariff.yaml"

STEP_IDS = ("call", "arrive", "communicate", "operate", "evaluate", "help")
ITEM_KINDS = ("check", "text", "number", "choice", "photo")
CUSTOMER_STYLES = ("dove", "owl", "peacock", "tiger")
CALL_OUTCOMES = ("reached", "no_answer", "busy", "wrong_number", "rescheduled")
# The arrive step's script of the notice left when nobody is home: the app shows it, the sealed PDF prints it.
NO_ACCESS_NOTICE_SCRIPT = "no_access_notice"
# Fields of a step's record that a checklist item may name as its answer (`record:`), so the app
# asks the question once, in the step's tool, and answers the item from the saved record.
RECORD_LINKS = {
    "call.fault_description": "text",
    "operate.work_kinds": "choice",
    "help.checks": "check",
    "help.leaflet_given": "check",
}
WORK_KINDS = ("in_home", "installation", "equipment_replacement", "outdoor_line_check")
SWAP_KINDS = ("set_top_box", "remote_control", "cable_modem", "other")
SLUG = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="Use lower-case letters, digits and '_'.")


class DefinitionError(Exception):
    """A flow or tariff file is not valid; the message names the file and the fields."""

    def __init__(self, path, messages):
        self.path = str(path)
        self.messages = messages
        super().__init__(f"{path}: invalid definition: {_flatten(messages)}")


def _flatten(messages, prefix=""):
    if isinstance(messages, dict):
        parts = [_flatten(v, f"{prefix}.{k}" if prefix else str(k)) for k, v in messages.items()]
        return "; ".join(parts)
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return f"{prefix}: {' '.join(messages)}"
    return f"{prefix}: {messages}"


class Localized(Schema):
    zh = fields.String(required=True, validate=validate.Length(min=1))
    en = fields.String(required=True, validate=validate.Length(min=1))


class LocalizedList(Schema):
    zh = fields.List(fields.String(), required=True)
    en = fields.List(fields.String(), required=True)


class ChoiceSchema(Schema):
    id = fields.String(required=True, validate=SLUG)
    label = fields.Nested(Localized, required=True)
    # For an item answered by operate.work_kinds: the work kind that means this choice.
    work_kind = fields.String(validate=validate.OneOf(WORK_KINDS))


class ChecklistItemSchema(Schema):
    id = fields.String(required=True, validate=SLUG)
    label = fields.Nested(Localized, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ITEM_KINDS))
    required = fields.Boolean(required=True)
    choices = fields.List(fields.Nested(ChoiceSchema))
    record = fields.String(validate=validate.OneOf(RECORD_LINKS))
    # A rule the server checks from evidence: a tick it contradicts is recorded missed.
    verified_by = fields.String(validate=validate.OneOf(ENGINE_RULES))

    @validates_schema
    def _choices_match_kind(self, data, **kwargs):
        if data["kind"] == "choice" and not data.get("choices"):
            raise ValidationError("A choice item needs choices.", "choices")
        if data["kind"] != "choice" and "choices" in data:
            raise ValidationError("Only choice items have choices.", "choices")
        if "record" in data and RECORD_LINKS[data["record"]] != data["kind"]:
            raise ValidationError(f"{data['record']} answers a {RECORD_LINKS[data['record']]} item.", "record")
        if data.get("record") == "operate.work_kinds" and not all("work_kind" in c for c in data["choices"]):
            raise ValidationError("Each choice needs the work_kind that means it.", "choices")


class ScriptSchema(Schema):
    id = fields.String(required=True, validate=SLUG)
    title = fields.Nested(Localized, required=True)
    text = fields.Nested(Localized, required=True)

    @validates_schema
    def _fills_cleanly(self, data, **kwargs):
        # A typo'd placeholder or a name outside [ ] would show on the phone as a hole or a {brace}.
        for text in data["text"].values():
            try:
                check_script(text)
            except ValueError as error:
                raise ValidationError(str(error), "text") from None


class TipSchema(Schema):
    id = fields.String(required=True, validate=SLUG)
    title = fields.Nested(Localized, required=True)
    do = fields.Nested(LocalizedList, required=True)
    dont = fields.Nested(LocalizedList, required=True)
    # A customer style's tip (CUSTOMER_STYLES) also says what the style is like and how it sounds
    # on the phone, so the call step can help spot it; the flow check requires both there.
    traits = fields.Nested(LocalizedList)
    cues = fields.Nested(LocalizedList)


class StepSchema(Schema):
    id = fields.String(required=True, validate=validate.OneOf(STEP_IDS))
    title = fields.Nested(Localized, required=True)
    scripts = fields.List(fields.Nested(ScriptSchema), load_default=list)
    checklist = fields.List(fields.Nested(ChecklistItemSchema), load_default=list)
    tips = fields.List(fields.Nested(TipSchema), load_default=list)

    @validates_schema
    def _records_of_this_step(self, data, **kwargs):
        for item in data.get("checklist", []):
            if "record" in item and not item["record"].startswith(f"{data['id']}."):
                raise ValidationError(
                    f"{item['id']}: a {data['id']} item cannot be answered by {item['record']}.", "checklist"
                )

    @validates_schema
    def _unique_item_ids(self, data, **kwargs):
        for key in ("scripts", "checklist", "tips"):
            ids = [entry["id"] for entry in data.get(key, [])]
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            if repeated:
                raise ValidationError(f"Repeated ids: {', '.join(repeated)}.", key)


class RulesSchema(Schema):
    arrive_early_min_minutes = fields.Integer(required=True, validate=validate.Range(min=0))
    arrive_early_max_minutes = fields.Integer(required=True, validate=validate.Range(min=0))
    knock_sets_per_round = fields.Integer(required=True, validate=validate.Range(min=1, max=10))
    knocks_per_set = fields.Integer(required=True, validate=validate.Range(min=1, max=10))
    knock_interval_seconds = fields.Integer(required=True, validate=validate.Range(min=1))
    knock_interval_tolerance_seconds = fields.Integer(required=True, validate=validate.Range(min=0))
    call_after_knocking_seconds = fields.Integer(required=True, validate=validate.Range(min=0))
    # The call step completes without reaching the customer after this many calls of these outcomes.
    unanswered_calls_before_door = fields.Integer(required=True, validate=validate.Range(min=1, max=20))
    unanswered_call_outcomes = fields.List(
        fields.String(validate=validate.OneOf([o for o in CALL_OUTCOMES if o != "reached"])),
        required=True,
        validate=validate.Length(min=1),
    )

    @validates_schema
    def _window_ordered(self, data, **kwargs):
        if data["arrive_early_min_minutes"] > data["arrive_early_max_minutes"]:
            raise ValidationError("Must not exceed arrive_early_max_minutes.", "arrive_early_min_minutes")
        if data["knock_interval_tolerance_seconds"] >= data["knock_interval_seconds"]:
            # A tolerance as long as the interval would accept rounds knocked all at once.
            raise ValidationError("Must be less than knock_interval_seconds.", "knock_interval_tolerance_seconds")


class FlowSchema(Schema):
    type = fields.String(required=True, validate=SLUG)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    name = fields.Nested(Localized, required=True)
    rules = fields.Nested(RulesSchema, required=True)
    steps = fields.List(fields.Nested(StepSchema), required=True)

    @validates_schema
    def _six_steps_in_order(self, data, **kwargs):
        ids = tuple(step["id"] for step in data["steps"])
        if ids != STEP_IDS:
            raise ValidationError(f"The six steps must be, in order: {', '.join(STEP_IDS)}.", "steps")
        arrive = data["steps"][STEP_IDS.index("arrive")]
        if NO_ACCESS_NOTICE_SCRIPT not in {script["id"] for script in arrive["scripts"]}:
            raise ValidationError(f"The arrive step needs the script {NO_ACCESS_NOTICE_SCRIPT}.", "steps")
        communicate = data["steps"][STEP_IDS.index("communicate")]
        missing = set(CUSTOMER_STYLES) - {tip["id"] for tip in communicate["tips"]}
        if missing:
            raise ValidationError(
                f"The communicate step's tips need the styles: {', '.join(sorted(missing))}.", "steps"
            )
        for tip in communicate["tips"]:
            lacking = [key for key in ("traits", "cues") if tip["id"] in CUSTOMER_STYLES and key not in tip]
            if lacking:
                raise ValidationError(f"The {tip['id']} style's tip needs: {', '.join(lacking)}.", "steps")


class TariffItemSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z][A-Z0-9_]*$"))
    name = fields.Nested(Localized, required=True)
    unit = fields.Nested(Localized, required=True)
    price_cents = fields.Integer(required=True, validate=validate.Range(min=0))
    # The equipment swap kind this item prices: free in warranty, this price out of it (《售后服务管理规定》).
    swap = fields.String(validate=validate.OneOf(SWAP_KINDS))


class TariffSchema(Schema):
    version = fields.Integer(required=True)
    currency = fields.String(required=True)
    items = fields.List(fields.Nested(TariffItemSchema), required=True, validate=validate.Length(min=1))

    @validates_schema
    def _unique_codes(self, data, **kwargs):
        codes = [item["code"] for item in data["items"]]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValidationError(f"Repeated codes: {', '.join(repeated)}.", "items")
        swaps = [item["swap"] for item in data["items"] if "swap" in item]
        repeated = sorted({kind for kind in swaps if swaps.count(kind) > 1})
        if repeated:
            raise ValidationError(f"One item prices each swap kind; repeated: {', '.join(repeated)}.", "items")


_cache: dict = {}


def _load_file(path: Path, schema_class: type[Schema]):
    """Return the validated content of a YAML file, re-reading it only when it changed."""
    mtime = path.stat().st_mtime_ns
    cached = _cache.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DefinitionError(path, {"_yaml": [str(exc)]}) from exc
    if not isinstance(raw, dict):
        raise DefinitionError(path, {"_file": ["The file must hold a mapping."]})
    try:
        data = schema_class().load(raw)
    except ValidationError as exc:
        raise DefinitionError(path, exc.messages) from exc
    _cache[path] = (mtime, data)
    return data


def _config_path(key, default):
    if has_app_context() and current_app.config.get(key):
        return Path(current_app.config[key])
    return default


def flows_dir() -> Path:
    """Return the directory holding the flow definitions (config FLOWS_DIR)."""
    return _config_path("FLOWS_DIR", DEFAULT_FLOWS_DIR)


def flow_types() -> list[str]:
    """Return the work-order types that have a flow definition."""
    return sorted(p.stem for p in flows_dir().glob("*.yaml"))


def get_flow(order_type: str) -> dict:
    """Return the validated flow definition of a work-order type, or raise NotFound."""
    path = flows_dir() / f"{order_type[:64]}.yaml"
    if len(order_type) > 64 or not SLUG.regex.match(order_type) or not path.is_file():
        raise NotFound(f"No flow is defined for work-order type '{order_type}'.", code="flow_not_found")
    flow = _load_file(path, FlowSchema)
    if flow["type"] != order_type:
        raise DefinitionError(path, {"type": [f"Must be '{order_type}', the file's name."]})
    return flow


def load_all_flows() -> dict[str, dict]:
    """Return every flow definition by type (validating each file)."""
    return {order_type: get_flow(order_type) for order_type in flow_types()}


def flow_step(flow: dict, step_id: str) -> dict:
    """Return one step of a flow by id."""
    return flow["steps"][STEP_IDS.index(step_id)]


def get_tariff() -> dict:
    """Return the validated tariff (config TARIFF_FILE)."""
    path = _config_path("TARIFF_FILE", DEFAULT_TARIFF_FILE)
    return _load_file(path, TariffSchema)


def tariff_items() -> dict[str, dict]:
    """Return the tariff items by fee code."""
    return {item["code"]: item for item in get_tariff()["items"]}


def swap_items() -> dict[str, dict]:
    """Return the tariff items that price an equipment swap, by swap kind."""
    return {item["swap"]: item for item in get_tariff()["items"] if "swap" in item}


def flows_for_agenda(order_types=None) -> dict[str, dict]:
    """Return the flow definitions the agenda carries (all types, or the given ones)."""
    if order_types is None:
        return load_all_flows()
    return {t: get_flow(t) for t in sorted(set(order_types)) if (flows_dir() / f"{t}.yaml").is_file()}


def tariff_for_agenda() -> list[dict]:
    """Return the tariff as the agenda carries it: a list of {code, name, unit, price_cents}."""
    return get_tariff()["items"]


def check_definitions() -> None:
    """Validate every flow and the tariff now, so a bad file stops the app at start-up."""
    load_all_flows()
    get_tariff()
