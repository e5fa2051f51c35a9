"""Readable before/after tables of audit entries: field label, value before, value after.

Entries store plain JSON (ids, ISO dates, codes). For display, a key that names a field of the
audited model gets that field's verbose name, and a choice value gets its label. A foreign key
shows the name of the row it points to, read in one query per model for a whole page of entries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _

EMPTY = "—"

# Keys of audit values that are not fields of the audited model.
EXTRA_LABELS = {
    "tpp_amount": _("monthly TPP amount (Rp)"),
    "tpp_valid_from": _("TPP amount valid from"),
    "valid_from": _("valid from"),
    "valid_to": _("valid to"),
    "decree": _("decree number"),
    "reason": _("reason"),
    "commands": _("device commands"),
    "kind": _("kind"),
    "outage": _("outage"),
    "start": _("start"),
    "end": _("end"),
}


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


def _model_for(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model] | None, key: str) -> models.Field | None:
    if model is None:
        return None
    for name in (key, key.removesuffix("_id")):
        try:
            return model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
    return None


def _label(model, key: str) -> str:
    field = _field(model, key)
    if field is not None and hasattr(field, "verbose_name"):
        return str(field.verbose_name)
    if key in EXTRA_LABELS:
        return str(EXTRA_LABELS[key])
    return key.replace("_", " ")


def _text(value, field, names: dict) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if field is not None and field.is_relation and field.related_model is not None:
        return names.get((field.related_model, str(value)), f"#{value}")
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {item}" for key, item in value.items())
    return str(value)


def _related_names(entries) -> dict[tuple[type[models.Model], str], str]:
    """Read the names of every row that the entries' foreign-key values point to, one query per model."""
    requested: dict[type[models.Model], set[str]] = defaultdict(set)
    for entry in entries:
        model = _model_for(entry.object_type)
        for values in (entry.old_value, entry.new_value):
            if not isinstance(values, dict):
                continue
            for key, value in values.items():
                field = _field(model, key)
                points = field is not None and field.is_relation and field.related_model is not None
                if points and value not in (None, ""):
                    requested[field.related_model].add(str(value))

    names = {}
    for model, ids in requested.items():
        numeric = [item for item in ids if item.isdigit()]
        for row in model._default_manager.filter(pk__in=numeric):
            names[(model, str(row.pk))] = str(row)
    return names


def entry_changes(entry, names: dict | None = None) -> list[FieldChange]:
    """Return the changed fields of an entry, one row each, in the order the entry stores them.

    A field whose before and after read the same is left out, so an update that stores whole
    snapshots shows only what changed. A value that is not a dict (an old entry's plain value) is
    shown as one row "value".
    """
    names = names if names is not None else _related_names([entry])
    model = _model_for(entry.object_type)
    old = entry.old_value
    new = entry.new_value
    if not isinstance(old, dict | type(None)) or not isinstance(new, dict | type(None)):
        return [FieldChange(label=str(_("value")), before=_text(old, None, {}), after=_text(new, None, {}))]

    old = old or {}
    new = new or {}
    keys = list(dict.fromkeys([*old, *new]))
    changes = []
    for key in keys:
        field = _field(model, key)
        before = _text(old.get(key), field, names)
        after = _text(new.get(key), field, names)
        if before != after:
            changes.append(FieldChange(label=_label(model, key), before=before, after=after))
    return changes


def page_changes(entries) -> list[tuple[object, list[FieldChange]]]:
    """Return (entry, its field changes) for a page of entries, with foreign keys named in bulk."""
    entries = list(entries)
    names = _related_names(entries)
    return [(entry, entry_changes(entry, names)) for entry in entries]
