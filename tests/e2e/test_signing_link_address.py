"""Issue 14.11 in Chromium: a server configured by its name (no PUBLIC_BASE_URL) sends links that open."""

from tests.e2e.conftest import LiveServer
from tests.e2e.test_browser_protections import finished_repair, signing_url


def test_a_signing_link_from_a_server_on_another_port_opens_the_signing_page(tmp_path, phone):
    server = LiveServer(tmp_path, address_from_server_name=True)  # a random port, never 5000
    try:
        order = finished_repair(server)
        url = signing_url(server, order)  # it must point at this server, not a baked-in default
        page = phone.new_page()
        page.goto(url)
        page.locator("input[name=rating_overall]").first.wait_for(state="attached")
        assert page.url == url
    finally:
        server.stop()
