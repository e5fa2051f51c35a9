"""Position catalogue of the demo province: who works in an office, a hospital or a school.

Each post has a relative weight inside its unit category, an education level (which sets the
starting golongan and the titles) and the shares of employee kinds that hold it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sao.org.models import EmployeeKind, PositionKind

PNS = EmployeeKind.PNS
CPNS = EmployeeKind.CPNS
PPPK = EmployeeKind.PPPK
PPPK_PW = EmployeeKind.PPPK_PW
NON_ASN = EmployeeKind.NON_ASN

# Education levels, in the order of their starting golongan.
SMA, D3, S1, S2, PROFESSION = "SMA", "D3", "S1", "S2", "PROFESSION"


@dataclass(frozen=True)
class Post:
    """A staff position: name, kind, weight in its category, education, titles and kind shares."""

    position: str
    position_kind: str
    weight: int
    education: str
    titles: tuple[tuple[str, str], ...]  # (front title, back title) choices
    kinds: tuple[tuple[str, int], ...]  # (employee kind, relative share)


NO_TITLE = (("", ""),)
ASN_MOSTLY_PNS = ((PNS, 8), (CPNS, 1), (PPPK, 3))
FUNCTIONAL = PositionKind.FUNCTIONAL
GENERAL = PositionKind.GENERAL

OFFICE_POSTS = (
    Post("Analis Kebijakan Ahli Muda", FUNCTIONAL, 6, S2,
         (("", "S.E., M.Si."), ("", "S.H., M.H."), ("", "S.Sos., M.AP"), ("", "S.T., M.T.")),
         ((PNS, 1),)),
    Post("Analis Kebijakan Ahli Pertama", FUNCTIONAL, 8, S1,
         (("", "S.E."), ("", "S.H."), ("", "S.Sos."), ("", "S.IP"), ("", "S.AP")), ASN_MOSTLY_PNS),
    Post("Perencana Ahli Pertama", FUNCTIONAL, 4, S1, (("", "S.E."), ("", "S.T."), ("", "S.P.")),
         ASN_MOSTLY_PNS),
    Post("Pranata Komputer Ahli Pertama", FUNCTIONAL, 4, S1, (("", "S.Kom."), ("", "S.T.")),
         ((PNS, 4), (CPNS, 2), (PPPK, 4))),
    Post("Arsiparis Terampil", FUNCTIONAL, 3, D3, (("", "A.Md."),), ((PNS, 5), (PPPK, 4))),
    Post("Pengelola Keuangan", GENERAL, 5, S1, (("", "S.E."), ("", "S.Ak."), ("", "S.E., M.M.")),
         ((PNS, 6), (PPPK, 3))),
    Post("Penata Layanan Operasional", GENERAL, 9, S1, (("", "S.AP"), ("", "S.Sos."), ("", "S.E.")),
         ((PNS, 5), (PPPK, 5), (PPPK_PW, 2))),
    Post("Pengadministrasi Perkantoran", GENERAL, 12, SMA, NO_TITLE,
         ((PNS, 4), (PPPK, 4), (PPPK_PW, 6))),
    Post("Operator Layanan Operasional", GENERAL, 6, SMA, NO_TITLE, ((PPPK, 3), (PPPK_PW, 6))),
    Post("Pengemudi", GENERAL, 3, SMA, NO_TITLE, ((NON_ASN, 6), (PPPK_PW, 2))),
    Post("Pramu Bakti", GENERAL, 3, SMA, NO_TITLE, ((NON_ASN, 1),)),
    Post("Petugas Keamanan", GENERAL, 2, SMA, NO_TITLE, ((NON_ASN, 1),)),
)

HEALTH_OFFICE_POSTS = (
    Post("Epidemiolog Kesehatan Ahli Muda", FUNCTIONAL, 4, S2, (("", "S.K.M., M.Kes."),), ((PNS, 1),)),
    Post("Administrator Kesehatan Ahli Pertama", FUNCTIONAL, 6, S1, (("", "S.K.M."),), ASN_MOSTLY_PNS),
    Post("Nutrisionis Ahli Pertama", FUNCTIONAL, 3, S1, (("", "S.Gz."),), ASN_MOSTLY_PNS),
    Post("Pranata Laboratorium Kesehatan Terampil", FUNCTIONAL, 4, D3, (("", "A.Md.AK."),),
         ((PNS, 4), (PPPK, 4))),
    Post("Sanitarian Terampil", FUNCTIONAL, 2, D3, (("", "A.Md.KL"),), ((PNS, 4), (PPPK, 3))),
    Post("Apoteker Ahli Muda", FUNCTIONAL, 2, PROFESSION, (("apt.", "S.Farm."),), ((PNS, 1),)),
    *OFFICE_POSTS,
)

HOSPITAL_POSTS = (
    Post("Dokter Ahli Muda", FUNCTIONAL, 8, PROFESSION, (("dr.", ""), ("dr.", "M.Kes.")),
         ((PNS, 6), (PPPK, 3), (CPNS, 1))),
    Post("Dokter Ahli Madya", FUNCTIONAL, 6, PROFESSION,
         (("dr.", "Sp.PD"), ("dr.", "Sp.A"), ("dr.", "Sp.OG"), ("dr.", "Sp.B"), ("dr.", "Sp.An"),
          ("dr.", "Sp.JP"), ("dr.", "Sp.N"), ("dr.", "Sp.Rad")),
         ((PNS, 1),)),
    Post("Dokter Gigi Ahli Muda", FUNCTIONAL, 1, PROFESSION, (("drg.", ""),), ((PNS, 1),)),
    Post("Perawat Ahli Pertama", FUNCTIONAL, 22, S1, (("", "S.Kep., Ners"),),
         ((PNS, 5), (CPNS, 1), (PPPK, 5), (PPPK_PW, 1))),
    Post("Perawat Terampil", FUNCTIONAL, 22, D3, (("", "A.Md.Kep."),),
         ((PNS, 4), (PPPK, 5), (PPPK_PW, 2), (NON_ASN, 1))),
    Post("Bidan Terampil", FUNCTIONAL, 6, D3, (("", "A.Md.Keb."),), ((PNS, 4), (PPPK, 4), (PPPK_PW, 1))),
    Post("Apoteker Ahli Pertama", FUNCTIONAL, 2, PROFESSION, (("apt.", "S.Farm."),), ASN_MOSTLY_PNS),
    Post("Asisten Apoteker Terampil", FUNCTIONAL, 3, D3, (("", "A.Md.Farm."),), ((PNS, 3), (PPPK, 4))),
    Post("Pranata Laboratorium Kesehatan Terampil", FUNCTIONAL, 3, D3, (("", "A.Md.AK."),),
         ((PNS, 4), (PPPK, 4))),
    Post("Radiografer Terampil", FUNCTIONAL, 2, D3, (("", "A.Md.Rad."),), ((PNS, 4), (PPPK, 3))),
    Post("Nutrisionis Terampil", FUNCTIONAL, 2, D3, (("", "A.Md.Gz."),), ((PNS, 4), (PPPK, 3))),
    Post("Fisioterapis Terampil", FUNCTIONAL, 1, D3, (("", "A.Md.Ftr."),), ((PNS, 4), (PPPK, 3))),
    Post("Perekam Medis Terampil", FUNCTIONAL, 3, D3, (("", "A.Md.RMIK"),), ((PNS, 2), (PPPK, 4))),
    Post("Pengelola Keuangan", GENERAL, 2, S1, (("", "S.E."), ("", "S.Ak.")), ((PNS, 6), (PPPK, 3))),
    Post("Pengadministrasi Perkantoran", GENERAL, 5, SMA, NO_TITLE, ((PNS, 2), (PPPK, 3), (PPPK_PW, 5))),
    Post("Pengemudi Ambulans", GENERAL, 2, SMA, NO_TITLE, ((NON_ASN, 3), (PPPK_PW, 2))),
    Post("Petugas Kebersihan", GENERAL, 4, SMA, NO_TITLE, ((NON_ASN, 1),)),
    Post("Petugas Keamanan", GENERAL, 3, SMA, NO_TITLE, ((NON_ASN, 1),)),
)

SCHOOL_POSTS = (
    Post("Guru Ahli Pertama", FUNCTIONAL, 20, S1,
         (("", "S.Pd."), ("", "S.Si."), ("", "S.Kom."), ("", "S.Pd.I")),
         ((PNS, 2), (CPNS, 1), (PPPK, 7), (PPPK_PW, 1))),
    Post("Guru Ahli Muda", FUNCTIONAL, 14, S1, (("", "S.Pd."), ("", "S.Pd., M.Pd."), ("", "S.S.")),
         ((PNS, 1),)),
    Post("Guru Ahli Madya", FUNCTIONAL, 6, S2, (("", "S.Pd., M.Pd."), ("Dra.", "M.Pd.")), ((PNS, 1),)),
    Post("Guru Bimbingan dan Konseling Ahli Pertama", FUNCTIONAL, 2, S1, (("", "S.Pd."),),
         ((PNS, 2), (PPPK, 3))),
    Post("Pustakawan Terampil", FUNCTIONAL, 1, D3, (("", "A.Md."),), ((PNS, 1), (PPPK, 1))),
    Post("Pengadministrasi Perkantoran", GENERAL, 3, SMA, NO_TITLE, ((PNS, 2), (PPPK_PW, 3))),
    Post("Operator Layanan Operasional", GENERAL, 2, SMA, NO_TITLE, ((PPPK, 2), (PPPK_PW, 4))),
    Post("Penjaga Sekolah", GENERAL, 2, SMA, NO_TITLE, ((NON_ASN, 1),)),
    Post("Petugas Kebersihan", GENERAL, 2, SMA, NO_TITLE, ((NON_ASN, 1),)),
)

SOCIAL_CARE_POSTS = (
    Post("Pekerja Sosial Ahli Pertama", FUNCTIONAL, 8, S1, (("", "S.Sos."), ("", "S.Tr.Sos.")),
         ASN_MOSTLY_PNS),
    Post("Penyuluh Sosial Terampil", FUNCTIONAL, 3, D3, (("", "A.Md."),), ((PNS, 3), (PPPK, 3))),
    Post("Pengasuh", GENERAL, 8, SMA, NO_TITLE, ((PPPK_PW, 3), (NON_ASN, 3))),
    *OFFICE_POSTS,
)

POLICE_POSTS = (
    Post("Polisi Pamong Praja Terampil", FUNCTIONAL, 20, SMA, NO_TITLE,
         ((PNS, 5), (PPPK, 3), (PPPK_PW, 2))),
    Post("Polisi Pamong Praja Ahli Pertama", FUNCTIONAL, 6, S1, (("", "S.H."), ("", "S.Sos.")),
         ASN_MOSTLY_PNS),
    *OFFICE_POSTS,
)

POSTS_BY_CATEGORY = {
    "office": OFFICE_POSTS,
    "health": HEALTH_OFFICE_POSTS,
    "hospital": HOSPITAL_POSTS,
    "school": SCHOOL_POSTS,
    "social_care": SOCIAL_CARE_POSTS,
    "police": POLICE_POSTS,
}

# Names of the fields (bidang) an agency's middle managers head, by unit category.
FIELDS_BY_CATEGORY = {
    "office": ("Perencanaan dan Program", "Pembinaan dan Pengembangan", "Pengawasan dan Pengendalian",
               "Pelayanan"),
    "health": ("Pelayanan Kesehatan", "Kesehatan Masyarakat", "Pencegahan dan Pengendalian Penyakit",
               "Sumber Daya Kesehatan"),
    "hospital": ("Pelayanan Medik", "Keperawatan", "Penunjang Medik", "Perencanaan dan Rekam Medik"),
    "education": ("Pembinaan SMA", "Pembinaan SMK", "Pembinaan Pendidikan Khusus", "Kebudayaan"),
    "revenue": ("Pajak Daerah", "Retribusi dan Pendapatan Lain", "Perencanaan Pendapatan",
                "Pengendalian dan Evaluasi"),
    "social_care": ("Perlindungan dan Jaminan Sosial", "Rehabilitasi Sosial", "Pemberdayaan Sosial",
                    "Penanganan Fakir Miskin"),
    "technical_unit": ("Pelayanan", "Operasional"),
    "police": ("Penegakan Perundang-undangan Daerah", "Ketertiban Umum dan Ketenteraman Masyarakat",
               "Perlindungan Masyarakat", "Sumber Daya Aparatur"),
}

# PNS golongan in order, I/a to IV/e.
PNS_GRADES = [f"{roman}/{letter}" for roman in ("I", "II", "III") for letter in "abcd"] + [
    f"IV/{letter}" for letter in "abcde"
]
# Starting golongan and the highest golongan reached by regular promotion, per education level.
PNS_GRADE_RANGE = {
    SMA: ("II/a", "III/c"),
    D3: ("II/c", "III/d"),
    S1: ("III/a", "IV/b"),
    S2: ("III/b", "IV/c"),
    PROFESSION: ("III/b", "IV/c"),
}
# Lowest golongan for a structural position of each eselon.
ECHELON_MIN_GRADE = {
    "I.b": "IV/d", "II.a": "IV/c", "II.b": "IV/b", "III.a": "IV/a", "III.b": "III/d",
    "IV.a": "III/c", "IV.b": "III/b",
}
# Entry PPPK golongan by education, as commonly appointed; an approximation for demo data.
PPPK_GRADE = {SMA: "V", D3: "VII", S1: "IX", S2: "X", PROFESSION: "X"}
# Years between regular PNS promotions (kenaikan pangkat reguler).
PROMOTION_YEARS = 4
