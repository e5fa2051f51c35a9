"""`sao serve`: the web app under gunicorn, with static files served by whitenoise."""

from __future__ import annotations

import logging
import subprocess
import sys

from django.core.management import call_command
from django.db import connections
from gunicorn.app.base import BaseApplication

logger = logging.getLogger(__name__)

DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_WORKERS = 2
# Threads per worker, which overlap the wait for database commits. `sao bench ingest` measured
# 2 gthread workers with 4 threads 1.5 to 2 times as fast as 4 sync workers for device POSTs.
DEFAULT_THREADS = 4


class SaoApplication(BaseApplication):
    """A gunicorn application that serves the SAO WSGI app with settings given in code."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from django.core.wsgi import get_wsgi_application

        return get_wsgi_application()


def bind_address(address: str, port: int) -> str:
    """Return the gunicorn bind string, with brackets around an IPv6 address."""
    if ":" in address and not address.startswith("["):
        address = f"[{address}]"
    return f"{address}:{port}"


def static_collect() -> None:
    """Copy the static files into STATIC_ROOT (var/static), where whitenoise serves them."""
    call_command("collectstatic", interactive=False, verbosity=0)


def web_serve(*, address: str, port: int, workers: int) -> None:
    """Run gunicorn in the foreground until Ctrl-C (SIGINT) or SIGTERM.

    Gunicorn's master stops its workers on either signal and exits with status 0 through
    SystemExit, which the caller lets through.
    """
    # Workers are forked from this process; they must not share its database connection.
    connections.close_all()
    options = {
        "bind": bind_address(address, port),
        "workers": workers,
        "worker_class": "gthread",
        "threads": DEFAULT_THREADS,
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        "control_socket_disable": True,
        "proc_name": "sao",
    }
    logger.info("serving SAO on %s with %s gunicorn workers", options["bind"], workers)
    SaoApplication(options).run()


def live_url(address: str, port: int) -> str:
    """Return the URL the live demo devices use: loopback when the server listens on all addresses."""
    wildcards = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104 (not a bind)
    host = wildcards.get(address, address)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def live_start(*, address: str, port: int) -> subprocess.Popen | None:
    """Start `sao demo-live` against the served port, or return None without demo devices."""
    from sao.demo.live import demo_device_serials

    if not demo_device_serials():
        return None
    # NOTE: demo-live draws today's punches with the default seed, so after `sao demo --seed N`
    # the morning check-outs of yesterday's night shifts do not match the check-ins it sent.
    process = subprocess.Popen([sys.executable, "-m", "sao", "demo-live", "--url",
                                live_url(address, port)])
    logger.info("live demo devices started in sao demo-live, pid %s", process.pid)
    return process


def live_stop(process: subprocess.Popen | None) -> None:
    """Stop `sao demo-live`: SIGTERM ends its loop after the current step, SIGKILL after 15 s."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
