"""The ledger: every submission version, its file, its parse and validation results, every run.

SQLAlchemy Core on SQLite by default (``sqlite:///<home>/ledger.sqlite``); any SQLAlchemy URL
works, PostgreSQL included. Submitted files are kept content-addressed in ``store/`` (the
SHA-256 is the name), so an older version stays retrievable after a newer one supersedes it.
The same file sent twice by the same unit for the same round is one version, not two:
re-consolidating the same inputs changes nothing.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from functools import partial
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from rules.forms import Problem, as_typed
from sync.files.cachefile import KEYS_A_QUERY
from sync.ledger.records import NewVersion
from sync.ledger.schema import as_utc, issues, runs, sheets, submissions, utc_now, version_choices
from sync.ledger.versions import MADE_AT_SLACK, RoundVersions, SheetState, Submission, VersionError, dumps, loads


class _StoredData:
    """The data of a round's latest versions, read from the database when first asked for: the
    version asked for and the next ones by id, as many as one query takes (:data:`~sync.files.cachefile.KEYS_A_QUERY`). A run after a few units
    sent new versions needs only theirs, and they are the newest ids; a first run needs them all,
    in id order. Reading every version's data up front took ~0.11 s of each run at 5,000 schools."""

    def __init__(self, engine: Engine, ids: Sequence[int]) -> None:
        self.engine, self.ids, self.read = engine, sorted(ids), dict[int, str]()

    def __call__(self, submission_id: int) -> str:
        if submission_id not in self.read:
            start = bisect.bisect_left(self.ids, submission_id)
            wanted = self.ids[start : start + KEYS_A_QUERY]
            with self.engine.connect() as connection:
                self.read.update(
                    connection.execute(
                        select(submissions.c.id, submissions.c.data).where(submissions.c.id.in_(wanted))
                    ).all()
                )
        return self.read.pop(submission_id)  # the submission keeps it decoded: no second copy here


def _newer(row: Any, than: Any | None) -> bool:
    """Whether a version that arrived after ``than`` is the newer one: unless both workbooks say when
    they were saved and it was saved earlier."""
    return than is None or not (row.made_at and than.made_at and as_utc(row.made_at) < as_utc(than.made_at))


def submission_of(row: Any, stored: Callable[[], str] | None = None) -> Submission:
    """A version from its row: with its data, or with what reads it when first used (``stored``)."""
    values = dict(row._mapping)
    values["stored"] = values.pop("data") if stored is None else stored
    values["submitted_at"] = as_utc(values["submitted_at"])
    values["received_at"] = as_utc(values["received_at"])
    values["made_at"] = as_utc(values["made_at"]) if values.get("made_at") else None
    return Submission(**values)


def _values(new: NewVersion, version: int) -> dict[str, Any]:
    """A new version's columns, all but its data."""
    return {
        "unit_code": new.unit_code,
        "form_set": new.form_set,
        "fiscal_year": new.fiscal_year,
        "round": new.round,
        "version": version,
        "sha256": new.sha256,
        "source": new.source,
        "original_name": new.original_name[:255],
        "submitted_at": new.submitted_at,
        "received_at": utc_now(),
        "accepted": new.accepted,
        "errors": sum(1 for _, p in new.problems if p.severity == "error"),
        "warnings": sum(1 for _, p in new.problems if p.severity == "warning"),
        "form_fiscal_year": new.form_round[0] if new.form_round else None,
        "form_round": new.form_round[1] if new.form_round else None,
        # a file cannot have been made after it arrived: a workbook clock that says so is not believed
        "made_at": new.made_at if new.made_at and new.made_at <= new.submitted_at + MADE_AT_SLACK else None,
        "checked_with": new.checked_with,
    }


def issue_row(submission_id: int, form: str | None, p: Problem) -> dict[str, Any]:
    return {
        "submission_id": submission_id,
        "form": form,
        "sheet": p.sheet,
        "cell": p.cell,
        "rule": p.rule,
        "severity": p.severity,
        "value": None if p.value is None else as_typed(p.value),
        "message_th": p.message_th,
    }


class Ledger:
    """Access to the ledger database; create it with :func:`open_ledger`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    def find(self, unit_code: str, form_set: str, fiscal_year: int, round_: int, sha256: str) -> Submission | None:
        query = select(submissions).where(
            submissions.c.unit_code == unit_code,
            submissions.c.form_set == form_set,
            submissions.c.fiscal_year == fiscal_year,
            submissions.c.round == round_,
            submissions.c.sha256 == sha256,
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return submission_of(row) if row else None

    def find_accounted(self, unit_code: str, sha256: str, fiscal_year: int, round_: int) -> Submission | None:
        """The stored version that already accounts for this content when consolidating a round (see
        :meth:`accounted`), if any: the same upload twice is one version."""
        query = (
            select(submissions)
            .where(submissions.c.unit_code == unit_code, submissions.c.sha256 == sha256)
            .order_by(submissions.c.id)
        )
        with self.engine.connect() as connection:
            rows = [submission_of(row) for row in connection.execute(query)]
        here = [s for s in rows if (s.fiscal_year, s.round) == (fiscal_year, round_)]
        if here:
            return here[0]
        return rows[0] if rows and (rows[0].form_fiscal_year, rows[0].form_round) != (fiscal_year, round_) else None

    def add(self, version: NewVersion) -> Submission:
        """Store one new version (or return the stored one with the same content)."""
        return self.add_many([version])[0]

    def add_many(self, versions: Sequence[NewVersion]) -> list[Submission]:
        """Store new versions in one transaction; content already stored returns the stored version.

        Two statements whatever the batch's size (the versions, RETURNING their ids in order, then
        all their issues): a statement per file cost ~0.7 ms of SQLAlchemy compiling each.
        """
        with self.begin() as connection:
            rounds = {(new.fiscal_year, new.round) for new in versions}
            known, versions_of = self._stored_in(connection, rounds, {new.unit_code for new in versions})
            places: list[Any] = []  # per version: the stored row it repeats, or the index of its new row
            fresh: list[tuple[NewVersion, dict[str, Any]]] = []
            for new in versions:
                key = (new.unit_code, new.form_set, new.fiscal_year, new.round, new.sha256)
                if key not in known:  # the same content twice in one batch is one version too
                    versions_of[key[:4]] = versions_of.get(key[:4], 0) + 1
                    known[key] = len(fresh)
                    fresh.append((new, _values(new, versions_of[key[:4]])))
                places.append(known[key])
            if not fresh:
                return [submission_of(row) for row in places]
            statement = insert(submissions).returning(submissions.c.id, sort_by_parameter_order=True)
            stored = [dumps(new.data) for new, _ in fresh]
            ids = list(
                connection.execute(
                    statement, [{**values, "data": content} for (_, values), content in zip(fresh, stored, strict=True)]
                ).scalars()
            )
            found = [
                issue_row(new_id, form, problem)
                for new_id, (new, _) in zip(ids, fresh, strict=True)
                for form, problem in new.problems
            ]
            if found:
                connection.execute(insert(issues), found)
        made = [
            Submission(id=new_id, stored=content, **values)
            for new_id, (_, values), content in zip(ids, fresh, stored, strict=True)
        ]
        return [made[place] if isinstance(place, int) else submission_of(place) for place in places]

    @staticmethod
    def _stored_in(
        connection: Connection, rounds: set[tuple[int, int]], units: set[str]
    ) -> tuple[dict[tuple[Any, ...], Any], dict[tuple[Any, ...], int]]:
        """What a batch checks against, in one query: the stored versions of its units in its rounds by
        (unit, form set, year, round, SHA-256), as rows (decoded only when met again), and the last
        version number of each (unit, form set, year, round)."""
        known: dict[tuple[Any, ...], Any] = {}
        last: dict[tuple[Any, ...], int] = {}
        for fiscal_year, round_ in rounds:
            query = select(submissions).where(
                submissions.c.fiscal_year == fiscal_year,
                submissions.c.round == round_,
                submissions.c.unit_code.in_(units),
            )
            for row in connection.execute(query):
                slot = (row.unit_code, row.form_set, row.fiscal_year, row.round)
                known.setdefault((*slot, row.sha256), row)
                last[slot] = max(last.get(slot, 0), row.version)
        return known, last

    def accounted(self, fiscal_year: int, round_: int) -> set[tuple[str, str]]:
        """(unit code, SHA-256) of contents a run for this round need not read again (one query).

        A content is accounted for once it is stored in this round, or stored in another round
        while its form names a round other than this one (a file is recorded, with a message,
        in the round it arrived in). The exception is a file whose form names *this* round but
        that arrived while another round was consolidated: it is read again, and counted here.
        """
        query = select(
            submissions.c.unit_code,
            submissions.c.sha256,
            submissions.c.fiscal_year,
            submissions.c.round,
            submissions.c.form_fiscal_year,
            submissions.c.form_round,
        )
        result: set[tuple[str, str]] = set()
        with self.engine.connect() as connection:
            for row in connection.execute(query):
                if (row.fiscal_year, row.round) == (fiscal_year, round_) or (row.form_fiscal_year, row.form_round) != (
                    fiscal_year,
                    round_,
                ):
                    result.add((row.unit_code, row.sha256))
        return result

    def versions(self, fiscal_year: int, round_: int) -> RoundVersions:
        """Each (unit, form set)'s latest version of a round and the version that counts (one query,
        the data left in the database until asked).

        Versions follow one another in the order they arrived, except that one whose workbook says it
        was saved before the version it follows (both saying when they were saved) is older than it:
        staff who save e-mail attachments in another order do not make an older file the latest.
        A refused version whose very content is an accepted version of another unit is not its
        sender's latest: it was another school's file dropped in the wrong folder, since moved to the
        right one (an empty file or a PDF sent by two schools is refused for both and stays each
        one's latest). What counts is the version staff chose (:meth:`choose`), else the newest accepted
        one: a later refused file (a PDF, another school's workbook, last year's form) never takes
        a school's accepted data out of a total."""
        light = select(*(c for c in submissions.c if c.name != "data")).where(
            submissions.c.fiscal_year == fiscal_year, submissions.c.round == round_
        )
        chosen_query = select(
            version_choices.c.unit_code, version_choices.c.form_set, version_choices.c.submission_id
        ).where(version_choices.c.fiscal_year == fiscal_year, version_choices.c.round == round_)
        with self.engine.connect() as connection:
            rows = connection.execute(light).all()
            chosen = {
                (code, form_set): submission_id for code, form_set, submission_id in connection.execute(chosen_query)
            }
        accepted_for: dict[str, set[str]] = {}  # content -> the units it is an accepted version of
        for row in rows:
            if row.accepted:
                accepted_for.setdefault(row.sha256, set()).add(row.unit_code)
        latest: dict[tuple[str, str], Any] = {}
        counted: dict[tuple[str, str], Any] = {}
        for row in sorted(rows, key=lambda r: r.version):
            key = (row.unit_code, row.form_set)
            moved = not row.accepted and accepted_for.get(row.sha256, set()) - {
                row.unit_code
            }  # another school's file, since filed under it
            if not moved and _newer(row, latest.get(key)):
                latest[key] = row
            if row.accepted and (chosen.get(key) == row.id or (key not in chosen and _newer(row, counted.get(key)))):
                counted[key] = row
        stored = _StoredData(self.engine, [row.id for row in {*latest.values(), *counted.values()}])
        made = {row.id: submission_of(row, partial(stored, row.id)) for row in {*latest.values(), *counted.values()}}
        return RoundVersions(
            {key: made[row.id] for key, row in latest.items()}, {key: made[row.id] for key, row in counted.items()}
        )

    def choose(
        self, unit_code: str, form_set: str, fiscal_year: int, round_: int, version: int | None, chosen_by: str
    ) -> Submission | None:
        """Make a unit's accepted version ``version`` the one that counts (None: the latest accepted,
        as without a choice); returns the version chosen. Raises :class:`VersionError` in Thai for a
        version the unit did not send or that was refused (a refused version has no data to count)."""
        key = (
            (version_choices.c.unit_code == unit_code)
            & (version_choices.c.form_set == form_set)
            & (version_choices.c.fiscal_year == fiscal_year)
            & (version_choices.c.round == round_)
        )
        with self.engine.begin() as connection:
            if version is None:
                connection.execute(delete(version_choices).where(key))
                return None
            row = connection.execute(
                select(submissions).where(
                    submissions.c.unit_code == unit_code,
                    submissions.c.form_set == form_set,
                    submissions.c.fiscal_year == fiscal_year,
                    submissions.c.round == round_,
                    submissions.c.version == version,
                )
            ).first()
            if row is None:
                raise VersionError(
                    f"หน่วย {unit_code} ไม่มีฉบับที่ {version} ในปีงบประมาณ {fiscal_year} รอบ {round_} เดือน",
                    f"{unit_code} has no version {version} in FY{fiscal_year} round {round_}",
                    value=version,
                )
            if not row.accepted:
                raise VersionError(
                    f"ฉบับที่ {version} ของหน่วย {unit_code} ถูกปฏิเสธ ไม่มีข้อมูลให้นำไปรวม: เลือกฉบับที่รับได้",
                    f"version {version} of {unit_code} was refused: it has no data to count",
                    value=version,
                )
            connection.execute(delete(version_choices).where(key))
            connection.execute(
                insert(version_choices).values(
                    unit_code=unit_code,
                    form_set=form_set,
                    fiscal_year=fiscal_year,
                    round=round_,
                    submission_id=row.id,
                    chosen_by=chosen_by[:96],
                    chosen_at=utc_now(),
                )
            )
        return submission_of(row)

    def round_signature(self, fiscal_year: int, round_: int) -> tuple[int, int | None]:
        """How many versions a round holds and the newest one's id: versions are never changed or
        removed once stored and ids only grow, so an equal signature means the same versions."""
        query = select(func.count(), func.max(submissions.c.id)).where(
            submissions.c.fiscal_year == fiscal_year, submissions.c.round == round_
        )
        with self.engine.connect() as connection:
            count, newest = connection.execute(query).one()
        return count, newest

    def submission(self, submission_id: int) -> Submission | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(submissions).where(submissions.c.id == submission_id)).first()
        return submission_of(row) if row else None

    def history(self, unit_code: str) -> list[Submission]:
        """Every version a unit sent, newest first."""
        query = (
            select(submissions)
            .where(submissions.c.unit_code == unit_code)
            .order_by(submissions.c.received_at.desc(), submissions.c.version.desc())
        )
        with self.engine.connect() as connection:
            return [submission_of(row) for row in connection.execute(query)]

    def refused_for(self, fiscal_year: int, round_: int, rule: str) -> list[tuple[Submission, str]]:
        """The round's versions that carry an issue of ``rule``, each with that issue's Thai message (their data
        left in the database until asked): two queries, whatever the number of units."""
        flagged = select(issues.c.submission_id, issues.c.message_th).where(issues.c.rule == rule)
        with self.engine.connect() as connection:
            messages = dict(connection.execute(flagged).all())
            rows = connection.execute(
                select(*(c for c in submissions.c if c.name != "data")).where(
                    submissions.c.fiscal_year == fiscal_year,
                    submissions.c.round == round_,
                    submissions.c.id.in_(messages),
                )
            ).all()
        stored = _StoredData(self.engine, [row.id for row in rows])
        return [(submission_of(row, partial(stored, row.id)), messages[row.id]) for row in rows]

    def issues_of(self, submission_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
        ids = list(submission_ids)
        result: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        if not ids:
            return result
        query = select(issues).where(issues.c.submission_id.in_(ids)).order_by(issues.c.id)
        with self.engine.connect() as connection:
            for row in connection.execute(query):
                result[row.submission_id].append(dict(row._mapping))
        return result

    def start_run(self, fiscal_year: int, round_: int) -> int:
        with self.begin() as connection:
            return connection.execute(
                insert(runs).values(fiscal_year=fiscal_year, round=round_, started_at=utc_now(), status="running")
            ).inserted_primary_key[0]  # type: ignore[index]  # an insert always has its key

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        master_path: str | None = None,
        summary: Any = None,
        error: str | None = None,
        fingerprint: str | None = None,
        notices: Any = None,
    ) -> None:
        with self.begin() as connection:
            connection.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(
                    finished_at=utc_now(),
                    status=status,
                    master_path=master_path,
                    summary=dumps(summary) if summary is not None else None,
                    error=error,
                    fingerprint=fingerprint,
                    notices=dumps(notices) if notices is not None else None,
                )
            )

    def _last_finished(self, column: Any, fiscal_year: int, round_: int) -> Any:
        """``column`` of the round's last run that ended with a master (written or unchanged)."""
        query = (
            select(column)
            .where(runs.c.fiscal_year == fiscal_year, runs.c.round == round_, runs.c.status.in_(("ok", "unchanged")))
            .order_by(runs.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            return connection.execute(query).scalar_one_or_none()

    def last_fingerprint(self, fiscal_year: int, round_: int) -> str | None:
        """Fingerprint of the inputs of the last master written for a round."""
        return self._last_finished(runs.c.fingerprint, fiscal_year, round_)

    def sheet_states(self) -> dict[str, SheetState]:
        """Every unit's Google Sheet state, by unit code."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(sheets)).all()
        result = {}
        for row in rows:
            values = dict(row._mapping)
            values.pop("updated_at")
            values["gids"] = json.loads(values["gids"]) if values["gids"] else None
            values["protected"] = bool(values["protected"])
            result[row.unit_code] = SheetState(**values)
        return result

    def save_sheet_states(self, states: Iterable[SheetState]) -> None:
        """Record sheet states in one transaction (replacing each unit's previous state)."""
        rows = [
            {
                **asdict(state),
                "gids": json.dumps(state.gids) if state.gids else None,
                "updated_at": utc_now(),
            }
            for state in states
        ]
        if not rows:
            return
        with self.begin() as connection:
            connection.execute(sheets.delete().where(sheets.c.unit_code.in_([r["unit_code"] for r in rows])))
            connection.execute(insert(sheets), rows)

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            return [
                dict(row._mapping) for row in connection.execute(select(runs).order_by(runs.c.id.desc()).limit(limit))
            ]

    def last_notices(self, fiscal_year: int, round_: int) -> list[dict[str, Any]]:
        """The channel notices of the round's last finished run (a sheet gone, an unknown file ...)."""
        text_ = self._last_finished(runs.c.notices, fiscal_year, round_)
        return loads(text_) if text_ else []
