"""The office's school-age census (สำมะโนประชากรวัยเรียน): the denominator of the population KPIs.

S1.1 and S1.2 measure the share of the school-age population that is served, so their
denominator is the population the office counts (manual part 3, class planning step 1:
"ศึกษาข้อมูลประชากรวัยเรียนจากสำมะโนประชากรวัยเรียน"), never the schools' enrolment. The office
keeps it in ``population.csv`` in the installation folder, edited in Excel::

    band,district,population,fiscal_year,source
    compulsory,หนองเรือ,"4,210",2570,สำมะโนประชากรวัยเรียน ปีการศึกษา 2569
    ภาคบังคับ,ชุมแพ,๓๙๘๗,,

``band`` is a code of ``kpi.catalogue`` ``population_bands`` or its Thai label, or an age in full
years (``อายุ 11 ปี``, ``age_11``) by district: the class plan's ม.1 targets three years ahead
(seed part 2, 2.5 step 1) read the ages 9-11; ``district`` may be blank (the whole area);
``fiscal_year`` blank means every year. Numbers may carry Thai
digits and separators. A line that cannot be read is a notice for staff, and the indicator
then says its denominator is missing instead of using a wrong one.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pythainlp.util import thai_digit_to_arabic_digit

from rules import EsaplanError, default_parameters, parse_number
from rules.thai import reporting_round
from sync.ledger.status import Notice

FILE = "population.csv"
AGE = re.compile(r"^\s*(?:อายุ|age)[\s_]*(\d{1,2})\s*(?:ปี|years?)?\s*$", re.IGNORECASE)
HEADERS = {
    "band": ("band", "ช่วงวัย", "กลุ่มประชากร", "กลุ่ม"),
    "district": ("district", "อำเภอ"),
    "population": ("population", "จำนวน", "จำนวนประชากร", "ประชากร"),
    "fiscal_year": ("fiscal_year", "ปีงบประมาณ"),
    "source": ("source", "ที่มา"),
}


@dataclass
class Census:
    """Census counts by population band for one fiscal year, and the lines that could not be read."""

    by_band: dict[str, Decimal] = field(default_factory=dict)
    by_age: dict[tuple[int, str], int] = field(default_factory=dict)  # (full years, district) -> children
    notices: list[Notice] = field(default_factory=list)


def read_census(home: Path, fiscal_year: int) -> Census:
    """The census counts in ``home/population.csv`` that apply to ``fiscal_year`` (empty when there is no file)."""
    path = home / FILE
    census = Census()
    if not path.is_file():
        return census
    bands = default_parameters().table("kpi.catalogue")["population_bands"]
    names = {code: code for code in bands} | {spec["th"]: code for code, spec in bands.items()}
    names |= {spec["th"].removeprefix("ประชากรวัยเรียน"): code for code, spec in bands.items()}
    broken: set[str] = set()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        columns = {
            key: next((i for i, text in enumerate(header) if text.strip() in spellings), None)
            for key, spellings in HEADERS.items()
        }
        if columns["band"] is None or columns["population"] is None:
            census.notices.append(_notice(f"{FILE}: ต้องมีคอลัมน์ band (ช่วงวัย) และ population (จำนวน)"))
            return census
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            cell = {key: (row[i].strip() if i is not None and i < len(row) else "") for key, i in columns.items()}
            age = AGE.match(thai_digit_to_arabic_digit(cell["band"]))
            band = names.get(cell["band"]) or (f"age_{age[1]}" if age else None)
            if band is None:
                census.notices.append(
                    _notice(
                        f"{FILE} บรรทัด {line}: ไม่รู้จักช่วงวัย '{cell['band']}' (ใช้ได้: {', '.join(names)} หรืออายุ เช่น อายุ 11 ปี)"
                    )
                )
                continue
            try:
                if cell["fiscal_year"] and reporting_round(cell["fiscal_year"], 12).fiscal_year != fiscal_year:
                    continue
                count = parse_number(cell["population"], "จำนวนประชากร")
                if count < 0 or count != count.to_integral_value():
                    raise EsaplanError(
                        f"จำนวนประชากรต้องเป็นจำนวนเต็มไม่ติดลบ (ได้ {cell['population']})",
                        "population must be a whole number",
                    )
            except EsaplanError as exc:
                what = f"ตัวชี้วัด{bands[band]['th']}จึงยังไม่มีตัวหาร" if band in bands else "แถวนี้จึงไม่ถูกนับ"
                census.notices.append(_notice(f"{FILE} บรรทัด {line}: {exc.message_th} {what}"))
                broken.add(band)
                continue
            if age:
                key = (int(age[1]), cell["district"])
                census.by_age[key] = census.by_age.get(key, 0) + int(count)
            else:
                census.by_band[band] = census.by_band.get(band, Decimal(0)) + count
    for band in broken:  # a partial count would understate the denominator: better none, and say so
        census.by_band.pop(band, None)
        census.by_age = {key: n for key, n in census.by_age.items() if f"age_{key[0]}" != band}
    return census


def _notice(message: str) -> Notice:
    return Notice(None, FILE, "CENSUS", "error", message)
