"""The installation's database schema, in one place: every table esaplan keeps.

SQLAlchemy Core tables on one ``MetaData``, so :func:`sync.ledger.store.open_ledger` creates (and
upgrades, by adding nullable columns) all of them however the program was entered:

- the ledger: ``submissions`` (every version of every unit's workbook or sheet), their
  ``issues``, the ``version_choices`` staff made, consolidation ``runs``, and each unit's Google
  ``sheets`` state;
- the web service: staff ``users`` and their ``staff_sessions``, the ``audit`` log, schools'
  ``upload_links``, each person's ``formula_tokens``, and the background ``jobs`` the Consolidate button starts.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

metadata = MetaData()

submissions = Table(
    "submissions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("unit_code", String(32), nullable=False, index=True),
    Column("form_set", String(32), nullable=False),
    Column("fiscal_year", Integer, nullable=False, index=True),
    Column("round", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("source", String(16), nullable=False),
    Column("original_name", String(255), nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("accepted", Boolean, nullable=False),
    Column("errors", Integer, nullable=False, default=0),
    Column("warnings", Integer, nullable=False, default=0),
    Column("data", Text, nullable=False, default="{}"),
    # The round the workbook's own form was written for (its hidden _esaplan sheet), when it names
    # a valid one; it may differ from the round the version is stored under (fiscal_year, round).
    Column("form_fiscal_year", Integer, nullable=True),
    Column("form_round", Integer, nullable=True),
    # When the school made the file: the workbook's own saved time (docProps/core.xml), when it has
    # one and it is not after the file arrived. A unit's versions are ordered by it, then by arrival.
    Column("made_at", DateTime(timezone=True), nullable=True),
    # The esaplan (code and rules: sync.files.cachefile.code_salt) whose checks made data and issues;
    # another one's are read again from the kept file at the round's next consolidation.
    Column("checked_with", String(32), nullable=True),
    UniqueConstraint("unit_code", "form_set", "fiscal_year", "round", "sha256", name="one_version_per_content"),
)

# The version staff chose to count for a unit's form set in a round (the unit page, `esaplan
# versions`); without a row here the unit's latest accepted version counts.
version_choices = Table(
    "version_choices",
    metadata,
    Column("unit_code", String(32), primary_key=True),
    Column("form_set", String(32), primary_key=True),
    Column("fiscal_year", Integer, primary_key=True),
    Column("round", Integer, primary_key=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("chosen_by", String(96), nullable=False),
    Column("chosen_at", DateTime(timezone=True), nullable=False),
)

issues = Table(
    "issues",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False, index=True),
    Column("form", String(32), nullable=True),
    Column("sheet", String(64), nullable=False),
    Column("cell", String(16), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("severity", String(8), nullable=False),
    Column("value", Text, nullable=True),
    Column("message_th", Text, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("fiscal_year", Integer, nullable=False),
    Column("round", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("status", String(16), nullable=False),
    Column("master_path", Text, nullable=True),
    Column("summary", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("fingerprint", String(64), nullable=True),
    Column("notices", Text, nullable=True),
)

sheets = Table(
    "sheets",
    metadata,
    Column("unit_code", String(32), primary_key=True),
    Column("spreadsheet_id", String(128), nullable=False),
    Column("shared_with", Text, nullable=True),
    Column("protected", Boolean, nullable=True),
    Column("gids", Text, nullable=True),
    Column("read_modified", String(40), nullable=True),
    Column("read_sha", String(64), nullable=True),
    Column("feedback_sha", String(64), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=True),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor", String(96), nullable=False),
    Column("action", String(48), nullable=False, index=True),
    Column("target", String(128), nullable=True),
    Column("detail", Text, nullable=True),
    Column("ip", String(64), nullable=True),
)

upload_links = Table(
    "upload_links",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("unit_code", String(32), nullable=False, index=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# A staff login's session, by the SHA-256 of the token its cookie holds: logging out (or a password
# reset) ends it here, so a copied cookie opens nothing afterwards.
staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Column("ip", String(64), nullable=True),
)

# A person's own connection code for the spreadsheets' formulas, by the SHA-256 of the code (shown once, when
# made): its scope says what it may call, revoking it stops it at once, and its last use is kept.
formula_tokens = Table(
    "formula_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("label", String(96), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("fiscal_year", Integer, nullable=False),
    Column("round", Integer, nullable=False),
    Column("started_by", String(96), nullable=False),
    Column("status", String(16), nullable=False),
    Column("phase", String(16), nullable=True),
    Column("done", Integer, nullable=False, default=0),
    Column("total", Integer, nullable=False, default=0),
    Column("unit_code", String(32), nullable=True),
    Column("percent", Integer, nullable=False, default=0),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("result", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("attempts", Integer, nullable=True),  # runs started (a worker that died counts one)
    Column("heartbeat_at", DateTime(timezone=True), nullable=True),  # the running worker's last sign of life
    Column("worker", String(128), nullable=True),  # host:pid:start of the worker that has it (sync.service.jobs.WORKER)
    Column(
        "area", String(32), nullable=True
    ),  # the service area, for an office over many (areas.csv); None: this installation
)
ACTIVE = ("queued", "running")
# One job queued or running per area and round, whichever process or machine starts it: the database
# refuses a second (partial unique index, in SQLite and PostgreSQL alike; the area's NULL counted as one value).
# Older versions could leave two active jobs of a round; before the index is made, the newest stays and
# the others end failed, saying why (migration 0003 does the same).
END_DOUBLED_JOBS = (
    "UPDATE jobs SET status = 'failed', error = 'ซ้ำกับงานที่เริ่มภายหลังของรอบเดียวกัน (duplicate of a later job of the same round)' "
    "WHERE status IN ('queued', 'running') AND id NOT IN "
    "(SELECT max(id) FROM jobs WHERE status IN ('queued', 'running') GROUP BY coalesce(area, ''), fiscal_year, round)"
)
Index(
    "jobs_one_active",
    func.coalesce(jobs.c.area, ""),
    jobs.c.fiscal_year,
    jobs.c.round,
    unique=True,
    sqlite_where=jobs.c.status.in_(ACTIVE),
    postgresql_where=jobs.c.status.in_(ACTIVE),
    info={
        "before": END_DOUBLED_JOBS
    },  # run by sync.ledger.store before it makes the index on a ledger older than migrations
)

# The allocation control register's entries: appended, never updated or deleted. A row of the staff's
# register workbook that changed is a reversal of the entry it had (reverses = that entry's id, the
# amount negated) followed by a new entry; a row removed is a reversal alone.
money_entries = Table(
    "money_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("fiscal_year", Integer, nullable=False, index=True),
    Column("form", String(32), nullable=False),
    Column("identity", String(512), nullable=False),
    Column("content", Text, nullable=False),
    Column("amount_satang", Integer, nullable=False),
    Column("reverses", Integer, ForeignKey("money_entries.id"), nullable=True),
    Column("actor", String(96), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("source_sha256", String(64), nullable=False),
)


def utc_now() -> dt.datetime:
    """The moment to store: every time esaplan keeps is UTC (shown in Bangkok time by rules.thai_time)."""
    return dt.datetime.now(dt.UTC)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A moment read back: SQLite returns the stored UTC without its zone, PostgreSQL with it."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
