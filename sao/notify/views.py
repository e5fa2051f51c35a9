"""The SMS log for BKD: inbound commands with their replies, and outbound notifications."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from sao.notify.models import InboundSms, OutboundMessage
from sao.org.scope import PROVINCE_ROLES, effective_role

PAGE_SIZE = 50


@login_required
@require_GET
def message_log(request: HttpRequest) -> HttpResponse:
    # Phone numbers of the whole province: BKD only, because the rows have no unit to scope by.
    if effective_role(request.user) not in PROVINCE_ROLES:
        raise PermissionDenied(_("Only BKD reads the SMS log."))
    inbound = Paginator(InboundSms.objects.select_related("employee"), PAGE_SIZE).get_page(
        request.GET.get("in")
    )
    outbound = Paginator(OutboundMessage.objects.all(), PAGE_SIZE).get_page(request.GET.get("out"))
    return render(request, "notify/log.html", {"inbound": inbound, "outbound": outbound})
