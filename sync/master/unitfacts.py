"""What the master's summaries need of one submitted version, worked out once and kept between runs.

The summary sheets (สรุปผู้บริหาร, สรุป, สรุปตัวชี้วัด) add up every unit's counted rows. Reading
those rows means decoding every unit's stored submission, which at 5,000 schools cost more than
the rest of a run where ten schools changed. A version's facts (which sheets it had, the rows
left out of totals, pupils and rooms, its budget lines, its KPI reports) depend on nothing but
its content, the issues found in it and esaplan's code and rules, so they are kept in
``master/.facts.sqlite`` under the hash of those: a run works out the facts of the versions that
are new and reads the others' (a few hundred bytes each). The file is plain data, never code,
and a broken or missing one only costs time. A long-lived process (the service, a worker) keeps
its last run's facts of each round in memory too (:class:`~sync.files.cachefile.Warm`): the next run
reads from the file only the versions it has not seen. Facts are read, never changed, so one
object serves every run that asks for it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from rules.forms import row_of
from rules.transfers import category_th
from sync.files.cachefile import Warm, open_cache, rows_by_key
from sync.ledger.versions import Submission

SCHEMA = 1  # PRAGMA user_version: a file of another layout is emptied, not misread
UNUSED_DAYS = 800  # facts no run has used for two years and more are dropped (last year's baseline is read every run)
MONEY_KEYS = ("allocated", "committed", "disbursed")
WARM: Warm[dict[str, Facts]] = Warm()


class BudgetLine(NamedTuple):
    """A counted row of the budget-use form, as the summaries group it (a named tuple, as
    :class:`KpiReport`: every unit's are made from the kept facts on every run, and a tuple is
    made in less than half a frozen dataclass's time)."""

    category_th: str
    item: str
    allocated: Decimal
    committed: Decimal
    disbursed: Decimal


class KpiReport(NamedTuple):
    """A counted row of the KPI form: the indicator and what the school counted."""

    kpi: str
    numerator: Decimal
    denominator: Decimal | None


@dataclass(frozen=True)
class Facts:
    """One version's figures: ``sheets`` the rows read per form (a form is there when its sheet was),
    ``left_out`` the row numbers per form no total counts, and the counted rows' pupils, rooms,
    budget lines and KPI reports."""

    sheets: dict[str, int]
    left_out: dict[str, list[int]]
    pupils: int
    rooms: int
    budget: list[BudgetLine]
    kpis: list[KpiReport]
    kpis_left_out: list[str]

    def counted(self, form_code: str) -> int:
        """Rows of a form that enter the totals."""
        return self.sheets.get(form_code, 0) - len(self.left_out.get(form_code, []))


NO_FACTS = Facts({}, {}, 0, 0, [], [], [])


def split_rows(
    submission: Submission, issue_rows: list[dict[str, Any]], form_code: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A form's rows as (counted, left out): no row with an error enters any total.

    A row is left out when an error points at it; every row of the form is left out when an
    error points elsewhere in the sheet (a renamed header, a missing column): its values could
    be in the wrong columns.
    """
    rows = submission.data.get(form_code, []) if submission.accepted else []
    bad = {row_of(i["cell"]) for i in issue_rows if i["form"] == form_code and i["severity"] == "error"}
    if not bad:
        return rows, []
    if bad - {row["_row"] for row in rows}:
        return [], rows
    return [r for r in rows if r["_row"] not in bad], [r for r in rows if r["_row"] in bad]


def facts_of(submission: Submission, issue_rows: list[dict[str, Any]]) -> Facts:
    """Work a version's facts out from its rows (the only place the summaries' figures are read from rows)."""
    split = {code: split_rows(submission, issue_rows, code) for code in submission.data}
    enrolment = split.get("enrolment", ([], []))[0]
    budget = [
        BudgetLine(
            category_th(row["category"]) if row.get("category") else "(ไม่ระบุงบรายจ่าย)",
            " ".join(str(row.get("line") or "(ไม่ระบุรายการ)").split()),
            *(Decimal(row.get(key) or 0) for key in MONEY_KEYS),
        )
        for row in split.get("budget_use", ([], []))[0]
    ]
    counted_kpis, kpis_left_out = split.get("kpi_report", ([], []))
    return Facts(
        sheets={code: len(rows) for code, rows in submission.data.items()},
        left_out={code: [r["_row"] for r in out] for code, (_, out) in split.items() if out},
        pupils=sum((r.get("male") or 0) + (r.get("female") or 0) for r in enrolment),
        rooms=sum(r.get("rooms") or 0 for r in enrolment),
        budget=budget,
        kpis=[
            KpiReport(
                r["kpi"], Decimal(r["numerator"]), None if r.get("denominator") is None else Decimal(r["denominator"])
            )
            for r in counted_kpis
        ],
        kpis_left_out=[r.get("kpi") or "" for r in kpis_left_out],
    )


def _dumps(facts: Facts) -> str:
    return orjson.dumps(
        [
            facts.sheets,
            facts.left_out,
            facts.pupils,
            facts.rooms,
            [[b.category_th, b.item, str(b.allocated), str(b.committed), str(b.disbursed)] for b in facts.budget],
            [[k.kpi, str(k.numerator), None if k.denominator is None else str(k.denominator)] for k in facts.kpis],
            facts.kpis_left_out,
        ],
    ).decode()


def _loads(text: str, decimals: dict[str | None, Decimal | None]) -> Facts:
    """Facts from their kept text; ``decimals`` holds each amount already read (Decimals are
    immutable, and schools' counts repeat: made once, they cost a lookup, not a parse). orjson
    reads them in half json's time: every unit's facts are read on every run."""
    sheets, left_out, pupils, rooms, budget, kpis, kpis_left_out = orjson.loads(text)

    def number(value: str | None) -> Decimal | None:
        if value not in decimals:
            decimals[value] = None if value is None else Decimal(value)
        return decimals[value]

    return Facts(
        sheets,
        left_out,
        pupils,
        rooms,
        [BudgetLine(c, i, number(a), number(m), number(d)) for c, i, a, m, d in budget],  # type: ignore[arg-type]
        [KpiReport(k, number(n), number(d)) for k, n, d in kpis],  # type: ignore[arg-type]
        kpis_left_out,
    )


class FactsCache:
    """Facts kept by the hash of what they are made from; ``salt`` stands for the code and rules
    (an edited rule or an upgrade matches no kept facts); ``round_`` (fiscal year, round) is what
    the facts asked for are kept in memory under, between runs of this process."""

    def __init__(self, path: Path, salt: str, round_: tuple[int, int]) -> None:
        self.path, self.salt, self.scope = path, salt, (path, *round_)

    def key(self, submission: Submission, issue_rows: list[dict[str, Any]]) -> str:
        found = [(i["form"], i["cell"], i["severity"]) for i in issue_rows]
        source = repr((self.salt, submission.fiscal_year, submission.sha256, submission.accepted, found))
        return hashlib.blake2b(source.encode(), digest_size=16).hexdigest()

    def facts(self, versions: Sequence[tuple[Submission, list[dict[str, Any]]]]) -> list[Facts]:
        """Each version's facts: those in memory from this process's last run, then kept ones read,
        the others worked out now and kept."""
        keys = [self.key(submission, issue_rows) for submission, issue_rows in versions]
        warm = WARM.get(self.scope) or {}
        db = open_cache(self.path, SCHEMA, {"facts": "key TEXT PRIMARY KEY, facts TEXT NOT NULL, used TEXT NOT NULL"})
        kept = _read(db, [key for key in keys if key not in warm]) if db else {}
        used: dict[str, Facts] = {}
        made = []
        decimals: dict[str | None, Decimal | None] = {None: None}
        for key, (submission, issue_rows) in zip(keys, versions, strict=True):
            facts = warm.get(key)
            if facts is None and key in kept:
                facts = _loads(kept[key], decimals)
            elif facts is None:
                facts = facts_of(submission, issue_rows)
                made.append((key, _dumps(facts)))
            used[key] = facts
        if db is not None:
            _write(db, made, keys)
        WARM.keep(self.scope, used)
        return [used[key] for key in keys]


def _read(db: sqlite3.Connection, keys: Sequence[str]) -> dict[str, str]:
    try:
        return dict(rows_by_key(db, "SELECT key, facts FROM facts WHERE key IN", keys))
    except sqlite3.Error:
        return {}


def _write(db: sqlite3.Connection, made: list[tuple[str, str]], used: list[str]) -> None:
    """Keep the new facts, mark today's as used (once a day) and drop facts long unused, in one transaction."""
    today = dt.date.today().isoformat()
    try:
        with db:
            db.executemany("INSERT OR REPLACE INTO facts VALUES (?, ?, ?)", [(key, text, today) for key, text in made])
            db.executemany(
                "UPDATE facts SET used = ? WHERE key = ? AND used < ?", [(today, key, today) for key in used]
            )  # by key, not over every row: other salts' facts linger until dropped
            db.execute(
                "DELETE FROM facts WHERE used < ?", ((dt.date.today() - dt.timedelta(days=UNUSED_DAYS)).isoformat(),)
            )
    except sqlite3.Error:
        pass  # facts that cannot be kept are worked out again next run
    finally:
        db.close()
