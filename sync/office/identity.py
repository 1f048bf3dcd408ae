"""Who the office is, as every page, letter and document names it: one place, ``esaplan.toml``.

A Thai government letter carries the office's name and address under the Garuda, its ที่ ศธ number
prefix, the signatory's name and position, and, at the foot, the section that owns the matter with its
telephone and e-mail (ระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ พ.ศ. 2526 และที่แก้ไขเพิ่มเติม, แบบหนังสือ
ภายนอก). The keys are ``office_*`` lines of ``esaplan.toml`` (``esaplan office`` sets them); a document
made while one is blank leaves a dotted line to fill by hand and the command says which are missing.

The Garuda is the office's own image file (``office_garuda``): esaplan ships none, as the emblem's use
is the government's to permit, not a licence a software package can pass on.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from rules.thai import thai_digits

DEFAULT_NAME = "สำนักงานเขตพื้นที่การศึกษาประถมศึกษา"
FIELDS_TH = {
    "name": "ชื่อสำนักงาน",
    "address": "ที่อยู่",
    "book_prefix": "เลขที่หนังสือ (ที่ ศธ ...)",
    "section": "ส่วนราชการเจ้าของเรื่อง",
    "phone": "โทรศัพท์",
    "email": "ไปรษณีย์อิเล็กทรอนิกส์",
    "garuda": "ภาพตราครุฑ",
    "director": "ชื่อผู้ลงนาม",
    "director_title": "ตำแหน่งผู้ลงนาม",
}


@dataclass(frozen=True)
class Office:
    """The office's identity; ``garuda`` is a path inside the installation folder (or absolute)."""

    name: str = DEFAULT_NAME
    address: str = ""
    book_prefix: str = ""  # "ศธ 04135": letters print "ที่ ศธ ๐๔๑๓๕/" and the number is given when signed
    section: str = "กลุ่มนโยบายและแผน"
    phone: str = ""
    email: str = ""
    garuda: str = ""
    director: str = ""
    director_title: str = ""  # blank: ผู้อำนวยการ + the office's name

    @property
    def signatory_title(self) -> str:
        return self.director_title or f"ผู้อำนวยการ{self.name}"

    def in_thai_digits(self) -> Office:
        """The identity as a Thai document prints it, digits and all (เขต ๕, ๐ ๔๓๓๑ ๑๒๓๔); the e-mail stays as
        typed, since an address is not text to translate."""
        return replace(
            self,
            **{
                name: thai_digits(getattr(self, name))
                for name in ("name", "address", "book_prefix", "phone", "director_title")
            },
        )

    def garuda_path(self, home: Path) -> Path | None:
        """The Garuda image when one is set and present; None otherwise (the letter keeps its space)."""
        if not self.garuda:
            return None
        path = Path(self.garuda) if Path(self.garuda).is_absolute() else home / self.garuda
        return path if path.is_file() else None

    def missing(self, home: Path) -> list[str]:
        """The Thai names of what a signed letter needs and the settings do not give."""
        gaps = [
            FIELDS_TH[name]
            for name in ("address", "book_prefix", "phone", "email", "director")
            if not getattr(self, name)
        ]
        if self.name == DEFAULT_NAME:
            gaps.insert(0, FIELDS_TH["name"])
        if self.garuda_path(home) is None:
            gaps.append(FIELDS_TH["garuda"])
        return gaps


def office_from(config: dict[str, Any]) -> Office:
    """The ``office_*`` keys of esaplan.toml (``office_name`` -> ``name``), as text."""
    given = {f.name: str(config[f"office_{f.name}"]).strip() for f in fields(Office) if f"office_{f.name}" in config}
    return Office(**given)
