"""The staffing plan of the demo province: how many people each unit gets, and who they are.

`staffing_plan` is pure: it takes the unit tree and a random generator and returns employee
specs with their supervisor chain (kepala, then sekretaris, kepala bidang and kasubag, then
staff). The same tree and seed always give the same plan.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.utils.translation import gettext as _

from sao.demo.identities import DEMO_YEAR, Identity, IdentityFactory
from sao.demo.positions import (
    CPNS,
    D3,
    ECHELON_MIN_GRADE,
    FIELDS_BY_CATEGORY,
    NON_ASN,
    PNS,
    PNS_GRADE_RANGE,
    PNS_GRADES,
    POSTS_BY_CATEGORY,
    PPPK,
    PPPK_GRADE,
    PPPK_PW,
    PROFESSION,
    PROMOTION_YEARS,
    S1,
    S2,
    SMA,
    Post,
)
from sao.org.models import GradeScheme, PositionKind, UnitKind

# Relative headcount of a unit without an employee estimate, by kind. The education office
# and hospitals are the largest employers of the province.
DEFAULT_WEIGHTS = {
    UnitKind.RSUD: 500,
    UnitKind.OPD: 80,
    UnitKind.SCHOOL: 200,
    UnitKind.UPT: 30,
    UnitKind.OFFICE: 30,
}
EDUCATION_OFFICE_WEIGHT = 300
# The headquarters of the secretariat: the Sekda, assistants and their staff.
SECRETARIAT_WEIGHT = 150

# Agencies that have a secretary (sekretaris) above their Kasubag Umum.
SECRETARY_NAME_PREFIXES = ("Dinas", "Badan")


class StaffingError(ValueError):
    """The requested headcount cannot staff the unit tree."""


@dataclass(frozen=True)
class UnitInfo:
    """The fields of a unit that the plan needs."""

    code: str
    parent_code: str | None
    kind: str
    name: str
    city: str
    employee_estimate: int | None


@dataclass
class EmployeeSpec:
    """One planned employee. `key` is the NIP, or the NIK for non-ASN staff."""

    key: str
    unit_code: str
    identity: Identity
    kind: str
    role: str  # head, secretary, kasubag_umum, middle or staff
    position: str
    position_kind: str
    echelon: str
    grade_scheme: str
    grade_code: str
    front_title: str
    back_title: str
    valid_from: dt.date
    supervisor_key: str | None = None


def unit_category(unit: UnitInfo, parent: UnitInfo | None) -> str:
    """Return the catalogue category of a unit: hospital, school, health, police and so on."""
    code = unit.code
    family = f"{code} {parent.code if parent else ''}"
    if unit.kind == UnitKind.RSUD:
        return "hospital"
    if unit.kind == UnitKind.SCHOOL:
        return "school"
    if "SATPOLPP" in code:
        return "police"
    if "DINKES" in family:
        return "health"
    if "DINSOS" in family:
        return "social_care"
    return "office"


def field_names(unit: UnitInfo, category: str) -> tuple[str, ...]:
    if unit.kind == UnitKind.UPT:
        return FIELDS_BY_CATEGORY["technical_unit"]
    if "DISDIKBUD" in unit.code:
        return FIELDS_BY_CATEGORY["education"]
    if "BAPENDA" in unit.code:
        return FIELDS_BY_CATEGORY["revenue"]
    return FIELDS_BY_CATEGORY.get(category, FIELDS_BY_CATEGORY["office"])


def unit_weight(unit: UnitInfo) -> int:
    if unit.employee_estimate:
        return unit.employee_estimate
    if unit.code == "OPD-DISDIKBUD":
        return EDUCATION_OFFICE_WEIGHT
    if unit.code == "OPD-SETDA":
        return SECRETARIAT_WEIGHT
    return DEFAULT_WEIGHTS.get(unit.kind, 30)


def minimum_headcount(unit: UnitInfo) -> int:
    """Return the smallest staff of a unit: an agency needs a kepala, a Kasubag Umum and one staff."""
    if unit.kind in (UnitKind.OPD, UnitKind.RSUD, UnitKind.OFFICE):
        return 3
    return 2


def allocate_headcount(
    units: list[UnitInfo], *, total: int, minimums: dict[str, int] | None = None
) -> dict[str, int]:
    """Split `total` employees over the units in proportion to their weights.

    Every unit gets at least its minimum headcount; `minimums` raises it for chosen units.
    Raise StaffingError when the minimums alone exceed the total.
    """
    minimums = minimums or {}
    floor = {unit.code: max(minimum_headcount(unit), minimums.get(unit.code, 0)) for unit in units}
    required = sum(floor.values())
    if total < required:
        raise StaffingError(
            _("%(total)s employees cannot staff %(units)s units; request at least %(required)s.")
            % {"total": total, "units": len(units), "required": required}
        )

    weights = {unit.code: unit_weight(unit) for unit in units}
    weight_sum = sum(weights.values())
    share = {code: total * weight / weight_sum for code, weight in weights.items()}
    counts = {code: max(floor[code], int(share[code])) for code in share}

    # Hand out the rounding difference one person at a time, to the unit furthest from its share.
    difference = total - sum(counts.values())
    while difference != 0:
        if difference > 0:
            code = max(counts, key=lambda item: (share[item] - counts[item], item))
            counts[code] += 1
            difference -= 1
        else:
            candidates = [item for item in counts if counts[item] > floor[item]]
            code = max(candidates, key=lambda item: (counts[item] - share[item], item))
            counts[code] -= 1
            difference += 1
    return counts


class _Planner:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.identities = IdentityFactory(rng)

    def pick_weighted(self, pairs):
        items = [item for item, _weight in pairs]
        weights = [weight for _item, weight in pairs]
        return self.rng.choices(items, weights=weights, k=1)[0]

    def employee(
        self, *, unit: UnitInfo, role: str, kind: str, position: str, position_kind: str,
        education: str, titles: tuple[tuple[str, str], ...], echelon: str = "",
        birth_years: tuple[int, int] | None = None,
    ) -> EmployeeSpec:
        rng = self.rng
        appointed = None
        valid_from: dt.date

        if kind == PNS:
            low, high = birth_years or (DEMO_YEAR - 57, DEMO_YEAR - 27)
            birth_year = rng.randint(low, high)
            age_at_start = rng.randint(*START_AGES[education])
            tmt_year = min(DEMO_YEAR - 3, birth_year + age_at_start)
            appointed = (tmt_year, rng.randint(1, 12))
            placement_year = rng.randint(max(tmt_year, 2012), DEMO_YEAR - 2)
            valid_from = dt.date(placement_year, rng.randint(1, 12), 1)
            valid_from = max(valid_from, dt.date(tmt_year, appointed[1], 1))
        elif kind == CPNS:
            birth_year = rng.randint(DEMO_YEAR - 35, DEMO_YEAR - 22)
            appointed = (DEMO_YEAR, rng.choice((3, 4, 6)))
            valid_from = dt.date(DEMO_YEAR, appointed[1], 1)
        elif kind == PPPK:
            birth_year = rng.randint(DEMO_YEAR - 54, DEMO_YEAR - 24)
            year = rng.choice((DEMO_YEAR - 5, DEMO_YEAR - 4, DEMO_YEAR - 3, DEMO_YEAR - 2, DEMO_YEAR - 1))
            appointed = (year, 2 if year == DEMO_YEAR - 2 and rng.random() < 0.3 else 1)
            valid_from = dt.date(year, rng.choice((1, 3, 4)), 1)
        elif kind == PPPK_PW:
            # PPPK paruh waktu were first appointed in the year before the demo year.
            birth_year = rng.randint(DEMO_YEAR - 50, DEMO_YEAR - 22)
            appointed = (DEMO_YEAR - 1, 1)
            valid_from = dt.date(DEMO_YEAR - 1, 10, 1)
        else:
            birth_year = rng.randint(DEMO_YEAR - 50, DEMO_YEAR - 20)
            valid_from = dt.date(rng.randint(DEMO_YEAR - 8, DEMO_YEAR - 1), rng.randint(1, 12), 1)

        identity = self.identities.person(
            kind=kind, city=unit.city, birth_years=(birth_year, birth_year), appointed=appointed
        )
        front, back = rng.choice(titles)
        grade_scheme, grade_code = self.grade(kind=kind, education=education, echelon=echelon,
                                              appointed=appointed)
        return EmployeeSpec(
            key=identity.nip or identity.nik, unit_code=unit.code, identity=identity, kind=kind,
            role=role, position=position, position_kind=position_kind if kind != NON_ASN else "",
            echelon=echelon, grade_scheme=grade_scheme, grade_code=grade_code, front_title=front,
            back_title=back, valid_from=valid_from,
        )

    @staticmethod
    def grade(*, kind: str, education: str, echelon: str,
              appointed: tuple[int, int] | None) -> tuple[str, str]:
        if kind in (PPPK, PPPK_PW):
            return GradeScheme.PPPK, PPPK_GRADE[education]
        if kind == NON_ASN or appointed is None:
            return "", ""

        start, ceiling = PNS_GRADE_RANGE[education]
        index = PNS_GRADES.index(start) + max(0, DEMO_YEAR - appointed[0]) // PROMOTION_YEARS
        index = min(index, PNS_GRADES.index(ceiling))
        if echelon:
            index = max(index, PNS_GRADES.index(ECHELON_MIN_GRADE[echelon]))
        return GradeScheme.PNS, PNS_GRADES[index]

    def staff(self, *, unit: UnitInfo, posts: tuple[Post, ...]) -> EmployeeSpec:
        post = self.rng.choices(posts, weights=[post.weight for post in posts], k=1)[0]
        kind = self.pick_weighted(post.kinds)
        return self.employee(
            unit=unit, role="staff", kind=kind, position=post.position,
            position_kind=post.position_kind, education=post.education, titles=post.titles,
        )


# Age range at TMT CPNS, by education level.
START_AGES = {SMA: (19, 30), D3: (22, 32), S1: (23, 33), S2: (25, 35), PROFESSION: (25, 35)}
MANAGER_TITLES = (("", "S.E., M.Si."), ("", "S.H., M.H."), ("", "S.Sos., M.Si."), ("", "S.T., M.T."),
                  ("Dr.", "S.E., M.M."), ("Ir.", "M.T."), ("", "S.STP, M.Si."), ("", "S.Kom., M.Kom."))
HOSPITAL_MANAGER_TITLES = (("dr.", "M.Kes."), ("dr.", "Sp.PD"), ("dr.", "MARS"), ("dr.", "Sp.B, M.Kes."))
SCHOOL_HEAD_TITLES = (("", "S.Pd., M.Pd."), ("Drs.", "M.Pd."), ("", "S.Pd."))


def head_title(unit: UnitInfo) -> tuple[str, str]:
    """Return the head's position and eselon for a unit, from its kind and the first word of its name."""
    if unit.kind == UnitKind.RSUD:
        return "Direktur", "II.a"
    if unit.kind == UnitKind.UPT:
        return "Kepala UPTD", "III.a"
    if unit.kind == UnitKind.SCHOOL:
        return "Kepala Sekolah", ""
    if unit.kind == UnitKind.OFFICE:
        return "Kepala Badan", "II.b"
    name = unit.name
    if name.startswith("Sekretariat Daerah"):
        return "Sekretaris Daerah", "I.b"
    if name.startswith("Sekretariat DPRD"):
        return "Sekretaris DPRD", "II.a"
    if name.startswith("Biro"):
        return "Kepala Biro", "II.a"
    if name.startswith("Inspektorat"):
        return "Inspektur", "II.a"
    if name.startswith("Satuan"):
        return "Kepala Satuan", "II.a"
    if name.startswith("Badan"):
        return "Kepala Badan", "II.a"
    return "Kepala Dinas", "II.a"


def plan_unit(planner: _Planner, unit: UnitInfo, parent: UnitInfo | None, headcount: int,
              parent_head_key: str | None) -> list[EmployeeSpec]:
    """Plan the staff of one unit: its kepala, managers and staff, with their supervisors."""
    category = unit_category(unit, parent)
    posts = POSTS_BY_CATEGORY[category]
    is_agency = unit.kind in (UnitKind.OPD, UnitKind.RSUD, UnitKind.OFFICE)
    manager_titles = HOSPITAL_MANAGER_TITLES if category == "hospital" else MANAGER_TITLES

    position, echelon = head_title(unit)
    if unit.kind == UnitKind.SCHOOL:
        head = planner.employee(unit=unit, role="head", kind=PNS, position=position,
                                position_kind=PositionKind.FUNCTIONAL, education=S2,
                                titles=SCHOOL_HEAD_TITLES, birth_years=(1968, 1978))
    else:
        head = planner.employee(unit=unit, role="head", kind=PNS, position=position,
                                position_kind=PositionKind.STRUCTURAL, education=S2,
                                titles=manager_titles, echelon=echelon, birth_years=(1968, 1976))
    # Heads of biro, UPT and schools report to the head of the agency above. Agency heads
    # directly under the province, and hospital directors, get no supervisor in SAO.
    head.supervisor_key = parent_head_key if unit.kind != UnitKind.RSUD else None
    specs = [head]
    remaining = headcount - 1

    secretary = None
    if is_agency and remaining >= 9 and unit.name.startswith(SECRETARY_NAME_PREFIXES):
        secretary = planner.employee(
            unit=unit, role="secretary", kind=PNS,
            position="Wakil Direktur Umum dan Keuangan" if unit.kind == UnitKind.RSUD else "Sekretaris",
            position_kind=PositionKind.STRUCTURAL, education=S2, titles=MANAGER_TITLES,
            echelon="III.a", birth_years=(1970, 1980),
        )
        secretary.supervisor_key = head.key
        specs.append(secretary)
        remaining -= 1

    administrator = None
    if remaining >= 1:
        if is_agency:
            title, role, echelon = "Kepala Subbagian Umum dan Kepegawaian", "kasubag_umum", "IV.a"
        elif unit.kind == UnitKind.SCHOOL:
            title, role, echelon = "Kepala Tata Usaha", "middle", "IV.b"
        else:
            title, role, echelon = "Kepala Subbagian Tata Usaha", "middle", "IV.a"
        administrator = planner.employee(
            unit=unit, role=role, kind=PNS, position=title, position_kind=PositionKind.STRUCTURAL,
            education=S1, titles=MANAGER_TITLES, echelon=echelon, birth_years=(1974, 1988),
        )
        administrator.supervisor_key = (secretary or head).key
        specs.append(administrator)
        remaining -= 1

    managers = []
    if remaining >= 4:
        managers = plan_managers(planner, unit, category, head, remaining, manager_titles)
        specs.extend(managers)
        remaining -= len(managers)

    # Staff report to a kepala bidang, except every fourth, who works for the Kasubag.
    leads = managers or [administrator or head]
    for index in range(remaining):
        member = planner.staff(unit=unit, posts=posts)
        if administrator is not None and managers and index % 4 == 0:
            member.supervisor_key = administrator.key
        else:
            member.supervisor_key = leads[index % len(leads)].key
        specs.append(member)
    return specs


def plan_managers(planner: _Planner, unit: UnitInfo, category: str, head: EmployeeSpec,
                  remaining: int, manager_titles) -> list[EmployeeSpec]:
    """Plan the middle managers of a unit: kepala bidang or bagian, kepala seksi, wakil kepala sekolah."""
    if unit.kind == UnitKind.SCHOOL:
        names = ["Wakil Kepala Sekolah Bidang Kurikulum", "Wakil Kepala Sekolah Bidang Kesiswaan"]
        count = min(len(names), max(1, remaining // 12))
        managers = [
            planner.employee(unit=unit, role="middle", kind=PNS, position=name,
                             position_kind=PositionKind.FUNCTIONAL, education=S1,
                             titles=(("", "S.Pd."), ("", "S.Pd., M.Pd.")), birth_years=(1970, 1985))
            for name in names[:count]
        ]
    else:
        fields = field_names(unit, category)
        if unit.kind == UnitKind.UPT:
            prefix, echelon, limit = "Kepala Seksi", "IV.a", 2
        elif unit.name.startswith(("Biro", "Sekretariat")):
            prefix, echelon, limit = "Kepala Bagian", "III.b", 4
        else:
            prefix, echelon, limit = "Kepala Bidang", "III.b", 4
        count = min(limit, max(1, remaining // 15))
        managers = [
            planner.employee(unit=unit, role="middle", kind=PNS, position=f"{prefix} {field}",
                             position_kind=PositionKind.STRUCTURAL, education=S2,
                             titles=manager_titles, echelon=echelon, birth_years=(1970, 1984))
            for field in fields[:count]
        ]
    for manager in managers:
        manager.supervisor_key = head.key
    return managers


def staffing_plan(
    units: list[UnitInfo], *, total: int, rng: random.Random, minimums: dict[str, int] | None = None,
) -> list[EmployeeSpec]:
    """Plan `total` employees over the units (the province root gets none), parents first."""
    by_code = {unit.code: unit for unit in units}
    staffed = [unit for unit in units if unit.kind != UnitKind.PROVINCE]
    counts = allocate_headcount(staffed, total=total, minimums=minimums)

    planner = _Planner(rng)
    head_keys: dict[str, str] = {}
    specs: list[EmployeeSpec] = []
    for unit in _parents_first(staffed, by_code):
        parent = by_code.get(unit.parent_code or "")
        parent_head_key = head_keys.get(unit.parent_code or "")
        unit_specs = plan_unit(planner, unit, parent, counts[unit.code], parent_head_key)
        head_keys[unit.code] = unit_specs[0].key
        specs.extend(unit_specs)
    return specs


def _parents_first(units: list[UnitInfo], by_code: dict[str, UnitInfo]) -> list[UnitInfo]:
    def depth(unit: UnitInfo) -> int:
        level = 0
        node = unit
        while node.parent_code and node.parent_code in by_code and level < 50:
            node = by_code[node.parent_code]
            level += 1
        return level

    return sorted(units, key=lambda unit: (depth(unit), unit.code))

