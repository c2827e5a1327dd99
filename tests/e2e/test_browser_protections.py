"""Under the strict Content-Security-Policy everything still works in Chromium, with no violation reported.

The technician app, the customer's signing page (its drawing pad is an inline script with the
response's nonce), the public verification page and Swagger UI are each used as a person would,
listening for `securitypolicyviolation` events and the console's "Refused to ..." errors. The
signing page is also measured at 360×740 in Chinese and English: every target ≥ 44 px.
"""

import io
import json
import types
import urllib.request
import uuid

import pytest

from backend.visits.payloads import MOT_KEYS, RATING_KEYS
from tests.e2e.conftest import PHONE, screenshot
from tests.e2e.driver import login
from tests.visits.conftest import as_sync_ops, whole_visit_ops

# Registered before any page script runs; Playwright's init scripts are not subject to the page's CSP.
LISTEN_FOR_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(
    e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' + e.lineNumber);
});
"""
MIN_TARGET_PX = 44


def _jpeg():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 90, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def _upload(server, token, data):
    attachment_id = str(uuid.uuid4())
    content_type = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    request = urllib.request.Request(
        f"{server.url}/api/v1/attachments/{attachment_id}",
        data,
        method="PUT",
        headers={"Content-Type": content_type, "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.status in (200, 201)
    return attachment_id


def finished_repair(server):
    """Complete the first repair visit through the sync API, as the app would; return the order."""
    token = server.token("tech")
    order = server.order("repair")
    ops = whole_visit_ops("repair", lambda data=None: _upload(server, token, data or _jpeg()))
    ops = as_sync_ops(types.SimpleNamespace(id=order["id"]), ops)
    status, body = server.api("POST", "/api/v1/sync", token, {"device_id": "e2e-protections", "ops": ops})
    assert status == 200 and all(r["status"] == "applied" for r in body["results"]), body
    return order


def signing_url(server, order):
    status, link = server.api("POST", f"/api/v1/work-orders/{order['id']}/signing-links", server.token("tech"), {})
    assert status == 201, link
    assert link["url"].startswith(server.url + "/sign/")
    return link["url"]


@pytest.fixture
def watched(phone):
    """A phone context whose pages record every CSP violation and console error."""
    phone.add_init_script(LISTEN_FOR_VIOLATIONS)
    console = []
    phone.on("console", lambda message: message.type == "error" and console.append(message.text))
    phone.console_errors = console
    return phone


def policed(response):
    """Return the response after checking it carries the strict policy (pages must not be exempt)."""
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, response.url
    return response


def violations(page):
    """Return what the page's policy refused, from the page's events and the console."""
    events = page.evaluate("window.__cspViolations")
    refused = [text for text in page.context.console_errors if "Content Security Policy" in text or "Refused" in text]
    return events + refused


def _draw_signature(page):
    page.locator("#pad").scroll_into_view_if_needed()
    box = page.locator("#pad").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 20, box["y"] + 40 + (step % 3) * 30)
    page.mouse.up()


def test_the_app_signing_page_verify_page_and_swagger_ui_work_under_the_policy(live_server, watched):
    page = watched.new_page()
    policed(page.goto(f"{live_server.url}/"))
    page.wait_for_url(f"{live_server.url}/app/")  # the landing page sends a newcomer to the app
    login(page, live_server)
    assert page.locator("[data-testid=visit]").count() >= 1
    assert violations(page) == []

    order = finished_repair(live_server)
    sign = watched.new_page()
    response = policed(sign.goto(signing_url(live_server, order)))
    assert response.headers["cache-control"] == "no-store"
    sign.locator("label:has(input[name=rating_overall][value='5'])").click()
    sign.locator("label:has(input[name=mot_arrival][value='2'])").click()
    _draw_signature(sign)
    sign.locator("button[type=submit]").click()
    sign.wait_for_selector("text=签名成功")
    assert violations(sign) == []
    verify_href = sign.locator("a[href*='/verify/']").first.get_attribute("href")

    verify = watched.new_page()
    policed(verify.goto(verify_href if verify_href.startswith("http") else live_server.url + verify_href))
    verify.wait_for_selector("text=现行有效版本")
    assert violations(verify) == []

    docs = watched.new_page()
    policed(docs.goto(f"{live_server.url}/api/v1/docs"))
    docs.wait_for_selector(".opblock-tag", timeout=30000)
    docs.locator(".opblock-summary-path", has_text="/api/v1/me/agenda").first.click()
    docs.wait_for_selector("text=Try it out")
    assert docs.locator(".opblock").count() > 20
    assert violations(docs) == []

    office = watched.new_page()
    policed(office.goto(f"{live_server.url}/console/"))
    office.get_by_label("用户名").fill("dispatch")
    office.get_by_label("密码").fill(live_server.seed["password"])
    office.get_by_role("button", name="登录").click()
    office.get_by_text("客服KF0107号为您服务").wait_for()
    for screen in ("派工", "实时", "回访", "个案/投诉", "经营分析"):
        office.get_by_role("link", name=screen).click()
        office.get_by_role("heading", level=2).first.wait_for()
    assert violations(office) == []


def test_a_script_injected_into_the_signing_page_is_refused(live_server, watched):
    """The policy is not decorative: an inline script without the nonce does not run, and is reported."""
    order = finished_repair(live_server)
    page = watched.new_page()
    page.goto(signing_url(live_server, order))
    page.evaluate(
        """() => { const s = document.createElement('script'); s.textContent = 'window.__ran = true';
                   document.body.appendChild(s); }"""
    )
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert page.evaluate("window.__ran === undefined")
    assert "script-src" in " ".join(violations(page))


TARGETS_JS = """() => [...document.querySelectorAll('label, input, button, textarea, canvas, a, select')]
  .filter((el) => el.type !== 'hidden' && el.offsetParent !== null)
  .map((el) => { const r = el.getBoundingClientRect();
                 return {what: el.outerHTML.slice(0, 80), width: r.width, height: r.height, right: r.right}; })"""

SMALL_TEXT_JS = """() => [...document.querySelectorAll('body *')]
  .filter((el) => el.offsetParent !== null && [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
  .filter((el) => parseFloat(getComputedStyle(el).fontSize) < 14)
  .map((el) => el.outerHTML.slice(0, 80))"""


@pytest.mark.parametrize("lang,locale", [("zh", "zh-CN"), ("en", "en-GB")])
def test_every_target_on_the_signing_page_is_at_least_44_px_at_360_by_740(live_server, browser, lang, locale):
    order = finished_repair(live_server)
    context = browser.new_context(**{**PHONE, "locale": locale})
    try:
        page = context.new_page()
        page.goto(f"{signing_url(live_server, order)}?lang={lang}")
        assert page.evaluate("document.documentElement.lang") == ("en" if lang == "en" else "zh-CN")
        targets = page.evaluate(TARGETS_JS)
        radios = [t for t in targets if t["what"].startswith('<input type="radio"')]
        assert len(radios) == 5 * len(RATING_KEYS) + 7 * len(MOT_KEYS)  # every choice is there, visible
        small = [t for t in targets if t["width"] < MIN_TARGET_PX or t["height"] < MIN_TARGET_PX]
        assert small == [], json.dumps(small, ensure_ascii=False, indent=1)
        # Reads well: nothing wider than the phone, no text below 14 px, each scale on one row.
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["viewport"]["width"]
        assert max(t["right"] for t in targets) <= PHONE["viewport"]["width"]
        assert page.evaluate(SMALL_TEXT_JS) == []
        rows = page.evaluate(
            """() => [...document.querySelectorAll('.choices')].map((scale) => new Set(
                 [...scale.querySelectorAll('label')].map((l) => Math.round(l.getBoundingClientRect().top))).size)"""
        )
        assert rows and set(rows) == {1}, rows
        screenshot(page, f"signing-page-{lang}")
    finally:
        context.close()
