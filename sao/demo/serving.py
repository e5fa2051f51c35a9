"""`sao serve`: the web app under gunicorn, with static files served by whitenoise."""

from __future__ import annotations

import logging

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
