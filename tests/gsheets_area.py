"""A service area whose schools fill Google Sheets, served by the local stand-in: for the Sheets tests."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from rules.forms import form_sets
from sync.demo.area import build_registry, school_values
from sync.intake.templates import write_template
from sync.office.registry import Unit, load_registry, save_registry
from sync.office.settings import Settings, load_settings, write_config
from tests.google_standin import GoogleStandIn, formatted, service_account_key

FY, ROUND = 2569, 12
FOLDER = "folder-esaplan"


@dataclass
class Area:
    """An installation wired to the stand-in, its template and a rng for school data."""

    standin: GoogleStandIn
    settings: Settings
    template: str
    tmp: Path

    @property
    def registry(self) -> dict[str, Unit]:
        return load_registry(self.settings.registry_path)

    def schools(self) -> list[Unit]:
        return [u for u in self.registry.values() if u.kind == "school"]

    def fill(self, unit: Unit, values: dict[str, list[dict[str, Any]]] | None = None) -> None:
        """The school types its data into its sheet (the form tabs; set-up cells stay as esaplan wrote them)."""
        values = values if values is not None else school_values(unit, random.Random(unit.code))
        path = write_template(
            form_sets()["school"],
            self.tmp / f"fill-{unit.code}.xlsx",
            fiscal_year=FY,
            round_=ROUND,
            unit=unit,
            values=values,
        )
        filled = {sheet.title: sheet for sheet in load_workbook(path).worksheets}
        target = self.standin.files[unit.sheet_id]
        for form in form_sets()["school"].forms:
            tab = target.tab(form.sheet)
            assert tab is not None
            tab.cells = {
                (c.row - 1, c.column - 1): formatted(c.value)
                for row in filled[form.sheet].iter_rows()
                for c in row
                if c.value is not None
            }
        self.standin._touched(unit.sheet_id, by_me=False)

    def copy_filled(self, source: Unit, others: list[Unit]) -> None:
        """Many schools with the same data, cheaply: copy one filled sheet's form tabs."""
        forms = {f.sheet for f in form_sets()["school"].forms}
        tabs = {t.title: t.cells for t in self.standin.files[source.sheet_id].tabs if t.title in forms}
        for unit in others:
            for tab in self.standin.files[unit.sheet_id].tabs:
                if tab.title in tabs:
                    tab.cells = dict(tabs[tab.title])
            self.standin._touched(unit.sheet_id, by_me=False)


def make_area(tmp: Path, standin: GoogleStandIn, base: str, *, schools: int, **google: Any) -> Area:
    """A demo registry of ``schools`` schools (plus the office groups), the template uploaded, [google] configured."""
    home = tmp / "home"
    settings = load_settings(home, fiscal_year=FY, round=ROUND)
    write_config(settings)
    save_registry(build_registry(schools, random.Random(7)), settings.registry_path)
    template_path = write_template(form_sets()["school"], tmp / "template.xlsx", fiscal_year=FY, round_=ROUND)
    template = standin.import_xlsx(template_path.read_bytes(), "แบบรายงานโรงเรียน (ต้นฉบับ)", [FOLDER])
    service_account_key(home, f"{base}/token")
    config = {
        "folder_id": FOLDER,
        "template_school": template,
        "api_root": base,
        "backoff_s": 0.001,
        "reads_per_minute": 100_000,
        "writes_per_minute": 100_000,
        **google,
    }
    lines = "".join(f"{key} = {value!r}\n".replace("'", '"') for key, value in config.items())
    with (home / "esaplan.toml").open("a", encoding="utf-8") as handle:
        handle.write(f"\n[google]\n{lines}")
    return Area(standin, load_settings(home), template, tmp)
