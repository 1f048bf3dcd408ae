"""Where an esaplan installation keeps its files, and the few settings an office may change.

Everything lives under one folder (``ESAPLAN_HOME``, default ``./esaplan-data``): the unit
registry, the inbox schools drop files into, the content-addressed store of every submitted
file, the SQLite ledger and the master workbooks. ``esaplan.toml`` in that folder may set the
database URL (PostgreSQL works too), the current round and limits; environment variables
``ESAPLAN_HOME`` and ``ESAPLAN_DATABASE_URL`` override it. Its ``[google]`` table turns on Google
Sheets as a source (see :class:`GoogleSettings`); without a service-account key nothing else
changes.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from rules import EsaplanError, ParseError, reporting_round, round_of
from rules.thai import BANGKOK
from sync.office.identity import FIELDS_TH, Office, office_from

DEFAULT_HOME = Path("esaplan-data")


GOOGLE_KEY_FILE = "google-service-account.json"


@dataclass(frozen=True)
class GoogleSettings:
    """How the office reaches Google Sheets: whose key, which Drive folder, which templates, how fast.

    The pace defaults are Google's per-user quota for the Sheets API (60 reads and 60 writes a
    minute). ``api_root`` sends every Google API call elsewhere: a proxy, or the local stand-in
    the tests run; empty means Google itself.
    """

    credentials: Path
    folder_id: str = ""
    templates: dict[str, str] = field(default_factory=dict)  # form set code -> template spreadsheet id
    api_root: str = ""
    reads_per_minute: int = 60
    writes_per_minute: int = 60
    concurrency: int = 4
    retries: int = 6
    backoff_s: float = 1.0


@dataclass(frozen=True)
class Settings:
    """One installation's paths and settings."""

    home: Path
    database_url: str
    fiscal_year: int
    round: int
    keep_masters: int = 10
    max_file_mb: int = 20
    #: What reading one submitted file may cost (sync.intake.isolation): memory a reading process may add,
    #: seconds, and how far a form's sheet may reach (rows, columns). A school's forms need a few
    #: hundred rows of at most 18 columns; the office's allocation register a few thousand rows.
    read_memory_mb: int = 1024
    read_seconds: float = 60.0
    max_rows: int = 30_000
    max_columns: int = 60
    lock_timeout_s: float = 120.0
    google: GoogleSettings | None = None
    office: Office = field(default_factory=Office)  # name, address, contacts, signatory: ``office_*`` keys
    #: Sites whose pages may call the JSON API from a browser (CORS): xlwings Lite runs in Excel
    #: from addin.xlwings.org. Staff pages and the Office add-in are served by the service itself.
    api_origins: tuple[str, ...] = ("https://addin.xlwings.org",)
    #: The job queue: empty for a SQLite file in the installation folder worked by ``esaplan serve``
    #: itself; ``redis://host:6379/0`` when several machines run ``esaplan worker``.
    queue_url: str = ""

    @property
    def registry_path(self) -> Path:
        return self.home / "registry.csv"

    @property
    def inbox(self) -> Path:
        return self.home / "inbox"

    @property
    def store(self) -> Path:
        return self.home / "store"

    @property
    def master_dir(self) -> Path:
        return self.home / "master"

    def master_path(self, fiscal_year: int | None = None, round_: int | None = None) -> Path:
        """The master workbook of a round: one file per fiscal year and round."""
        return self.master_dir / f"esaplan-master-FY{fiscal_year or self.fiscal_year}-R{round_ or self.round}.xlsx"

    def with_round(self, fiscal_year: Any, round_: Any) -> Settings:
        """The same installation working on another round (checked: a CE year or round 7 raise ParseError)."""
        checked = _checked_round(fiscal_year or self.fiscal_year, round_ or self.round)
        return replace(self, fiscal_year=checked[0], round=checked[1])

    def ensure_folders(self) -> None:
        for folder in (self.home, self.inbox, self.store, self.master_dir):
            folder.mkdir(parents=True, exist_ok=True)


def load_settings(home: Path | str | None = None, **overrides: Any) -> Settings:
    """Settings of the installation at ``home`` (or ``ESAPLAN_HOME``), with ``overrides`` applied."""
    root = Path(home or os.environ.get("ESAPLAN_HOME") or DEFAULT_HOME).resolve()
    config: dict[str, Any] = {}
    config_file = root / "esaplan.toml"
    if config_file.is_file():
        config = tomllib.loads(config_file.read_text(encoding="utf-8"))
    current = round_of(dt.datetime.now(BANGKOK).date())
    values: dict[str, Any] = {
        "home": root,
        "database_url": os.environ.get("ESAPLAN_DATABASE_URL")
        or config.get("database_url")
        or default_database_url(root),
        "fiscal_year": config.get("fiscal_year", current.fiscal_year),
        "round": config.get("round", current.months),
    }
    for key in (
        "keep_masters",
        "max_file_mb",
        "read_memory_mb",
        "read_seconds",
        "max_rows",
        "max_columns",
        "lock_timeout_s",
    ):
        if key in config:
            values[key] = config[key]
    queue_url = os.environ.get("ESAPLAN_QUEUE_URL") or config.get("queue_url")
    if queue_url:
        values["queue_url"] = str(queue_url)
    if "api_origins" in config:
        values["api_origins"] = tuple(str(origin).rstrip("/") for origin in config["api_origins"])
    try:
        reporting_round(values["fiscal_year"], values["round"])
    except ParseError as exc:
        raise SettingsError(
            f"{config_file}: {exc.message_th}", f"{config_file}: {exc.message_en}", path=config_file
        ) from None
    values["google"] = _google(root, config.get("google") or {})
    values["office"] = office_from(config)
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["fiscal_year"], values["round"] = _checked_round(values["fiscal_year"], values["round"])
    return Settings(**values)


class SettingsError(EsaplanError):
    """esaplan.toml holds a value esaplan cannot use."""


def _checked_round(fiscal_year: Any, round_: Any) -> tuple[int, int]:
    """Every year and round an installation works on passes :func:`rules.thai.reporting_round`."""
    checked = reporting_round(fiscal_year, round_)
    return checked.fiscal_year, checked.months


def _google(root: Path, config: dict[str, Any]) -> GoogleSettings | None:
    """The ``[google]`` settings, or None when no service-account key is configured or present."""
    named = os.environ.get("ESAPLAN_GOOGLE_CREDENTIALS") or config.get("credentials")
    key = (root / named) if named else root / GOOGLE_KEY_FILE  # a relative path is inside the installation folder
    if not named and not key.is_file():
        return None
    templates = {
        name.removeprefix("template_"): str(value) for name, value in config.items() if name.startswith("template_")
    }
    pace = {
        k: config[k]
        for k in ("reads_per_minute", "writes_per_minute", "concurrency", "retries", "backoff_s")
        if k in config
    }
    api_root = os.environ.get("ESAPLAN_GOOGLE_API_ROOT") or str(config.get("api_root", ""))
    return GoogleSettings(
        credentials=key, folder_id=str(config.get("folder_id", "")), templates=templates, api_root=api_root, **pace
    )


def default_database_url(home: Path) -> str:
    """SQLite inside the installation folder: moves with the folder when it is copied."""
    return f"sqlite:///{home / 'ledger.sqlite'}"


def write_config(settings: Settings) -> None:
    """Save the round (and a non-default database URL) so later commands in this folder use them."""
    settings.home.mkdir(parents=True, exist_ok=True)
    database = (
        ""
        if settings.database_url == default_database_url(settings.home)
        else f'database_url = "{settings.database_url}"\n'
    )
    text = (
        "# esaplan settings (แก้ไขได้)\n"
        '# database_url = "postgresql+psycopg://user:pass@host/esaplan"  (ค่าเริ่มต้น: SQLite ในโฟลเดอร์นี้)\n'
        f"{database}"
        f"fiscal_year = {settings.fiscal_year}  # ปีงบประมาณ (พ.ศ.)\n"
        f"round = {settings.round}  # รอบรายงาน 6 / 9 / 12 เดือน\n"
        f"keep_masters = {settings.keep_masters}  # จำนวนไฟล์รวมรุ่นก่อนที่เก็บไว้\n"
        f"max_file_mb = {settings.max_file_mb}  # ขนาดไฟล์ส่งสูงสุด (MB)\n"
        "# ข้อมูลสำนักงานบนหน้าเว็บ ไฟล์รวม หนังสือ และเอกสาร (esaplan office --help)\n"
        + "".join(
            f'office_{key} = "{_toml_text(getattr(settings.office, key))}"  # {label}\n'
            for key, label in FIELDS_TH.items()
        )
    )
    (settings.home / "esaplan.toml").write_text(text, encoding="utf-8")


def _toml_text(value: str) -> str:
    """``value`` inside a TOML basic string."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def set_config(home: Path, **values: str) -> Path:
    """Set string settings in the installation's esaplan.toml (each ``key = "value"`` line replaced,
    or added at the top), leaving every other line as written; returns the file."""
    path = home / "esaplan.toml"
    home.mkdir(parents=True, exist_ok=True)
    config = path.read_text(encoding="utf-8") if path.exists() else ""
    for key, value in values.items():
        line = f'{key} = "{_toml_text(value)}"'
        pattern = re.compile(rf"^{re.escape(key)}\s*=.*$", re.MULTILINE)
        config = pattern.sub(partial(_same, line), config, count=1) if pattern.search(config) else f"{line}\n{config}"
    part = path.with_suffix(".toml.part")
    part.write_text(config, encoding="utf-8")
    part.replace(path)
    return path


def _same(text: str, _match: re.Match[str]) -> str:
    """A replacement taken as it is (``re.sub`` would read backslashes in a replacement string)."""
    return text
