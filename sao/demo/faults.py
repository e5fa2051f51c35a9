"""Historical device faults of the demo, walked through the faults services.

`demo_faults_plan` runs before the punches are sent. It chooses a few single-device sites and
a working day for each fault, and its `withholds` method keeps the punches of each outage
window out of the push, so they are missing as they would be after a real failure.
`demo_faults_create` then gives each fault its life through `sao.faults.services`:

- backfilled: the device loses its network before the morning check-ins, SAO detects the
  silence, the unit reports within the hour, BKD acknowledges, repairs and resolves it, and
  the DATA QUERY ATTLOG command brings the kept punches back;
- late: the same silence later in the morning, reported 80 minutes after the failure;
- lost: a broken sensor records nothing for a day, and the unit operator enters the day's
  presence from the attendance sheet, which the verifier approves;
- replaced: a damaged device replaced in the afternoon;
- open: a broken sensor since the last working day, still in repair.

A fault stored by an earlier run for the same device and cause, in the punch range or still
open, is reused, so a re-run withholds the same punches and creates nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sao.attendance.compute import recompute
from sao.attendance.models import DailyResult, DayStatus
from sao.calendars.holidays import holidays_between
from sao.calendars.models import HolidayOverride
from sao.calendars.services import active_policy
from sao.core.labels import status_label
from sao.demo.devices import DeviceSite
from sao.devices.models import Device, DeviceCommand, UploadSource
from sao.devices.processing import upload_process
from sao.devices.services import device_commands_deliver, raw_upload_store
from sao.devices.simulator.push import GeneratedPunch
from sao.faults.hours import working_deadline
from sao.faults.models import (
    OPEN_STATUSES,
    FaultCause,
    FaultOutage,
    FaultStatus,
    FaultTicket,
)
from sao.faults.selectors import dependents_by_device, targets_on
from sao.faults.services import (
    FaultError,
    PresenceLine,
    fault_detect,
    fault_report,
    fault_transition,
    presence_batch_create,
    presence_batch_decide,
)
from sao.org.models import Role, User

logger = logging.getLogger(__name__)

# The stories in the order their sites are chosen. The lost punches come first, so that the
# unit-operator login enters them and the verifier login of its agency approves them, and
# the open fault second, so that it lies in the verifier's agency too.
STORY_KEYS = ("lost", "open", "backfilled", "late", "replaced")
# Position of each historical fault among the working days of the punch range (0 first,
# 1 last). The open fault takes the last working day.
DAY_POSITIONS = {"backfilled": 0.15, "late": 0.35, "lost": 0.55, "replaced": 0.75, "open": 1.0}
STORY_CAUSES = {
    "backfilled": FaultCause.SILENT,
    "late": FaultCause.SILENT,
    "lost": FaultCause.SENSOR,
    "replaced": FaultCause.DAMAGED,
    "open": FaultCause.SENSOR,
}
# A site needs this many enrolled employees to show a fault's effect.
MIN_SITE_PINS = 3


@dataclass
class FaultStory:
    """One planned fault: its device, its outage window and the punches the window removed."""

    key: str
    cause: str
    site: DeviceSite
    device: Device
    day: dt.date
    start: dt.datetime  # failure start and window start
    end: dt.datetime | None  # window end; None while the fault is open
    existing: FaultTicket | None = None
    withheld: list[GeneratedPunch] = field(default_factory=list)

    def covers(self, punch: GeneratedPunch) -> bool:
        moment = punch.local_time.replace(tzinfo=self.device.zone)
        return self.start <= moment and (self.end is None or moment <= self.end)


@dataclass
class DemoFaultPlan:
    stories: list[FaultStory] = field(default_factory=list)

    def withholds(self, serial: str, punch: GeneratedPunch) -> bool:
        """Tell whether the punch falls in an outage window of the device, and keep it if so."""
        for story in self.stories:
            if story.device.serial == serial and story.covers(punch):
                story.withheld.append(punch)
                return True
        return False


def _minutes(value: float) -> dt.timedelta:
    return dt.timedelta(minutes=value)


def _eligible_sites(sites: Sequence[DeviceSite], policy) -> list[DeviceSite]:
    """Return the sites with one device, office hours and enough staff, largest first."""
    found = []
    for site in sites:
        if len(site.serials) != 1 or len(site.pins) < MIN_SITE_PINS:
            continue
        profile = policy.profile_for(schedule_profile=site.unit.schedule_profile,
                                     unit_code=site.unit.code)
        if not profile.rostered:
            found.append(site)
    return sorted(found, key=lambda site: (-len(site.pins), site.unit.path))


def _choose_sites(sites: list[DeviceSite]) -> dict[str, DeviceSite]:
    """Give each story its own site, preferring the units the demo logins are scoped to."""
    operator_units = set(User.objects.filter(role=Role.OPERATOR_UNIT, is_active=True)
                         .values_list("unit__path", flat=True))
    verifier_units = set(User.objects.filter(role=Role.VERIFIER, is_active=True)
                         .values_list("unit__path", flat=True))

    def verified(site: DeviceSite) -> bool:
        return any(site.unit.path.startswith(path) for path in verifier_units)

    def operated(site: DeviceSite) -> bool:
        return any(site.unit.path.startswith(path) for path in operator_units)

    preferences = {"lost": lambda site: operated(site) and verified(site), "open": verified}
    chosen: dict[str, DeviceSite] = {}
    for key in STORY_KEYS:
        free = [site for site in sites if site not in chosen.values()]
        preferred = preferences.get(key)
        pick = next((site for site in free if preferred and preferred(site)), None)
        pick = pick or next(iter(free), None)
        if pick is not None:
            chosen[key] = pick
    return chosen


def _office_days(site: DeviceSite, policy, start: dt.date, end: dt.date) -> list:
    """Return the schedules of the site's full office days in start..end (no Friday windows)."""
    profile = policy.profile_for(schedule_profile=site.unit.schedule_profile,
                                 unit_code=site.unit.code)
    overrides = list(HolidayOverride.objects.filter(date__range=(start, end)))
    holidays = holidays_between(policy, start, end, overrides=overrides)
    schedules = []
    day = start
    while day <= end:
        schedule = policy.office_day(profile, day, site.unit.time_zone)
        full_day = schedule.is_working and schedule.start and schedule.end and not schedule.windows
        if full_day and day not in holidays:
            schedules.append(schedule)
        day += dt.timedelta(days=1)
    return schedules


def _window(key: str, opens: dt.datetime, closes: dt.datetime) -> tuple[dt.datetime, dt.datetime | None]:
    """Return the failure start and window end of a story on a day with these office hours."""
    if key == "backfilled":
        return opens - _minutes(25), opens + _minutes(240)
    if key == "late":
        return opens + _minutes(100), opens + _minutes(300)
    if key == "lost":
        return opens - _minutes(50), closes + _minutes(180)
    if key == "replaced":
        return opens + _minutes(240), closes - _minutes(45)
    return opens + _minutes(300), None


def demo_faults_plan(*, sites: Sequence[DeviceSite], start: dt.date, end: dt.date) -> DemoFaultPlan:
    """Choose the faulty devices, days and windows of the demo in the punch range start..end."""
    plan = DemoFaultPlan()
    policy = active_policy()
    eligible = _eligible_sites(sites, policy)
    if len(eligible) < len(STORY_KEYS):
        logger.warning("demo faults skipped: %s sites with one device and office hours, %s needed",
                       len(eligible), len(STORY_KEYS))
        return plan

    devices = Device.objects.select_related("unit").in_bulk(
        [site.serials[0] for site in eligible], field_name="serial")
    now = timezone.now()
    for key, site in _choose_sites(eligible).items():
        days = _office_days(site, policy, start, end)
        if not days:
            continue
        device = devices[site.serials[0]]
        schedule = days[round(DAY_POSITIONS[key] * (len(days) - 1))]
        window_start, window_end = _window(key, schedule.start, schedule.end)
        story = FaultStory(key=key, cause=STORY_CAUSES[key], site=site, device=device,
                           day=schedule.work_date, start=window_start, end=window_end)
        _reuse_existing(story, start=start, end=end)
        if story.existing is None and (story.end or story.start) > now:
            continue
        plan.stories.append(story)
    return plan


def _reuse_existing(story: FaultStory, *, start: dt.date, end: dt.date) -> None:
    """Take the window of a fault a previous run stored for this device and cause, if any.

    A ticket still open counts whenever it started, because a second open ticket for the
    same device and cause is not allowed.
    """
    zone = story.device.zone
    first = dt.datetime.combine(start, dt.time(0), zone)
    last = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), zone)
    tickets = (FaultTicket.objects.filter(device=story.device)
               .filter(Q(cause=story.cause) | Q(reported_cause=story.cause))
               .order_by("opened_at"))
    ticket = (tickets.filter(status__in=OPEN_STATUSES).first()
              or tickets.filter(failure_started_at__gte=first, failure_started_at__lt=last).first())
    if ticket is None:
        return
    outage = FaultOutage.objects.filter(ticket=ticket).order_by("start").first()
    story.existing = ticket
    story.start = outage.start if outage else ticket.failure_started_at
    story.end = outage.end if outage else ticket.closed_at


# ---------------------------------------------------------------------------------------------
# Each fault's life


@dataclass
class StoryActors:
    bkd: User
    unit_operator: User
    verifier: User


def _actors(unit) -> StoryActors | None:
    """Return the demo logins that act on a unit's fault: BKD, its operator, its verifier.

    Without an operator or verifier login over the unit, BKD's operator reports and BKD's
    admin approves, as their roles allow.
    """
    users = User.objects.filter(is_active=True).select_related("unit")
    bkd = users.filter(role=Role.OPERATOR_BKD).order_by("pk").first()
    admin = users.filter(role=Role.ADMIN_BKD).order_by("pk").first()
    if bkd is None or admin is None:
        return None

    def covering(role: str) -> User | None:
        return next((user for user in users.filter(role=role).order_by("pk")
                     if user.unit is not None and unit.path.startswith(user.unit.path)), None)

    return StoryActors(bkd=bkd, unit_operator=covering(Role.OPERATOR_UNIT) or bkd,
                       verifier=covering(Role.VERIFIER) or admin)


def _status_counts(story: FaultStory, employee_ids: set[int]) -> dict[str, int]:
    rows = DailyResult.objects.filter(employee_id__in=employee_ids, date=story.day)
    counts: dict[str, int] = {}
    for status in rows.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def _backfill_reply(story: FaultStory, *, device_kept_punches: bool) -> int:
    """Reply to the outage's DATA QUERY ATTLOG as the device does, and return the punches sent.

    The command is delivered, the kept punches come back as an ATTLOG upload and the result
    follows, each stored in the raw-upload ledger and parsed by the push endpoints' processing,
    at historical times a few minutes after the window closed. A device that recorded
    nothing sends the result alone.
    """
    outage = FaultOutage.objects.filter(ticket=story.existing).exclude(
        backfill_command__isnull=True).select_related("backfill_command").first()
    if outage is None:
        return 0
    command: DeviceCommand = outage.backfill_command
    delivered_at = outage.end + _minutes(2)
    device_commands_deliver(device=story.device, now=delivered_at)

    punches = sorted(set(story.withheld)) if device_kept_punches else []
    if punches:
        body = "".join(punch.line() + "\n" for punch in punches).encode()
        upload = raw_upload_store(body=body, source=UploadSource.PUSH, device=story.device,
                                  table="ATTLOG", received_at=delivered_at + _minutes(1),
                                  query_string=f"SN={story.device.serial}&table=ATTLOG")
        upload_process(upload=upload)

    result = f"ID={command.pk}&Return=0&CMD=DATA\n".encode()
    upload = raw_upload_store(body=result, source=UploadSource.PUSH, device=story.device,
                              table="devicecmd", received_at=delivered_at + _minutes(1),
                              query_string=f"SN={story.device.serial}")
    upload_process(upload=upload)
    return len(punches)


def _detect_and_report(story: FaultStory, actors: StoryActors, *, report_after: dt.timedelta,
                       description: str) -> FaultTicket:
    """Open a SILENT ticket when the check would, then record the unit's report of it."""
    targets = targets_on(story.day)
    detected_at = working_deadline(unit=story.device.unit, start=story.start,
                                   amount=_minutes(targets.silent_minutes), until=story.end)
    detail = _("No contact since %(time)s, %(minutes)s minutes of working hours.") % {
        "time": story.start.astimezone(story.device.zone).strftime("%Y-%m-%d %H:%M"),
        "minutes": targets.silent_minutes}
    fault_detect(device=story.device, cause=FaultCause.SILENT, failure_started_at=story.start,
                 now=detected_at or story.start, detail=detail)
    return fault_report(device=story.device, actor=actors.unit_operator, cause="network",
                        description=description, now=story.start + report_after)


def _respond(ticket: FaultTicket, actors: StoryActors, steps: list[tuple[str, dt.datetime, str]]) -> None:
    for status, when, note in steps:
        fault_transition(ticket=ticket, to_status=status, actor=actors.bkd, now=when, note=note)


def _story_silent(story: FaultStory, actors: StoryActors, *, late: bool) -> FaultTicket:
    if late:
        ticket = _detect_and_report(story, actors, report_after=_minutes(80),
                                    description="Jaringan kantor putus sejak pagi, baru dilaporkan "
                                                "setelah rapat.")
        reported = ticket.reported_at
        steps = [(FaultStatus.ACKNOWLEDGED, reported + _minutes(20), "Diteruskan ke teknisi jaringan."),
                 (FaultStatus.RESOLVED, story.end, "Kabel jaringan diganti, mesin terhubung lagi.")]
    else:
        ticket = _detect_and_report(story, actors, report_after=_minutes(58),
                                    description="Mesin tidak mengirim data, lampu jaringan mati.")
        reported = ticket.reported_at
        steps = [(FaultStatus.ACKNOWLEDGED, reported + _minutes(20), "Teknisi BKD dijadwalkan."),
                 (FaultStatus.IN_REPAIR, reported + _minutes(45), "Teknisi di lokasi."),
                 (FaultStatus.RESOLVED, story.end, "Switch diganti, mesin mengirim lagi.")]
    _respond(ticket, actors, steps)
    return ticket


def _story_sensor(story: FaultStory, actors: StoryActors, *, description: str,
                  report_after: dt.timedelta, photo: bool = False) -> FaultTicket:
    photo_file = ContentFile(_sample_jpeg(), name=f"sensor-{story.device.serial}.jpg") if photo else None
    return fault_report(device=story.device, actor=actors.unit_operator, cause=story.cause,
                        description=description, now=story.start + report_after,
                        stated_started_at=story.start, photo=photo_file)


def _sample_jpeg() -> bytes:
    """Return a small grey JPEG used as the unit's photo of the device."""
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (64, 48), (128, 128, 128)).save(buffer, format="JPEG")
    return buffer.getvalue()


def _presence_enter(story: FaultStory, ticket: FaultTicket, actors: StoryActors) -> int:
    """Enter the lost punches from the attendance sheet and have the verifier approve them."""
    owners = {pin: employee_id for employee_id, pin in story.site.pins.items()}
    lines: dict[tuple[int, int], PresenceLine] = {}
    for punch in sorted(story.withheld):
        employee_id = owners.get(punch.pin)
        if employee_id is None:
            continue
        # The sheet has one time per person and direction, so a double tap is written once.
        lines.setdefault((employee_id, punch.state), PresenceLine(
            employee_id=employee_id, instant=punch.local_time.replace(tzinfo=story.device.zone),
            state=punch.state))
    if not lines:
        return 0

    entered_at = story.end + dt.timedelta(hours=14)
    sheet = ContentFile(_sheet_pdf(story), name=f"daftar-hadir-{story.day.isoformat()}.pdf")
    batch = presence_batch_create(
        ticket=ticket, actor=actors.unit_operator, evidence=sheet,
        reason="Sensor sidik jari rusak; kehadiran dari daftar hadir manual yang ditandatangani.",
        lines=list(lines.values()), now=entered_at)
    presence_batch_decide(batch=batch, actor=actors.verifier, approve=True,
                          now=entered_at + _minutes(90), note="Sesuai daftar hadir.")
    return len(lines)


def _sheet_pdf(story: FaultStory) -> bytes:
    """Return a one-page PDF used as the scanned attendance sheet."""
    from io import BytesIO

    from PIL import Image, ImageDraw

    sheet = Image.new("RGB", (595, 842), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    draw.text((60, 60), f"Daftar hadir manual {story.site.unit.name}", fill=(0, 0, 0))
    draw.text((60, 80), f"Tanggal {story.day.isoformat()}, mesin {story.device.serial}",
              fill=(0, 0, 0))
    buffer = BytesIO()
    sheet.save(buffer, format="PDF")
    return buffer.getvalue()


@dataclass
class FaultsResult:
    tickets: int = 0
    punches_recovered: int = 0
    presence_entered: int = 0
    events: list[str] = field(default_factory=list)


def demo_faults_create(*, plan: DemoFaultPlan) -> FaultsResult:
    """Give every planned fault not stored yet its tickets, windows, backfill and presence."""
    result = FaultsResult()
    for story in sorted(plan.stories, key=lambda story: story.start):
        if story.existing is not None:
            continue
        actors = _actors(story.device.unit)
        if actors is None:
            logger.warning("demo faults skipped: no BKD operator or admin login")
            return result
        try:
            _story_create(story, actors, result)
        except FaultError as exc:
            # A ticket changed by hand since the last run can block a step, so the demo
            # logs it and goes on with the next fault.
            logger.warning("demo fault %s on device %s skipped: %s (%s)", story.key,
                           story.device.serial, exc, exc.code)
    return result


def _story_create(story: FaultStory, actors: StoryActors, result: FaultsResult) -> None:
    dependents = dependents_by_device(devices=[story.device], start=story.start,
                                      end=story.end or timezone.now())[story.device.pk]
    if story.key in ("backfilled", "late"):
        ticket = _story_silent(story, actors, late=story.key == "late")
    elif story.key == "lost":
        ticket = _story_sensor(story, actors, report_after=_minutes(35), photo=True,
                               description="Sensor sidik jari tidak membaca jari sejak pagi.")
        _respond(ticket, actors, [
            (FaultStatus.ACKNOWLEDGED, ticket.reported_at + _minutes(30), "Teknisi BKD dijadwalkan."),
            (FaultStatus.IN_REPAIR, ticket.reported_at + _minutes(90), "Menunggu sensor pengganti."),
            (FaultStatus.RESOLVED, story.end, "Sensor diganti setelah jam kerja.")])
    elif story.key == "replaced":
        ticket = fault_report(device=story.device, actor=actors.unit_operator, cause=story.cause,
                              description="Mesin mati total setelah tersambar petir.",
                              now=story.start + _minutes(20), stated_started_at=story.start)
        # TODO: sao.devices has no service that retires a device and registers its
        # successor, so the replacement keeps the serial and only the ticket records it.
        _respond(ticket, actors, [
            (FaultStatus.ACKNOWLEDGED, story.start + _minutes(40), "Unit pengganti disiapkan."),
            (FaultStatus.IN_REPAIR, story.start + _minutes(60), "Teknisi memasang unit pengganti."),
            (FaultStatus.REPLACED, story.end, "Mesin diganti unit baru.")])
    else:
        ticket = _story_sensor(story, actors, report_after=_minutes(30),
                               description="Sensor wajah dan sidik jari tidak merespons.")
        _respond(ticket, actors, [
            (FaultStatus.ACKNOWLEDGED, ticket.reported_at + _minutes(60), "Teknisi BKD dijadwalkan."),
            (FaultStatus.IN_REPAIR, ticket.reported_at + _minutes(120), "Menunggu suku cadang dari vendor.")])
    story.existing = ticket
    result.tickets += 1
    if story.end is None:
        result.events.append(_("Fault #%(id)s on %(serial)s (%(unit)s): open since %(time)s.")
                             % _labels(story, ticket))
        return

    before = _recompute_day(story, dependents)
    recovered = _backfill_reply(story, device_kept_punches=story.key in ("backfilled", "late"))
    entered = _presence_enter(story, ticket, actors) if story.key == "lost" else 0
    after = _recompute_day(story, dependents) if recovered or entered else before
    result.punches_recovered += recovered
    result.presence_entered += entered
    result.events.append(
        _("Fault #%(id)s on %(serial)s (%(unit)s) on %(time)s: days '%(status)s' %(before)s "
          "before the backfill and %(after)s after; punches recovered %(recovered)s, entered by "
          "hand %(entered)s.")
        % {**_labels(story, ticket), "status": status_label(DayStatus.PERLU_VERIFIKASI),
           "before": before.get(DayStatus.PERLU_VERIFIKASI, 0),
           "after": after.get(DayStatus.PERLU_VERIFIKASI, 0), "recovered": recovered,
           "entered": entered})


def _labels(story: FaultStory, ticket: FaultTicket) -> dict:
    return {"id": ticket.pk, "serial": story.device.serial, "unit": story.site.unit.code,
            "time": story.start.astimezone(story.device.zone).strftime("%Y-%m-%d %H:%M")}


def _recompute_day(story: FaultStory, employee_ids: set[int]) -> dict[str, int]:
    if not employee_ids:
        return {}
    recompute(start=story.day, end=story.day, employee_ids=sorted(employee_ids))
    return _status_counts(story, employee_ids)
