"""Report screens and downloads: every report is a table shown on screen or sent as CSV, XLSX or PDF."""

from __future__ import annotations

import datetime as dt
import tempfile
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from sao.core import labels
from sao.org.models import Unit
from sao.org.scope import scope_queryset
from sao.reports import dashboard as dashboard_data
from sao.reports import selectors, services, tables
from sao.reports.exports import CONTENT_TYPES, ReportTable, csv_lines, pdf_bytes, write_xlsx
from sao.reports.forms import ReportForm
from sao.reports.models import ExportJob, ExportStatus
from sao.reports.rates import DENOMINATOR_TEXT, RATE_CODES, RATE_FORMULAS, RATE_LABELS

# Rows per page of the on-screen lists; downloads contain every row.
PAGE_SIZE = 100
RECAP_PAGE_SIZE = 50


def report_view(view):
    """Wrap a report view so it requires a login and receives the GET parameters checked by ReportForm.

    The view gets the cleaned parameters after the request. Invalid parameters get the 400 page,
    which names each bad field.
    """

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = ReportForm(request.GET)
        if not form.is_valid():
            return _bad_request(request, form)
        return view(request, form.cleaned_data, *args, **kwargs)

    return wrapper


def _default_unit(user) -> Unit | None:
    """Return the user's own unit, or the top unit of their scope (the province for BKD)."""
    if getattr(user, "unit_id", None):
        return user.unit
    return scope_queryset(user=user, queryset=Unit.objects.all()).order_by("depth", "path").first()


def _unit(request: HttpRequest, params: dict) -> Unit:
    if params.get("unit"):
        return selectors.scoped_unit(user=request.user, code=params["unit"])
    unit = _default_unit(request.user)
    if unit is None:
        raise Http404
    return unit


def _today() -> dt.date:
    return timezone.localdate()


def _month(params: dict) -> dt.date:
    return params.get("month") or _today().replace(day=1)


def send_table(table: ReportTable, file_format: str) -> HttpResponse:
    """Return the download response of a table: streamed CSV, XLSX from a temporary file, or PDF."""
    disposition = f'attachment; filename="{table.filename(file_format)}"'
    if file_format == "csv":
        response = StreamingHttpResponse(csv_lines(table), content_type=CONTENT_TYPES["csv"])
    elif file_format == "xlsx":
        # FileResponse closes the file when the response is sent, which deletes it.
        spool = tempfile.TemporaryFile()  # noqa: SIM115
        write_xlsx(table, spool)
        spool.seek(0)
        response = FileResponse(spool, content_type=CONTENT_TYPES["xlsx"])
    else:
        signatory = selectors.signatory_for(table.unit) if table.unit is not None else None
        response = HttpResponse(
            pdf_bytes(table, signatory=signatory, printed_on=_today()), content_type=CONTENT_TYPES["pdf"]
        )
    response["Content-Disposition"] = disposition
    return response


def _bad_request(request: HttpRequest, form: ReportForm) -> HttpResponse:
    return render(request, "reports/bad_parameters.html", {"form": form}, status=400)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return query.urlencode()


def _table_page(
    request: HttpRequest, table: ReportTable, params: dict, *, report: str, paginate: bool = True
) -> HttpResponse:
    """Send the table as a file when a format is asked for, else render it, one page at a time.

    A list of daily results reads only the page's results; other tables are built in memory.
    """
    if params.get("format"):
        return send_table(table, params["format"])

    page = None
    if table.results is not None:
        page = Paginator(table.results, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [tables.daily_row(result) for result in page.object_list]
    elif paginate:
        page = Paginator(list(table.rows), PAGE_SIZE).get_page(request.GET.get("page"))
        rows = page.object_list
    else:
        rows = list(table.rows)
    context = {
        "table": table,
        "rows": rows,
        "page": page,
        "query": _query_without_page(request),
        "unit": table.unit,
        "export_report": report,
    }
    return render(request, "reports/table.html", context)


@report_view
def daily(request: HttpRequest, params: dict) -> HttpResponse:
    day = params.get("date") or _today()
    table = tables.daily_table(user=request.user, unit=_unit(request, params), day=day)
    return _table_page(request, table, params, report="daily")


@report_view
def recap(request: HttpRequest, params: dict) -> HttpResponse:
    unit = _unit(request, params)
    month = _month(params)
    if params.get("format"):
        return send_table(tables.recap_table(user=request.user, unit=unit, month=month), params["format"])

    first, last = selectors.month_bounds(month)
    keys = selectors.recap_employee_keys(user=request.user, unit=unit, first=first, last=last)
    page = Paginator(keys, RECAP_PAGE_SIZE).get_page(request.GET.get("page"))
    employees = selectors.employees_in_order([pk for _path, _name, pk in page.object_list])
    rows = selectors.recap_rows(user=request.user, unit=unit, month=first, employees=employees)
    days = [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]
    context = {
        "unit": unit,
        "first": first,
        "days": days,
        "rows": rows,
        "page": page,
        "query": _query_without_page(request),
        "totals": selectors.RECAP_TOTALS,
        "legend": labels.recap_legend(),
        "export_report": "recap",
    }
    return render(request, "reports/recap.html", context)


def _period(params: dict) -> tuple[dt.date, dt.date]:
    today = _today()
    if params.get("month") and not (params.get("start") or params.get("end")):
        return selectors.month_bounds(params["month"])
    start = params.get("start") or (
        dt.date(params["year"], 1, 1) if params.get("year") else today.replace(day=1)
    )
    end = params.get("end") or (dt.date(params["year"], 12, 31) if params.get("year") else today)
    return start, end


@report_view
def rates(request: HttpRequest, params: dict) -> HttpResponse:
    under = selectors.scoped_unit(user=request.user, code=params["unit"]) if params.get("unit") else None
    start, end = _period(params)
    rate = params.get("rate") or "physical"
    target = dashboard_data.highest_target()
    table = tables.rates_table(user=request.user, start=start, end=end, rate=rate, under=under, target=target)
    return _table_page(request, table, params, report="rates", paginate=False)


@report_view
def events(request: HttpRequest, params: dict, kind: str) -> HttpResponse:
    if kind not in tables.EVENT_TITLES:
        raise Http404
    unit = _unit(request, params)
    start, end = _period(params)
    table = tables.events_table(user=request.user, unit=unit, start=start, end=end, kind=kind)
    return _table_page(request, table, params, report=kind)


@report_view
def tpp(request: HttpRequest, params: dict) -> HttpResponse:
    table = tables.tpp_table(user=request.user, unit=_unit(request, params), month=_month(params))
    return _table_page(request, table, params, report="tpp")


@report_view
def discipline(request: HttpRequest, params: dict) -> HttpResponse:
    year = params.get("year") or _today().year
    table = tables.discipline_table(user=request.user, unit=_unit(request, params), year=year)
    return _table_page(request, table, params, report="discipline")


@report_view
def dashboard(request: HttpRequest, params: dict) -> HttpResponse:
    rate = params.get("rate") or "physical"
    month = _month(params)
    data = dashboard_data.build(user=request.user, rate=rate, month=month, now=timezone.now())
    context = {
        "data": data,
        "rate": rate,
        "month": month,
        "rate_choices": [(code, RATE_LABELS[code]) for code in RATE_CODES],
        "formula": RATE_FORMULAS[rate],
        "denominator": DENOMINATOR_TEXT,
        "chart_data": data.chart_data(),
        "now": timezone.now(),
    }
    return render(request, "reports/dashboard.html", context)


@login_required
def dashboard_today(request: HttpRequest) -> HttpResponse:
    """Render the today panel alone, for the htmx polling refresh."""
    rows = dashboard_data.today_rows(user=request.user, day=_today())
    return render(request, "reports/_today.html", {"today_rows": rows, "now": timezone.now()})


@report_view
def dashboard_csv(request: HttpRequest, params: dict, chart: str) -> HttpResponse:
    """Send the CSV of one dashboard chart, with the same numbers as its table view."""
    rate = params.get("rate") or "physical"
    table = dashboard_data.chart_table(
        user=request.user, chart=chart, rate=rate, month=_month(params), day=_today()
    )
    if table is None:
        raise Http404
    return send_table(table, "csv")


@login_required
def my_month(request: HttpRequest, year: int | None = None, month: int | None = None) -> HttpResponse:
    """Show the employee's own month: one row per day with status and punches, readable on a phone."""
    employee = getattr(request.user, "employee", None)
    if employee is None:
        raise Http404
    today = _today()
    try:
        first = dt.date(year or today.year, month or today.month, 1)
    except ValueError as exc:
        raise Http404 from exc
    days = selectors.employee_month(employee=employee, month=first)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    context = {
        "employee": employee,
        "first": first,
        "days": days,
        "previous": previous,
        "following": following,
    }
    return render(request, "reports/my_month.html", context)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/index.html", {"unit": _default_unit(request.user), "today": _today()})


@login_required
@require_POST
def export_start(request: HttpRequest, report: str) -> HttpResponse:
    """Queue a report file for a background worker and show its progress page."""
    if report not in tables.REPORTS:
        raise Http404
    form = ReportForm(request.POST)
    if not form.is_valid():
        return _bad_request(request, form)
    params = form.cleaned_data
    unit = _unit(request, params) if report != "rates" or params.get("unit") else None
    start, end = _period(params)
    if report == "daily":
        start = end = params.get("date") or params.get("start") or _today()
    stored = {
        "unit": unit.code if unit is not None else "",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "month": _month(params).isoformat(),
        "year": params.get("year") or _today().year,
        "rate": params.get("rate") or "physical",
    }
    job = services.export_job_start(
        user=request.user, report=report, params=stored, file_format=params.get("format") or "xlsx"
    )
    return redirect("reports:export_detail", pk=job.pk)


@login_required
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show an export job's progress bar; htmx polls the same URL until the file is ready."""
    job = get_object_or_404(ExportJob, pk=pk, user=request.user)
    template = "reports/_export_job.html" if request.headers.get("HX-Request") else "reports/export_job.html"
    return render(request, template, {"job": job})


@login_required
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ExportJob, pk=pk, user=request.user, status=ExportStatus.DONE)
    path = services.export_directory() / job.file_name
    if not path.exists():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.file_name.split("-", 1)[1])
