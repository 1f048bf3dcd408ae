"""The demo office's census of school-age children (population.csv): the KPI bands by district, and the
ages the class plan's ม.1 projection reads, both from what the demo schools report plus the children no
school reached (a few per cent), so the population indicators and the ม.1 shares come out realistic.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from rules import EsaplanError
from rules.grades import grade
from sync.office.registry import Unit


class DemoFile(Protocol):
    """What the census reads of a demo school's file: whose it is and the values written into it."""

    @property
    def unit(self) -> Unit: ...

    @property
    def values(self) -> dict[str, list[dict[str, Any]]]: ...


def write_census(path: Path, files: Sequence[DemoFile], units: list[Unit], rng: random.Random) -> None:
    """The office's school-age census by district: the children the schools say they serve, plus the
    ones no school reached (a few per cent) and the pupils of schools that did not report."""
    served: dict[str, dict[str, int]] = {}
    for file in files:
        for row in file.values.get("kpi_report", []):
            band = {"S1.1": "compulsory", "S1.2": "basic"}.get(row.get("kpi", ""))
            if band and isinstance(row.get("numerator"), int):
                by_band = served.setdefault(file.unit.district, {})
                by_band[band] = by_band.get(band, 0) + row["numerator"]
    reported = {f.unit.code for f in files}
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["band", "district", "population", "fiscal_year", "source"])
        for district in sorted(served):
            unreported = sum(
                u.pupils or 0 for u in units if u.district == district and u.kind == "school" and u.code not in reported
            )
            for band, count in sorted(served[district].items()):
                writer.writerow(
                    [
                        band,
                        district,
                        f"{round((count + unreported) * rng.uniform(1.01, 1.06)):,}",
                        "",
                        "สำมะโนประชากรวัยเรียน (สมมุติ)",
                    ]
                )
        for (age, district), count in sorted(_ages(files).items()):  # the class plan's ม.1 cohorts
            writer.writerow(
                [f"อายุ {age} ปี", district, f"{round(count * rng.uniform(1.03, 1.12)):,}", "", "สำมะโน (สมมุติ)"]
            )


def _ages(files: Sequence[DemoFile]) -> dict[tuple[int, str], int]:
    """Children of ป.4-ป.6 age by district: the pupils the demo schools hold in those grades."""
    found: dict[tuple[int, str], int] = {}
    for file in files:
        for row in file.values.get("enrolment", []):
            try:
                level = grade(str(row.get("grade", "")))
            except EsaplanError:
                continue
            counts = [n for n in (row.get("male"), row.get("female")) if isinstance(n, int)]
            if level.code in ("P4", "P5", "P6") and len(counts) == 2:  # a planted mistake is no count
                key = (level.age, file.unit.district)
                found[key] = found.get(key, 0) + sum(counts)
    return found
