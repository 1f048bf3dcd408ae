"""Many service areas under one office: a province's education office (ศธจ., seed 4.4) or OBEC.

That office runs an installation of its own whose ``areas.csv`` lists the areas
(``code,name_th,province,home``); each area is a whole installation of its own (registry, inbox,
ledger, master) at ``home``, relative to the file or absolute, as each สพป. already keeps it.
``esaplan consolidate --all-areas`` queues one job per area (:mod:`sync.service.jobs`), and once they
have ended writes what the office reads across areas (:mod:`sync.master.province`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from rules import ParseError
from sync.office.settings import Settings, load_settings

AREAS_FILE = "areas.csv"


@dataclass(frozen=True)
class Area:
    """One service area and where its installation is."""

    code: str
    name_th: str
    province: str
    home: Path


def load_areas(settings: Settings) -> dict[str, Area]:
    """The areas listed in the installation's areas.csv, by code (empty when there is none)."""
    path = settings.home / AREAS_FILE
    if not path.is_file():
        return {}
    areas: dict[str, Area] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            code, home = (row.get("code") or "").strip(), (row.get("home") or "").strip()
            if not code or not home:
                raise ParseError(
                    f"{AREAS_FILE} บรรทัด {line}: ต้องมี code และ home",
                    f"{AREAS_FILE} line {line}: code and home are required",
                    value=row,
                )
            if code in areas:
                raise ParseError(
                    f"{AREAS_FILE} บรรทัด {line}: รหัสเขต {code} ซ้ำ",
                    f"{AREAS_FILE} line {line}: area {code} twice",
                    value=code,
                )
            areas[code] = Area(
                code,
                (row.get("name_th") or code).strip(),
                (row.get("province") or "").strip(),
                (path.parent / home).resolve(),
            )
    return areas


def area_settings(area: Area, fiscal_year: int, round_: int) -> Settings:
    """The area's own installation, working on the round asked for."""
    return load_settings(area.home).with_round(fiscal_year, round_)
