"""Browser tests: a real server on 127.0.0.1 and Debian's Chromium driven by Playwright.

Without /usr/bin/chromium the tests skip with a reason, unless CI is set: then they fail.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
from werkzeug.serving import make_server

from engine.bootstrap import bootstrap
from engine.services import identity
from engine.services.deploy import deploy, read_paths
from engine.settings import Settings
from tests.web.helpers import MODELS, WEBANTRAG

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DOCUMENTS_KEY = "e2e-document-verification-key-0123456789"


def _require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, AXE) if not p.exists()]
    if not missing:
        return
    message = f"missing {', '.join(missing)} (apt-get install chromium; npm ci)"
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but browser tests cannot run: {message}")
    pytest.skip(f"browser tests skipped: {message}")


@pytest.fixture
def server(sqlite_template: Path, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The app on a fresh database with demo accounts and the test service, served over HTTP."""
    _require_browser()
    from webui.app import create_app
    path = tmp_path / "e2e.sqlite"
    shutil.copy(sqlite_template, path)
    settings = Settings(database_url=f"sqlite:///{path}", secret_key="e2e-secret", demo=True,
                        connector_config={"documents_verification_key": DOCUMENTS_KEY})
    engine = bootstrap(settings)
    passwords = identity.create_demo_accounts(engine).passwords
    deploy(engine, read_paths([str(MODELS / n) for n in WEBANTRAG]), actor="test")
    app = create_app(settings, engine=engine, test_config={"RATELIMIT_ENABLED": False})
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{http.server_port}", "passwords": passwords, "engine": engine}
    http.shutdown()
    engine.db.dispose()


@pytest.fixture
def browser(server: dict[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield instance
        instance.close()


class Page:
    """A browser page with the checks every test wants: no console errors (CSP!), axe, screenshots."""

    def __init__(self, browser: Any, base: str) -> None:
        self.context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900},
                                           accept_downloads=True)
        # Playwright waits 30 s by default; a loaded CI machine (two cores, load 16) running Chromium
        # and the server can come near that. A deadline that is never reached when it works:
        self.context.set_default_timeout(90_000)
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _console(self, message: Any) -> None:
        # a refused form answers 400 on purpose; anything else (CSP refusals, missing assets) is an error
        if message.type == "error" and "status of 400" not in message.text:
            self.errors.append(message.text)

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def axe(self, name: str) -> None:
        """No WCAG 2.1 AA violation on the current page."""
        if not self.page.evaluate("() => !!window.axe"):
            self.page.evaluate(AXE.read_text(encoding="utf-8"))
        result = self.page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                                    WCAG_AA)
        problems = [f"{v['id']}: {v['help']} -> {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]]
        assert problems == [], f"axe on {name} ({self.page.url}):\n" + "\n".join(problems)

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def check(self, name: str) -> None:
        self.axe(name)
        self.shot(name)
        assert self.errors == [], f"console errors on {name}: {self.errors}"

    def tab_to(self, selector: str, limit: int = 80) -> None:
        """Press Tab until the element matching selector has the focus (keyboard only, no clicks)."""
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            if self.page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"{selector} not reachable with Tab")


@pytest.fixture
def open_page(browser: Any, server: dict[str, Any]) -> Iterator[Any]:
    pages: list[Page] = []

    def make() -> Page:
        page = Page(browser, server["url"])
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.context.close()
