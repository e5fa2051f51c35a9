"""The ZKTeco push endpoints, mounted at /iclock/ exactly as the firmware calls them.

No trailing slashes: devices do not follow the redirect APPEND_SLASH would send. Some
firmware uses the .aspx and .php spellings of the same paths.

NOTE: the push 3.x paths (registry, push, querydata) are not served, so such a device gets
404. Only 2.x and 1.0 firmware is handled.
"""

from django.urls import path

from sao.devices import iclock_views

_ENDPOINTS = {
    "cdata": iclock_views.cdata,
    "getrequest": iclock_views.getrequest,
    "devicecmd": iclock_views.devicecmd,
    "ping": iclock_views.ping,
    "fdata": iclock_views.fdata,
}
_SUFFIXES = ("", ".aspx", ".php")

# View of each path under /iclock/ in every spelling. `IclockMiddleware` reads it too.
ENDPOINT_VIEWS = {f"{name}{suffix}": view for name, view in _ENDPOINTS.items() for suffix in _SUFFIXES}

urlpatterns = [
    path(path_name, view, name="iclock_" + path_name.replace(".", "_"))
    for path_name, view in ENDPOINT_VIEWS.items()
]
