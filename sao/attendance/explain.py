"""Readable sentences for the explanation steps of a computed day."""

from __future__ import annotations

from django.utils.translation import gettext as _

from sao.attendance.engine import DayResult


def explanation_steps(result: DayResult) -> list[dict]:
    """Return the steps of an engine result as {"code", "params"} dicts, the punches used first."""
    punches = [[punch.instant.isoformat(), punch.state, punch.suspect] for punch in result.punches]
    return [{"code": "punches", "params": {"punches": punches}}] + [
        {"code": step.code, "params": step.params} for step in result.explanation
    ]


MESSAGES = {
    "punches": lambda params: _("Punches considered: %(count)s.") % {"count": len(params.get("punches", []))},
    "schedule": lambda params: (
        _("Schedule %(profile)s %(shift)s: %(start)s to %(end)s (rule %(rule)s; legal basis: %(basis)s).")
        % {
            "profile": params.get("profile"),
            "shift": params.get("shift") or "",
            "start": params.get("start") or "-",
            "end": params.get("end") or "-",
            "rule": params.get("rule_version"),
            "basis": params.get("legal_basis") or "-",
        }
        if params.get("working")
        else _("No working hours on this day under %(profile)s (rule %(rule)s).")
        % {"profile": params.get("profile"), "rule": params.get("rule_version")}
    ),
    "outside_window": lambda params: (
        _("Punches outside every window, not used: %(punches)s.")
        % {"punches": ", ".join(params.get("punches", []))}
    ),
    "holiday": lambda params: _("Holiday: %(name)s (%(category)s).") % params,
    "holiday_rostered": lambda params: (
        _("Holiday %(name)s, but the roster says this shift is worked.") % params
    ),
    "day_off": lambda params: _("Day off under the schedule."),
    "work_on_day_off": lambda params: (
        _("Punched on a day off; worked %(minutes)s minutes.")
        % {"minutes": params.get("worked_minutes") if params.get("worked_minutes") is not None else "-"}
    ),
    "absence": lambda params: (
        _("Approved absence %(code)s %(reference)s decides the day; punches are kept.") % params
    ),
    "suspect_punches": lambda params: (
        _("Punches from a device with an untrusted clock: %(punches)s.")
        % {"punches": ", ".join(params.get("punches", []))}
    ),
    "pairing": lambda params: (
        _(
            "Pairing %(rule)s around the midpoint %(midpoint)s: check-in %(check_in)s, "
            "check-out %(check_out)s."
        )
        % {key: params.get(key) or "-" for key in ("rule", "midpoint", "check_in", "check_out")}
    ),
    "presence_window": lambda params: (
        _("Presence window %(start)s to %(end)s: punch %(punch)s.")
        % {key: params.get(key) or "-" for key in ("start", "end", "punch")}
    ),
    "no_punch": lambda params: _("No usable punch on a working day."),
    "missing_check_in": lambda params: _("No check-in: counted as %(code)s.") % params,
    "missing_check_out": lambda params: _("No check-out: counted as %(code)s.") % params,
    "late_early": lambda params: (
        _(
            "Late %(late)s min (%(late_code)s), early %(early)s min (%(early_code)s), "
            "tolerances %(late_tolerance)s/%(early_tolerance)s min, worked %(worked)s min."
        )
        % {
            key: params.get(key) if params.get(key) not in (None, "") else "-"
            for key in (
                "late",
                "late_code",
                "early",
                "early_code",
                "late_tolerance",
                "early_tolerance",
                "worked",
            )
        }
    ),
    "worked_below_absent": lambda params: (
        _("Worked less than %(threshold)s minutes: counted as TK.") % params
    ),
    "worked_below_half_day": lambda params: _("Worked less than %(threshold)s minutes: half day.") % params,
    "needs_verification": lambda params: _("Needs verification (%(reason)s).") % params,
    "not_final": lambda params: _("Provisional until the window closes at %(closes_at)s.") % params,
    "status": lambda params: _("Status: %(status)s.") % params,
}


def explain(steps: list[dict]) -> list[str]:
    """Return one sentence per explanation step, showing unknown codes as they are."""
    sentences = []
    for step in steps:
        render = MESSAGES.get(step.get("code"))
        params = step.get("params") or {}
        try:
            sentences.append(render(params) if render else f"{step.get('code')}: {params}")
        except (KeyError, TypeError, ValueError):
            sentences.append(f"{step.get('code')}: {params}")
    return sentences
