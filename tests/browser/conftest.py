"""Playwright driving Debian's Chromium against the live test server.

Playwright's own browser download does not work on these machines, so the tests use
/usr/bin/chromium (Debian package `chromium`) and skip with a message where it is absent.
"""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("SAO_CHROMIUM", "/usr/bin/chromium")

# Playwright's sync API runs an event loop in the test thread, and Django's ORM raises in a
# thread with a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set. These tests make no
# concurrent ORM calls, so setting it is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found; install Debian's chromium package to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def log_in(page, username: str, password: str = "secret-pass-123") -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
