"""A short path through the middleware stack for the device endpoints under /iclock/.

Devices send no cookies, no session and no CSRF token, and read only the status line and
a few bytes of text, so sessions, authentication, CSRF, messages, htmx, the login lockout
and the per-user language do nothing for them. Skipping those middlewares saved about a
tenth of the server's CPU time per push POST.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from sao.devices.iclock_urls import ENDPOINT_VIEWS


class IclockMiddleware:
    """Call the iclock view of an /iclock/ path at once; send every other request on.

    Put it first in MIDDLEWARE. It keeps the host check of CommonMiddleware: a Host header
    outside ALLOWED_HOSTS still gets 400. Any other path under /iclock/ goes through the
    full stack, which returns 404.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.views = {f"/iclock/{name}": view for name, view in ENDPOINT_VIEWS.items()}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = self.views.get(request.path_info)
        if view is None:
            return self.get_response(request)

        request.get_host()  # raises DisallowedHost, which Django turns into a 400 response
        # Quarantine messages are stored in the site's language, as for web requests.
        with translation.override(settings.LANGUAGE_CODE):
            return view(request)
