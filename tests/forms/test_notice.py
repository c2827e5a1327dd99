"""The notice left when nobody is home: one wording, the same in the app and on the sealed PDF (issue 10.7)."""

import json
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

from backend.forms.samples import squiggle_png
from backend.forms.services import seal_visit_forms
from backend.visits.attachments import store_attachment
from backend.visits.engine import apply_op
from tests.forms.pdftools import pdftotext, squeeze
from tests.visits.conftest import WINDOW_START, whole_visit_ops

PWA = Path(__file__).resolve().parents[2] / "pwa"

# The app's own code fills the script it shows at the arrive step (pwa/src/ui/visit.js does the same).
APP_FILLS_THE_NOTICE = """
import { clockAt, fillScript, scriptValues } from './src/flow.js';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const { agenda, user, firstKnock, lang } = JSON.parse(input);
const visit = agenda.visits[0];
const arrive = agenda.flows[visit.work_order.type].steps.find((s) => s.id === 'arrive');
const script = arrive.scripts.find((s) => s.id === 'no_access_notice');
const cameAt = clockAt(firstKnock, agenda.greetings.timezone);
process.stdout.write(fillScript(script.text[lang], scriptValues({ customer: visit.customer, user, lang, cameAt })));
"""


def _app_shows(agenda, user, first_knock, lang="zh"):
    body = json.dumps({"agenda": agenda, "user": user, "firstKnock": first_knock.isoformat(), "lang": lang})
    done = subprocess.run(
        ["node", "--input-type=module", "-e", APP_FILLS_THE_NOTICE],
        cwd=PWA,
        input=body,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_the_notice_left_says_the_same_words_in_the_app_and_on_the_sealed_pdf(db, client, login, make_user, make_order):
    technician = make_user("technician", name="王明", employee_no="FZ-0731", branch="鼓楼", phone="13905910731")
    order = make_order("repair", tech=technician)
    assert (order.customer.name, order.customer.title) == ("张三", "先生")
    session = login(client, technician.username).get_json()
    headers = {"Authorization": f"Bearer {session['token']}"}
    # What the phone downloaded for the day: the flows, the customer, the greeting rules' timezone.
    agenda = client.get(f"/api/v1/me/agenda?date={WINDOW_START.date().isoformat()}", headers=headers).get_json()

    def new_attachment(data=None):
        return store_attachment(str(uuid.uuid4()), squiggle_png(seed=5), technician)[0].id

    # The call step done the day before, then nobody at the door.
    called = whole_visit_ops("repair", new_attachment)
    at_the_door = next(i for i, op in enumerate(called) if op["type"] == "arrive.checkin")
    ops = [(op["type"], op["at"], op["data"]) for op in called[:at_the_door]]
    first_knock = WINDOW_START - timedelta(minutes=6)
    ops += [("arrive.knock", first_knock + timedelta(seconds=30 * i), {"round": i + 1}) for i in range(6)]
    ops += [
        ("call.attempt", first_knock + timedelta(minutes=3, seconds=10), {"outcome": "no_answer"}),
        ("arrive.no_access", first_knock + timedelta(minutes=4), {"notice_attachment_id": new_attachment()}),
    ]
    for op_type, at, data in ops:
        apply_op(order, technician, op_type, data, at)
    db.session.commit()
    seal_visit_forms(order.id)
    pdf = client.get(f"/api/v1/work-orders/{order.id}/forms/no_access.pdf", headers=headers).data
    printed = squeeze(pdftotext(pdf))

    shown = _app_shows(agenda, session["user"], first_knock)
    assert shown == (
        "尊敬的张先生：福建广电网络鼓楼分公司维护员王明（工号FZ-0731）于09:54按约上门，家中无人。"
        "请您方便时拨打13905910731与我们联系，重新预约上门时间。给您带来不便，敬请谅解！"
    )
    assert squeeze(shown) in printed
    assert "《福建广电网络集团服务单》" not in printed and "服务单（无人在家留单）" in printed
    assert "留言单" not in printed
