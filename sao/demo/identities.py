"""Synthetic people for the demo province: names, birth dates, NIPs and NIKs.

Everything here is pure and driven by one `random.Random`, so the same seed gives the same
people. Every NIP is checked with `parse_nip` and every NIK with `parse_nik` before it is used.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass

from sao.org.identifiers import nik_matches_nip, parse_nik, parse_nip
from sao.org.models import EmployeeKind, Sex

MALE_NAMES = [
    "Ahmad", "Muhammad", "Budi", "Agus", "Andi", "Rahmat", "Hendra", "Dedi", "Eko", "Joko",
    "Syahrul", "Rizky", "Fajar", "Arif", "Yusuf", "Hasan", "Irwan", "Bambang", "Wahyu", "Teguh",
    "Rudi", "Sugeng", "Yohanes", "Stefanus", "Daniel", "Markus", "Zainal", "Iwan", "Aswin",
    "Hery", "Adi", "Dimas", "Galih", "Ilham", "Reza", "Taufik", "Syamsul", "Abdul", "Heri",
    "Yosua", "Imam", "Nanang", "Darmawan", "Sofyan", "Jumadi", "Akbar", "Firman", "Rusdi",
]
FEMALE_NAMES = [
    "Siti", "Nur", "Sri", "Dewi", "Rina", "Wulan", "Fitri", "Ratna", "Yuni", "Ani", "Endang",
    "Nurul", "Putri", "Ayu", "Indah", "Maria", "Dian", "Sari", "Novita", "Herlina", "Fatimah",
    "Aisyah", "Agustina", "Rosmiati", "Lina", "Mega", "Yulia", "Eka", "Rini", "Ernawati",
    "Kartika", "Melati", "Nadia", "Rahma", "Veronika", "Elisabeth", "Hesti", "Nining", "Winda",
    "Tri", "Anisa", "Suryani", "Lilis", "Desi", "Astuti", "Murni", "Hajrah", "Irma",
]
MALE_SECOND_NAMES = [
    "Pratama", "Saputra", "Wijaya", "Setiawan", "Hidayat", "Kurniawan", "Santoso", "Nugroho",
    "Rahman", "Syahputra", "Hakim", "Permana", "Gunawan", "Firmansyah", "Hasanuddin", "Siregar",
    "Lubis", "Simanjuntak", "Ramadhan", "Prasetyo", "Susanto", "Hartono", "Effendi", "Maulana",
    "Nasution", "Rahim", "Suryadi", "Kusuma", "Lumban Tobing", "Pangaribuan", "Mappanyompa",
    "Daeng Matta", "Tulung", "Anwar", "Fauzi", "Iskandar",
]
FEMALE_SECOND_NAMES = [
    "Lestari", "Wahyuni", "Rahayu", "Handayani", "Susanti", "Puspitasari", "Anggraini",
    "Kusumawati", "Yulianti", "Permatasari", "Safitri", "Hasanah", "Ningsih", "Marlina",
    "Sulistyowati", "Rahmawati", "Nurhayati", "Hartati", "Fitriani", "Oktaviani", "Damayanti",
    "Purnamasari", "Utami", "Wulandari", "Simanjuntak", "Sitompul", "Magdalena", "Kartini",
]
# One-word names, common among civil servants born before about 1975.
MALE_SINGLE_NAMES = ["Sutrisno", "Suparman", "Mulyadi", "Samsuddin", "Sudirman", "Haryanto",
                     "Syahrani", "Jamaluddin", "Supriadi", "Rusmadi"]
FEMALE_SINGLE_NAMES = ["Sumarni", "Suharti", "Rusminah", "Jumiati", "Mardiana", "Suwarni",
                       "Nurjannah", "Hamsiah", "Salmah", "Paridah"]

# Kemendagri regency and city codes of Kalimantan Timur (province 64) since Kalimantan Utara
# (Malinau 06, Bulungan 07, Nunukan 08, Tarakan 73) became province 65 in 2012.
KALTIM_REGENCY_CODES = {
    "Tanah Grogot": "01",  # Kabupaten Paser
    "Sendawar": "02",  # Kutai Barat
    "Tenggarong": "03",  # Kutai Kartanegara
    "Samboja": "03",  # Kutai Kartanegara
    "Sangatta": "04",  # Kutai Timur
    "Tanjung Redeb": "05",  # Berau
    "Penajam": "09",  # Penajam Paser Utara
    "Ujoh Bilang": "11",  # Mahakam Ulu
    "Balikpapan": "71",
    "Samarinda": "72",
    "Bontang": "74",
}
# Number of districts (kecamatan) per regency code. NIKs draw district codes 01 to that
# number, an approximation because official district codes are not always contiguous.
DISTRICT_COUNTS = {"01": 10, "02": 16, "03": 20, "04": 18, "05": 13, "09": 4, "11": 5, "71": 6,
                   "72": 10, "74": 3}
KALTIM_PROVINCE_CODE = "64"
SAMARINDA_REGENCY_CODE = "72"

# Year the demo data is set in: CPNS appointed this year are still on probation.
# NOTE: fixed rather than taken from today, so that a re-run in a later year finds the same
# NIPs; the demo CPNS then look overdue for appointment as PNS.
DEMO_YEAR = 2026


@dataclass(frozen=True)
class Identity:
    """A synthetic person: name, sex, birth date, NIP (ASN only) and NIK."""

    name: str
    sex: str  # Sex.MALE or Sex.FEMALE
    birth_date: dt.date
    nip: str | None
    nik: str


class IdentityFactory:
    """Draw people with unique, valid NIPs and NIKs from one random generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self._nip_serials: dict[str, int] = defaultdict(int)
        self._nik_serials: dict[str, int] = defaultdict(int)
        self._names: set[str] = set()

    def person(self, *, kind: str, city: str, birth_years: tuple[int, int],
               appointed: tuple[int, int] | None = None) -> Identity:
        """Draw one person of an employee kind.

        `birth_years` is an inclusive range. `appointed` is the (year, month) of the TMT CPNS
        for PNS and CPNS, or (year, intake) for PPPK and PPPK paruh waktu. Non-ASN get no NIP.
        """
        rng = self.rng
        sex = Sex.FEMALE if rng.random() < 0.52 else Sex.MALE
        birth_date = dt.date(rng.randint(*birth_years), rng.randint(1, 12), rng.randint(1, 28))
        name = self._name(sex=sex, birth_year=birth_date.year)

        nip = None
        if kind != EmployeeKind.NON_ASN:
            if appointed is None:
                raise ValueError(f"an employee of kind {kind} needs an appointment (TMT)")
            nip = self._nip(kind=kind, sex=sex, birth_date=birth_date, appointed=appointed)
        nik = self._nik(sex=sex, birth_date=birth_date, city=city)

        nik_info = parse_nik(nik)
        if nip is not None and not nik_matches_nip(nik_info, parse_nip(nip)):
            raise AssertionError(f"generated NIK {nik} does not match NIP {nip}")
        return Identity(name=name, sex=sex, birth_date=birth_date, nip=nip, nik=nik)

    def _name(self, *, sex: str, birth_year: int) -> str:
        rng = self.rng
        if sex == Sex.MALE:
            first, second, single = MALE_NAMES, MALE_SECOND_NAMES, MALE_SINGLE_NAMES
        else:
            first, second, single = FEMALE_NAMES, FEMALE_SECOND_NAMES, FEMALE_SINGLE_NAMES

        # Draw again on a repeated name so that searches in the demo find one person; after a
        # few tries a third name makes it unique.
        for _attempt in range(6):
            if birth_year < 1975 and rng.random() < 0.35:
                name = rng.choice(single)
            else:
                name = f"{rng.choice(first)} {rng.choice(second)}"
            if name not in self._names:
                break
        else:
            name = f"{rng.choice(first)} {name}"
        self._names.add(name)
        return name

    def _nip(self, *, kind: str, sex: str, birth_date: dt.date, appointed: tuple[int, int]) -> str:
        sex_digit = "1" if sex == Sex.MALE else "2"
        year, second = appointed
        if kind in (EmployeeKind.PPPK, EmployeeKind.PPPK_PW):
            # NI PPPK: birth date, appointment year, PPPK marker 2, intake 1-9, sex, serial.
            prefix = f"{birth_date:%Y%m%d}{year:04d}2{second:d}{sex_digit}"
        else:
            # NIP PNS: birth date, TMT CPNS year and month, sex, serial.
            prefix = f"{birth_date:%Y%m%d}{year:04d}{second:02d}{sex_digit}"
        self._nip_serials[prefix] += 1
        nip = f"{prefix}{self._nip_serials[prefix]:03d}"
        parse_nip(nip)
        return nip

    def _nik(self, *, sex: str, birth_date: dt.date, city: str) -> str:
        rng = self.rng
        # The NIK region is where the person was registered, usually near the workplace; one in
        # five comes from another Kaltim regency.
        regency = KALTIM_REGENCY_CODES.get(city, SAMARINDA_REGENCY_CODE)
        if rng.random() < 0.2:
            regency = rng.choice(sorted(KALTIM_REGENCY_CODES.values()))
        district = rng.randint(1, DISTRICT_COUNTS[regency])
        day = birth_date.day + (40 if sex == Sex.FEMALE else 0)
        prefix = f"{KALTIM_PROVINCE_CODE}{regency}{district:02d}{day:02d}{birth_date:%m%y}"
        self._nik_serials[prefix] += 1
        nik = f"{prefix}{self._nik_serials[prefix]:04d}"
        parse_nik(nik)
        return nik
