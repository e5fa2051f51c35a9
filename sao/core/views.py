"""Home page per role, language switch and the login lockout page."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from sao.org import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    summary = selectors.home_summary(user=request.user)
    return render(request, "core/home.html", {"summary": summary})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Save the chosen language on the user (or in a cookie before login) and go back."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language not in dict(settings.LANGUAGES):
        return response

    if request.user.is_authenticated:
        request.user.language = language
        request.user.save(update_fields=["language"])
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600,
                        samesite="Lax")
    return response


def locked_out(request: HttpRequest, credentials=None, *args, **kwargs) -> HttpResponse:
    """Render the lockout page with status 429 and the cool-off time (django-axes lockout callable)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429)
