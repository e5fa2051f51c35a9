"""`sao serve` as a real process: gunicorn serves pages on loopback, whitenoise serves static files,
the demo logins are printed, and Ctrl-C (SIGINT) stops it cleanly.

The processes use their own SQLite database under a temporary SAO_VAR_DIR, never the test
database, because a separate process cannot see pytest's test database.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from sao.demo.logins import DEMO_PASSWORD
from sao.demo.units import SEED_FILE

START_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sao(*args: str) -> list[str]:
    return [sys.executable, "-m", "sao", *args]


def fetch(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback URL built here)
        return response.status, response.headers.get("Content-Type", ""), response.read()


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory) -> dict:
    """Return the environment of a migrated SQLite database holding the demo, shared by the tests."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "SAO_UNITS_FILE")}
    env["SAO_VAR_DIR"] = str(tmp_path_factory.mktemp("var"))
    subprocess.run(sao("migrate", "-v0"), env=env, check=True, timeout=120)
    # Three days of punches also run the push server that `sao demo` starts on its own database.
    subprocess.run(sao("demo", "--employees", "300", "--units", str(SEED_FILE), "--days", "3"), env=env,
                   check=True, timeout=120, capture_output=True)
    return env


@pytest.fixture
def served(demo_env):
    env = demo_env
    port = free_port()
    process = subprocess.Popen(
        sao("serve", "--port", str(port), "--workers", "1"), env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while True:
            try:
                fetch(f"{base}/login/")
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield process, base
    finally:
        # SIGTERM lets the gunicorn master stop its workers; SIGKILL would leave them orphaned.
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def test_serve_pages_and_static(served):
    _process, base = served

    status, _type, body = fetch(f"{base}/login/")
    assert status == 200
    assert b"csrfmiddlewaretoken" in body

    status, content_type, body = fetch(f"{base}/static/vendor/bootstrap/bootstrap.min.css")
    assert status == 200
    assert content_type.startswith("text/css")
    assert len(body) > 100_000


def test_serve_stops_on_ctrl_c(served):
    process, base = served

    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)

    # The command prints in the default language, as a console session would.
    with translation.override(settings.LANGUAGE_CODE):
        ready = gettext("SAO runs on %(url)s (press Ctrl-C to stop).") % {"url": f"{base}/"}
        stopped = gettext("SAO stopped.")
    assert process.returncode == 0
    assert "admin.bkd" in output
    assert "operator.samsat-samarinda" in output
    assert DEMO_PASSWORD in output
    assert ready in output
    # Forked workers unwind through the command too; only the master prints the stop line.
    assert output.count(stopped) == 1
    # The job consumer started beside the web app and stopped with it.
    started = re.search(r"sao worker\D*(\d+)", output)
    assert started is not None
    assert not Path(f"/proc/{started.group(1)}").exists()
