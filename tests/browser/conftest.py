"""Browser tests: the app on a free local port, driven by Playwright through Debian's chromium.

Skipped unless TRACKER_BROWSER_TESTS=1, so the fast suite needs no browser. Needs
``apt-get install -y chromium`` and ``npm ci --prefix tests/browser`` (the pinned axe-core).
"""

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import PASSWORD

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # the fast suite may run without the browser extra
    sync_playwright = None

HERE = Path(__file__).resolve().parent
ENABLED = os.environ.get("TRACKER_BROWSER_TESTS") == "1"
CHROMIUM = os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
if sync_playwright is None:
    # Without the browser extra the test modules cannot even be imported: leave them out.
    collect_ignore_glob = ["test_*.py"]
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = HERE.parent.parent / "test-artifacts"


def pytest_collection_modifyitems(config, items):
    if ENABLED and sync_playwright is not None:
        return
    reason = (
        "browser tests run with TRACKER_BROWSER_TESTS=1"
        if not ENABLED
        else "playwright is not installed (pip install -e '.[browser]')"
    )
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(skip)


@pytest.fixture
def live_server(app):
    """The test app (same database as the ``app`` fixture) served in a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    # bypass_csp: axe-core is injected as an inline script, which our CSP rightly forbids.
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="en-GB", bypass_csp=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def sign_in(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.fixture
def signed_in_page(page, live_server, coordinator):
    """A page with the coordinator signed in, on the dashboard."""
    sign_in(page, live_server, coordinator.email)
    page.wait_for_url(f"{live_server}/")
    return page


@pytest.fixture
def check_axe():
    """``check_axe(page)``: fail on any serious or critical axe-core violation of the page."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci --prefix tests/browser`")

    def check(page, *, context: str | None = None) -> list[dict]:
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            """async (context) => await axe.run(context || document,
                   {resultTypes: ['violations']})""",
            context,
        )
        bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        details = "\n".join(
            f"- [{v['impact']}] {v['id']}: {v['help']} "
            f"({', '.join(n['target'][0] for n in v['nodes'][:5])})"
            for v in bad
        )
        assert not bad, f"axe-core found problems on {page.url}:\n{details}"
        return result["violations"]

    return check
