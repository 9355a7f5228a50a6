"""A real browser (Debian's Chromium, driven by Playwright) against the served app.

Two journeys a person really takes: Swagger UI, offline, from logging in to listing their
orders; and the admin, from its login form to activating a company with the admin action.
Screenshots go to test-output/browser/. Without /usr/bin/chromium the tests are skipped,
except under CI=true, where a missing browser is a failure.
"""

import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from playwright.sync_api import expect, sync_playwright

from companies.models import Company
from companies.tests.factories import CompanyFactory
from orders.tests.factories import OrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# The network here is closed: without these Chromium keeps trying to reach Google's hosts.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
SCREENSHOTS = Path(settings.BASE_DIR) / "test-output" / "browser"
# Generous: CI machines are shared, and Swagger UI renders 100+ operations.
TIMEOUT_MS = 30_000


class Browser:
    """One fresh Chromium profile whose every non-local request is aborted and recorded."""

    def __init__(self, context):
        self.context = context
        self.page = context.pages[0] if context.pages else context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        expect.set_options(timeout=TIMEOUT_MS)
        self.external: list[str] = []
        self.static: list[tuple[int, str]] = []
        context.route("**/*", self._route)
        self.page.on("response", self._response)

    def _route(self, route):
        url = route.request.url
        if url.startswith(("http://", "https://")) and urlsplit(url).hostname not in LOCAL_HOSTS:
            self.external.append(url)
            route.abort()
        else:
            route.continue_()

    def _response(self, response):
        if urlsplit(response.url).path.startswith(settings.STATIC_URL):
            self.static.append((response.status, response.url))

    def screenshot(self, name: str, locator=None) -> None:
        """The viewport, or only `locator`'s element (Swagger UI's full page is huge)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (locator or self.page).screenshot(path=SCREENSHOTS / f"{name}.png")


@pytest.fixture
def chromium() -> Path:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)"
        if os.environ.get("CI", "").lower() in {"true", "1"}:
            pytest.fail(reason)  # CI installs it: a missing browser there is a broken CI
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
def browser(chromium, live_server, tmp_path, monkeypatch):
    # Playwright's sync API keeps an event loop running in this thread, and Django refuses
    # ORM calls under a running loop. Only these tests, which never share a connection with
    # that loop, are allowed to.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path / "chromium-profile",
            executable_path=str(chromium),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield Browser(context)
        finally:
            context.close()
            # Under the running loop Django keeps this thread's connections apart from the
            # ones it uses outside it; close them here, or one stays open past the test run.
            connections.close_all()


def _schema_operation_count() -> int:
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return sum(1 for path in schema["paths"].values() for method in path if method in methods)


_SHOWN_OPERATIONS = """blocks => blocks.map(block => [
    block.id,
    (block.querySelector(".opblock-summary-description") || {}).innerText || "",
])"""


def _operations_shown(page) -> dict[str, str]:
    """Every operation block of the page, by element id, with its summary. Past a hundred or
    so operations Swagger UI mounts only the blocks near the viewport, so the page is read a
    viewport at a time from top to bottom, as a reader scrolling it would see them."""
    page.evaluate("window.scrollTo(0, 0)")
    expect(page.locator(".opblock").first).to_be_visible()
    shown: dict[str, str] = {}
    while True:
        shown.update(page.locator(".opblock").evaluate_all(_SHOWN_OPERATIONS))
        if page.evaluate("innerHeight + scrollY >= document.documentElement.scrollHeight - 1"):
            break
        page.evaluate("window.scrollBy(0, innerHeight / 2)")
        page.wait_for_timeout(30)
    shown.update(page.locator(".opblock").evaluate_all(_SHOWN_OPERATIONS))
    page.evaluate("window.scrollTo(0, 0)")
    return shown


def _operation(page, operation_id: str):
    """The operation's block, scrolled to (mounted first, if Swagger UI had not yet)."""
    block = page.locator(f"[id$='-{operation_id}']")
    if not block.count():
        page.evaluate("window.scrollTo(0, 0)")
    while not block.count():
        assert not page.evaluate(
            "innerHeight + scrollY >= document.documentElement.scrollHeight - 1"
        )
        page.evaluate("window.scrollBy(0, innerHeight / 2)")
        page.wait_for_timeout(30)
    block.scroll_into_view_if_needed()
    return block


def _execute(page, operation_id: str, body: dict | None = None) -> tuple[str, str]:
    """Expand an operation, press "Try it out" and "Execute"; return (status, body) shown."""
    block = _operation(page, operation_id)
    block.locator(".opblock-summary").first.click()
    block.get_by_role("button", name="Try it out").click()
    if body is not None:
        block.locator("textarea.body-param__text").fill(json.dumps(body))
    block.get_by_role("button", name="Execute").click()
    row = block.locator(".live-responses-table tbody tr.response").first
    expect(row).to_be_visible()
    status = row.locator(".response-col_status").inner_text().strip()
    shown = row.locator(".response-col_description pre").first.inner_text()
    return status, shown


def test_swagger_ui_offline_login_authorize_and_list_orders(browser, live_server, tenant, password):
    mine = OrderFactory(
        company=tenant.company, requester=tenant.requester, title="Projector flickers in room 4"
    )
    other_company = CompanyFactory()
    theirs = OrderFactory(company=other_company, title="Somebody else's boiler")
    page = browser.page

    page.goto(f"{live_server.url}/api/docs/")
    assert len(_operations_shown(page)) == _schema_operation_count()
    expect(_operation(page, "orders_list")).to_be_visible()
    browser.screenshot("swagger-1-loaded")

    # Log in through the UI's own login operation and read the access token it shows.
    status, shown = _execute(
        page,
        "auth_login",
        {"email": tenant.requester.email, "password": password},
    )
    assert status == "200", shown
    access = json.loads(shown)["access"]

    page.locator(".scheme-container button.authorize").click()
    dialog = page.locator(".modal-ux")
    dialog.locator("input[type=text]").fill(access)
    dialog.get_by_role("button", name="Apply credentials").click()  # the dialog's "Authorize"
    expect(dialog.get_by_role("button", name="Remove authorization")).to_have_text("Logout")
    browser.screenshot("swagger-2-authorized")
    dialog.get_by_role("button", name="Close").click()

    with page.expect_request(re.compile(r"/api/v1/orders(\?|$)")) as sent:
        status, shown = _execute(page, "orders_list")
    assert sent.value.headers["authorization"] == f"Bearer {access}"
    assert status == "200", shown
    listed = json.loads(shown)
    assert [row["id"] for row in listed["results"]] == [mine.id]
    assert listed["results"][0]["title"] == mine.title
    assert theirs.title not in shown
    browser.screenshot("swagger-3-orders-listed", _operation(page, "orders_list"))

    assert browser.external == []
    assert any("drf_spectacular_sidecar/swagger-ui-dist" in url for _, url in browser.static)
    assert [(code, url) for code, url in browser.static if code != 200] == []


def test_swagger_ui_shows_a_summary_on_every_operation(browser, live_server):
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    methods = {"get", "put", "post", "delete", "patch"}
    summaries = {
        operation["operationId"]: operation["summary"]
        for path in schema["paths"].values()
        for method, operation in path.items()
        if method in methods
    }
    page = browser.page

    page.goto(f"{live_server.url}/api/docs/")
    rows = _operations_shown(page)
    assert len(rows) == len(summaries)

    shown = {
        operation_id: text.strip()
        for block_id, text in rows.items()
        for operation_id in summaries
        if block_id.endswith(f"-{operation_id}")
    }
    assert shown == summaries
    assert all(shown.values())
    orders_list = _operation(page, "orders_list")
    browser.screenshot("swagger-4-summaries", orders_list)
    assert browser.external == []


def test_admin_staff_logs_in_and_activates_a_company(browser, live_server, staff_user, password):
    sleeping = CompanyFactory(trading_name="Sleepy Sawmill", is_active=False)
    bystander = CompanyFactory(trading_name="Other Inactive Bakery", is_active=False)
    page = browser.page

    page.goto(f"{live_server.url}/admin/")
    page.locator("#id_username").fill(staff_user.email)
    page.locator("#id_password").fill(password)
    browser.screenshot("admin-1-login")
    page.locator("input[type=submit]").click()
    expect(page.locator("#site-name")).to_be_visible()
    greeting = staff_user.get_short_name() or staff_user.get_username()
    expect(page.locator("#user-tools")).to_contain_text(f"Welcome, {greeting}")

    page.locator("#companies-company").get_by_role("link", name="Companies").click()
    expect(page).to_have_url(re.compile(r"/admin/companies/company/$"))
    row = page.locator("#result_list tbody tr", has_text="Sleepy Sawmill")
    expect(row.locator("td.field-is_active img")).to_have_attribute("alt", "False")
    row.locator("input.action-select").check()
    page.locator("select[name=action]").select_option("activate")
    browser.screenshot("admin-2-action-chosen")
    page.get_by_role("button", name="Go").click()

    expect(page.locator(".messagelist .success")).to_contain_text(
        "The selected companies are active."
    )
    row = page.locator("#result_list tbody tr", has_text="Sleepy Sawmill")
    expect(row.locator("td.field-is_active img")).to_have_attribute("alt", "True")
    other_row = page.locator("#result_list tbody tr", has_text="Other Inactive Bakery")
    expect(other_row.locator("td.field-is_active img")).to_have_attribute("alt", "False")
    browser.screenshot("admin-3-company-active")

    assert Company.objects.get(pk=sleeping.pk).is_active is True
    assert Company.objects.get(pk=bystander.pk).is_active is False
    assert browser.external == []
    assert any(url.endswith("admin/css/base.css") for _, url in browser.static)
    assert [(code, url) for code, url in browser.static if code != 200] == []


def test_redoc_renders_offline_and_asks_no_other_host(browser, live_server):
    page = browser.page

    page.goto(f"{live_server.url}/api/redoc/")

    expect(page.get_by_role("heading", name=re.compile("Mutirão API"))).to_be_visible()
    expect(page.locator("li[data-item-id^='tag/orders']").first).to_be_visible()
    browser.screenshot("redoc-1-loaded")
    # Redoc's side menu would fetch its logo from a CDN; the page's CSP stops it unasked.
    assert browser.external == []
    assert any("drf_spectacular_sidecar/redoc" in url for _, url in browser.static)
