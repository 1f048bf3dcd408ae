"""Merger candidates (โรงเรียนที่เข้าข่ายเรียนรวม/ควบรวม) and their nearest host school.

Seed part 4 section 2.4 and the 2550 regulation: a school at or below the merger threshold is a
candidate; its host is the nearest school that is not itself a candidate, within the distance
limit. Schools on islands, mountains or borders ("stand-alone", ``exempt``) are neither
candidates nor hosts. Distance is the great-circle (haversine) distance between the schools'
coordinates; travel time (<= the data's limit) must still be checked on the ground, so the
limit is carried in the result for the report.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rules.defaults import default_parameters
from rules.errors import ParseError
from rules.money import to_decimal, whole_count
from rules.parameters import Parameters

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG): geometry, not a rule figure


@dataclass(frozen=True)
class MergeCandidate:
    """A school that meets the merger threshold and the host proposed for it (None if none near)."""

    code: str
    name: str
    pupils: int
    host_code: str | None
    host_name: str | None
    distance_km: Decimal | None
    max_travel_minutes: int


@dataclass(frozen=True)
class _School:
    code: str
    name: str
    pupils: int
    lat: float | None
    lon: float | None
    exempt: bool


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in decimal degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def merge_candidates(
    schools: Iterable[Any],
    *,
    on: dt.date | None = None,
    params: Parameters | None = None,
) -> list[MergeCandidate]:
    """Candidates with their nearest eligible host within the distance limit, smallest first.

    Each school is a mapping or object with ``code``, ``name``, ``pupils``, ``lat``/``latitude``,
    ``lon``/``longitude`` and optionally ``exempt`` (stand-alone school).
    """
    params = params or default_parameters()
    day = on or dt.date.today()
    threshold = params["merger.max_pupils"](day)
    limit = float(params["merger.max_distance_km"](day))
    minutes = int(params["merger.max_travel_minutes"](day))
    rows = [_school(s) for s in schools]
    candidates = [s for s in rows if not s.exempt and s.pupils <= threshold]
    hosts = [s for s in rows if not s.exempt and s.pupils > threshold and s.lat is not None and s.lon is not None]
    result = []
    for school in sorted(candidates, key=lambda s: (s.pupils, s.code)):
        best: tuple[float, _School] | None = None
        if school.lat is not None and school.lon is not None:
            for host in hosts:
                distance = haversine_km(school.lat, school.lon, host.lat, host.lon)  # type: ignore[arg-type]
                if distance <= limit and (best is None or distance < best[0]):
                    best = (distance, host)
        result.append(
            MergeCandidate(
                code=school.code,
                name=school.name,
                pupils=school.pupils,
                host_code=best[1].code if best else None,
                host_name=best[1].name if best else None,
                distance_km=Decimal(str(best[0])).quantize(Decimal("0.01"), ROUND_HALF_UP) if best else None,
                max_travel_minutes=minutes,
            )
        )
    return result


def _school(row: Any) -> _School:
    def get(*names: str) -> Any:
        for name in names:
            value = row.get(name) if isinstance(row, dict) else getattr(row, name, None)
            if value not in (None, ""):
                return value
        return None

    code = get("code", "smis_code")
    if code is None:
        raise ParseError("ข้อมูลโรงเรียนต้องมีรหัส (code)", "each school needs a code", value=row)
    lat, lon = get("lat", "latitude"), get("lon", "longitude")
    return _School(
        code=str(code),
        name=str(get("name") or code),
        pupils=whole_count(get("pupils") or 0, f"จำนวนนักเรียนของโรงเรียน {code}"),
        lat=float(to_decimal(lat, f"ละติจูดของ {code}")) if lat is not None else None,
        lon=float(to_decimal(lon, f"ลองจิจูดของ {code}")) if lon is not None else None,
        exempt=bool(get("exempt", "standalone")),
    )
