"""Import pupils per grade from OBEC's EMIS export, so schools do not retype what OBEC has.

The export has one row per school, grade and sex total (``school_id, ชั้น/เพศ, ชาย, หญิง, รวม,
ห้องเรียน``), grade labels as EMIS writes them (``อบ.1`` ... ``ม.6``, ``ปวช.1``) and subtotal
rows (``รวม อบ.``, ``รวมประถม``, ``รวมทั้งหมด``) that must not be counted twice. Grades outside
this area's forms (vocational ปวช.) are skipped and reported.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from rules import ParseError, grade, parse_number


@dataclass
class EmisImport:
    """Enrolment rows per school_id, plus what was skipped and the export's own totals."""

    by_school: dict[str, list[dict[str, int | str]]] = field(default_factory=dict)
    totals: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def read_emis_enrolment(path: Path) -> EmisImport:
    """Read an EMIS pupils-per-grade CSV into enrolment rows keyed by the 10-digit school id."""
    result = EmisImport()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            school = row["school_id"].strip()
            label = row["ชั้น/เพศ"].strip()
            counts = {
                key: int(parse_number(row[column], what=f"{path.name} บรรทัด {line} {column}"))
                for key, column in (("male", "ชาย"), ("female", "หญิง"), ("rooms", "ห้องเรียน"))
            }
            if label == "รวมทั้งหมด":
                result.totals[school] = counts
                continue
            if label.startswith("รวม"):
                continue  # a subtotal of the grades above it
            try:
                code = grade(label).code
            except ParseError:
                result.skipped.append(f"{school} {label}")
                continue
            result.by_school.setdefault(school, []).append({"grade": code, **counts})
    return result
