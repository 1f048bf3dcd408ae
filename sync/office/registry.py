"""The registry of reporting units: schools and the office's own groups, modelled alike.

As DHIS2 models organisation units, every submitter is a *unit* with a code, a Thai name, a
kind (``school`` or ``group``), a district, a school network (กลุ่มเครือข่าย), a size and a
contact. The registry is a CSV the office edits in Excel. It also reads OBEC's public school
list as it is (``smis_code, school_id, name, levels, district, subdistrict``), blank districts
and all, so the real list of an area loads without retyping. ``sheet_id`` is the Google Sheet a
unit fills in, when it reports that way (``esaplan sheets provision`` writes it).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from pythainlp.util import thai_digit_to_arabic_digit

from rules import SIZE_TH, ParseError, default_parameters, school_size
from rules.forms import FormSet, form_sets

_CODE_NOISE = re.compile(r"[\s\u00a0\u200b\u2009\u202f'\u2018\u2019\"]+")


def unit_code(value: Any) -> str:
    """A unit code read the way people type it: Thai digits, spaces, a leading apostrophe
    (Excel's "keep as text" mark), a number cell (40050005.0) and lower-case group codes all
    name the same unit as the registry's ``40050005`` / ``G01``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _CODE_NOISE.sub("", thai_digit_to_arabic_digit(str(value))).upper()


def find_unit(code: Any, registry: dict[str, Unit]) -> Unit | None:
    """The unit a typed code names: its registry code, or OBEC's 10-digit school id typed instead."""
    key = unit_code(code)
    if not key:
        return None
    if key in registry:
        return registry[key]
    return next((u for u in registry.values() if u.school_id and unit_code(u.school_id) == key), None)


COLUMNS = (
    "code",
    "name_th",
    "kind",
    "district",
    "network",
    "size",
    "pupils",
    "contact",
    "source",
    "school_id",
    "levels",
    "sheet_id",
    "latitude",
    "longitude",
    "standalone",
    "feeds",
)
OBEC_COLUMNS = {"smis_code", "school_id", "name", "levels"}


@dataclass(frozen=True)
class Unit:
    """One reporting unit."""

    code: str
    name_th: str
    kind: str = "school"
    district: str = ""
    network: str = ""
    size: str = ""
    pupils: int | None = None
    contact: str = ""
    source: str = ""
    school_id: str = ""
    levels: str = ""
    sheet_id: str = ""
    latitude: str = ""  # decimal degrees, optional: small-school hosts are looked for by distance
    longitude: str = ""
    standalone: str = ""  # ใช่ for a school on an island, a mountain or a border: never merged nor a host
    feeds: str = ""  # the code of the school its ป.6 go on to for ม.1 (blank: itself if it teaches ม.1)

    @property
    def written_name(self) -> str:
        """The unit as people write it out: a school with โรงเรียน in front (OBEC's list gives the short name)."""
        if self.kind == "school" and not self.name_th.startswith("โรงเรียน"):
            return f"โรงเรียน{self.name_th}"
        return self.name_th

    @property
    def district_label(self) -> str:
        return self.district or "(ไม่ระบุอำเภอ)"

    @property
    def network_label(self) -> str:
        return self.network or "(ไม่ระบุเครือข่าย)"

    @property
    def size_label(self) -> str:
        return SIZE_TH.get(self.size, self.size) if self.size else "(ไม่ระบุขนาด)"


def office_groups(registry: dict[str, Unit] | None = None) -> list[Unit]:
    """The office's groups: the registry's own (kind ``group``), or the groups in rules/data/plan/office_groups.yaml."""
    own = [u for u in (registry or {}).values() if u.kind == "group"]
    if own:
        return own
    return [
        Unit(code=row["code"], name_th=row["th"], kind="group", source="rules/data/plan/office_groups.yaml")
        for row in default_parameters().table("plan.office_groups")["groups"]
    ]


def sets_for(unit: Unit) -> list[FormSet]:
    """The form sets a unit of this kind must send each round (the yearly plan is consolidated on its own)."""
    return [s for s in form_sets().values() if s.submitted_by == unit.kind and not s.yearly]


UNIT_KINDS = {"school": "obec_school", "group": "esa_office"}  # the kinds of budget/unit_kinds.yaml a registry holds


def unit_kinds(registry: dict[str, Unit], office_name: str) -> dict[str, str]:
    """What the registry says each unit is, for the transfer rules (``budget/unit_kinds.yaml``): its schools
    are OBEC schools, its groups and the office itself the area office, by code, by name and, for a school,
    by its name as people write it with โรงเรียน in front; a unit the registry does not hold is not guessed."""
    kinds = {office_name: "esa_office"}
    for unit in [*registry.values(), *office_groups(registry)]:
        kind = UNIT_KINDS.get(unit.kind)
        if kind is None:
            continue
        names = [unit.code, unit.name_th, unit.written_name]
        kinds.update(dict.fromkeys(names, kind))
    return kinds


def load_registry(path: Path) -> dict[str, Unit]:
    """Units by code from an esaplan registry CSV or an OBEC school list CSV (UTF-8, UTF-16 or the
    Thai Windows code page, as Excel saves it); a registry without one unit is refused."""
    reader = csv.DictReader(io.StringIO(_registry_text(path), newline=""))
    header = set(reader.fieldnames or ())
    rows = list(reader)
    if header >= OBEC_COLUMNS:
        units = [_from_obec(row, path) for row in rows]
    elif {"code", "name_th"} <= header:
        units = [_from_registry(row, path, line) for line, row in enumerate(rows, start=2)]
    else:
        raise ParseError(
            f"{path.name}: ไม่รู้จักรูปแบบทะเบียนหน่วย (ต้องมีคอลัมน์ code,name_th หรือ smis_code,school_id,name,levels)",
            f"{path.name}: unknown registry format (need code,name_th or smis_code,school_id,name,levels)",
            value=sorted(header),
        )
    if not units:
        raise ParseError(
            f"{path.name}: ทะเบียนหน่วยงานไม่มีรายชื่อหน่วยงานเลย (มีแต่หัวตาราง): ใส่รายชื่อโรงเรียนอย่างน้อยหนึ่งแถว",
            f"{path.name}: the registry lists no unit (a header only)",
            path=path,
        )
    registry: dict[str, Unit] = {}
    for unit in units:
        if unit.code in registry:
            raise ParseError(
                f"{path.name}: รหัส {unit.code} ซ้ำ", f"{path.name}: duplicate code {unit.code}", value=unit.code
            )
        registry[unit.code] = unit
    return registry


def _registry_text(path: Path) -> str:
    """The registry's text: UTF-8 (with or without the BOM Excel writes for "CSV UTF-8"), UTF-16 with
    its BOM ("Unicode Text"), or Windows-874/TIS-620, what Excel on Thai Windows writes for "CSV"."""
    if not path.is_file():
        raise ParseError(
            f"ยังไม่มีทะเบียนหน่วย {path}: วางไฟล์ registry.csv (หรือไฟล์รายชื่อโรงเรียนของ สพฐ.) ในโฟลเดอร์ติดตั้ง",
            f"no registry at {path}",
            value=str(path),
        )
    content = path.read_bytes()
    for encoding in (
        ("utf-16",) if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else ("utf-8-sig", "cp874")
    ):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ParseError(
        f"{path.name}: อ่านตัวอักษรในไฟล์ไม่ได้ ไม่ใช่ UTF-8 หรือ TIS-620 (Windows-874): เปิดใน Excel แล้วบันทึกเป็น CSV UTF-8 (Comma delimited)",
        f"{path.name}: the file is neither UTF-8 nor TIS-620 (Windows-874) text: save it from Excel as CSV UTF-8",
        path=path,
    )


def _from_obec(row: dict[str, str], path: Path) -> Unit:
    return Unit(
        code=unit_code(row["smis_code"]),
        name_th=row["name"].strip(),
        kind="school",
        district=(row.get("district") or "").strip(),
        school_id=row["school_id"].strip(),
        levels=row["levels"].strip(),
        source=f"OBEC school list ({path.name})",
    )


def _from_registry(row: dict[str, str], path: Path, line: int) -> Unit:
    pupils_text = (row.get("pupils") or "").strip()
    try:
        pupils = int(pupils_text) if pupils_text else None
    except ValueError:
        raise ParseError(
            f"{path.name} บรรทัด {line}: จำนวนนักเรียน '{pupils_text}' ไม่ใช่ตัวเลข",
            f"{path.name} line {line}: pupils {pupils_text!r} is not a number",
            value=pupils_text,
        ) from None
    kind = (row.get("kind") or "school").strip()
    if kind not in ("school", "group"):
        raise ParseError(
            f"{path.name} บรรทัด {line}: kind ต้องเป็น school หรือ group",
            f"{path.name} line {line}: kind must be school or group",
            value=kind,
        )
    size = (row.get("size") or "").strip() or (school_size(pupils) if pupils is not None and kind == "school" else "")
    values = {f.name: (row.get(f.name) or "").strip() for f in fields(Unit) if f.name not in ("pupils", "kind", "size")}
    values["code"] = unit_code(values["code"])
    return Unit(**values, kind=kind, size=size, pupils=pupils)


def save_registry(units: Iterable[Unit], path: Path) -> None:
    """Write units as an esaplan registry CSV (UTF-8 with BOM so Excel shows Thai correctly).

    The file is replaced atomically and the previous one is kept in ``registry-history/``: the
    registry is the office's own work, and a tool that rewrites it must never lose an edit.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    with part.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for unit in units:
            row = asdict(unit)
            row["pupils"] = "" if unit.pupils is None else unit.pupils
            writer.writerow(row)
        handle.flush()
        os.fsync(handle.fileno())
    if path.exists():
        history = path.parent / "registry-history"
        history.mkdir(exist_ok=True)
        shutil.copy2(path, history / f"{path.stem}-{dt.datetime.now():%Y%m%d-%H%M%S-%f}{path.suffix}")
    os.replace(part, path)
