"""A round's data, as the master shows it: for each reporting unit, the version of each form that
counts, its facts (pupils, rooms, money, KPI counts), its status and its issues, with the census and
last year's KPI results the summaries need. Built from the ledger alone, so every later stage (the
writer, the summaries, feedback, documents) reads the same figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from rules import SIZE_TH, EsaplanError, kpis, school_size
from rules.forms import Form, form_sets
from rules.kpi import KpiResult, Reported, aggregate
from sync.files.cachefile import Warm, code_salt
from sync.ledger.status import (
    STATUS_TH,
    Notice,
    UnitErrors,
    deadline,
    form_status,
    unit_status,
)
from sync.ledger.store import Ledger
from sync.ledger.versions import Submission
from sync.master.population import Census, read_census
from sync.master.shares import unit_share
from sync.master.tally import ONE, Key, Share, Tally, Vector
from sync.master.unitfacts import NO_FACTS, Facts, FactsCache, split_rows
from sync.office.registry import Unit, sets_for
from sync.office.settings import BANGKOK, Settings


@dataclass(frozen=True)
class UnitView:
    """One unit in the round as the master shows it, made from nothing but its registry line and
    its latest versions (their rows, issues and facts), so it is kept while they stay its latest
    (:class:`~sync.master.tally.Tally`)."""

    statuses: tuple[tuple[tuple[str, str], str], ...]  # ((unit, form), status) for each of its forms
    status: str  # over its forms: what the director's page counts
    sources: dict[str, str]  # form code -> the form set whose counted version its rows come from
    cells: tuple[str, ...]  # code, name, district, network, size: the first cells of its rows
    last: tuple[dt.datetime, int] | None  # when its newest version was sent (Bangkok) and its number
    counting: str | int | None  # the version whose data count: its number, or why it is not the newest
    errors: UnitErrors | None
    tables: dict[str, tuple[Any, ...]]  # form code -> what its rows of the form's sheet are made from, when it has any
    unit: Unit = field(repr=False)
    facts: dict[str, Facts] = field(repr=False, compare=False)  # of the versions its rows come from, by form code

    @cached_property
    def share(self) -> Share:
        """What it adds to the summaries (:func:`~sync.master.shares.unit_share`): worked out when the
        area's sums are, which a run where nothing changed does not need."""
        return unit_share(self.unit, self.status, self.cells[4], self.facts)

    @cached_property
    def form_statuses(self) -> dict[str, str]:
        """Each of its forms' status, once a form: the last when two of its form sets hold the form."""
        return {form_code: status for (_, form_code), status in self.statuses}

    @cached_property
    def status_share(self) -> Share:
        """What it adds to each form's count of units by status (:meth:`MasterData.summary`)."""
        return tuple(((form_code, status), ONE) for form_code, status in self.form_statuses.items())

    @cached_property
    def left_out_share(self) -> Share:
        """The forms it has rows left out of (:meth:`MasterData.left_out`)."""
        return tuple(((form_code, self.unit.code), ONE) for form_code in self.facts if self.left_out(form_code))

    @cached_property
    def status_line(self) -> tuple[Any, ...]:
        """Its line of สถานะการส่ง: its cells, its kind, each round form's status ("-" for a form it
        does not send), and its newest version's time and number; the source of its block there."""
        shown = (STATUS_TH[s] if (s := self.form_statuses.get(f.code)) else "-" for f in round_forms())
        return (
            *self.cells,
            "โรงเรียน" if self.unit.kind == "school" else "กลุ่มงาน",
            *shown,
            *(self.last or (None, None)),
            self.counting,
        )

    def left_out(self, form_code: str) -> list[int]:
        """The rows of a form no total counts."""
        return self.facts.get(form_code, NO_FACTS).left_out.get(form_code, [])


#: each round's units and the area's sums as this process's last run left them (:mod:`sync.master.tally`)
TALLIES: Warm[Tally[UnitView]] = Warm()
#: last year's results by round, with what they were worked out from (:func:`_baseline`)
BASELINES: Warm[tuple[Hashable, dict[str, Decimal]]] = Warm()


@dataclass
class MasterData:
    """Everything the master shows for one round, gathered from the ledger and registry."""

    settings: Settings
    registry: dict[str, Unit]
    latest: dict[tuple[str, str], Submission]  # each (unit, form set)'s newest version: what its status is of
    counted: dict[
        tuple[str, str], Submission
    ]  # the version whose data count (chosen by staff, else the newest accepted)
    issues: dict[int, list[dict[str, Any]]]
    facts: dict[int, Facts]  # by submission id
    tally: Tally[UnitView] = field(default_factory=Tally.empty)
    views: dict[str, UnitView] = field(default_factory=dict)  # by unit code, in registry order
    notices: list[Notice] = field(default_factory=list)
    census: Census = field(default_factory=Census)
    baseline: dict[str, Decimal] = field(default_factory=dict)  # last fiscal year's area result per KPI, same round
    _kpi_results: list[KpiResult] | None = field(default=None, repr=False)

    @classmethod
    def collect(
        cls, settings: Settings, ledger: Ledger, registry: dict[str, Unit], notices: list[Notice]
    ) -> MasterData:
        data = cls.of_round(settings, ledger, registry, notices)
        data.baseline = _baseline(settings, ledger, registry)
        return data

    @classmethod
    def of_round(
        cls, settings: Settings, ledger: Ledger, registry: dict[str, Unit], notices: list[Notice] | None = None
    ) -> MasterData:
        """The round's latest and counted versions, their issues and facts, and each unit's view: those
        of units whose registry line and versions are as in this process's last run are kept."""
        found = ledger.versions(settings.fiscal_year, settings.round)
        latest, counted = found.latest, found.counted
        versions = sorted({s.id: s for s in (*latest.values(), *counted.values())}.values(), key=lambda s: s.id)
        issues = ledger.issues_of(s.id for s in versions)
        kept = FactsCache(
            settings.master_dir / ".facts.sqlite", code_salt(), (settings.fiscal_year, settings.round)
        ).facts([(s, issues[s.id]) for s in versions])
        facts = {s.id: f for s, f in zip(versions, kept, strict=True)}
        data = cls(
            settings,
            registry,
            latest,
            counted,
            issues,
            facts,
            notices=[] if notices is None else notices,
            census=read_census(settings.home, settings.fiscal_year),
        )
        dues = {s.code: deadline(s, settings.fiscal_year, settings.round) for s in form_sets().values() if not s.yearly}
        scope = (
            settings.database_url,
            settings.fiscal_year,
            settings.round,
            code_salt(),
            dt.date.today(),
        )  # today: size bands are dated
        inputs = {
            code: (
                unit,
                tuple(
                    (_version_key(latest.get((code, s.code))), _version_key(counted.get((code, s.code))))
                    for s in sets_for(unit)
                ),
            )
            for code, unit in registry.items()
        }
        tally = (TALLIES.get(scope) or Tally.empty()).updated(
            inputs, lambda code: _view(registry[code], latest, counted, issues, facts, dues)
        )
        TALLIES.keep(scope, tally)
        data.tally, data.views = tally, tally.views()
        return data

    @cached_property
    def statuses(self) -> dict[tuple[str, str], str]:
        """Each (unit, form)'s status: the web overview's table reads them all."""
        return {
            (code, form_code): status
            for code, view in self.views.items()
            for form_code, status in view.form_statuses.items()
        }

    @property
    def sums(self) -> dict[Key, Vector]:
        """The views' shares added up by key (:mod:`sync.master.tally`): what the summary sheets read."""
        return self.tally.sums("share")

    def summary(self) -> dict[str, dict[str, int]]:
        """Per form, in the forms' order: units expected, submitted, on time, late, with errors, missing."""
        counts = self.tally.sums("status_share")
        result: dict[str, dict[str, int]] = {}
        for form in round_forms():
            by_status = {status: counts.get((form.code, status), (0,))[0] for status in STATUS_TH}
            if any(by_status.values()):
                submitted = sum(n for status, n in by_status.items() if status != "missing")
                result[form.code] = {"expected": submitted + by_status["missing"], "submitted": submitted, **by_status}
        return result

    def size_of(self, unit: Unit) -> str:
        """A school's size class as its rows show it (see :func:`_size`)."""
        return self.views[unit.code].cells[4]

    def units_with_errors(self) -> list[UnitErrors]:
        """Every unit whose latest version of the round has errors, in registry order."""
        return [view.errors for view in self.views.values() if view.errors]

    def source(self, unit: Unit, form_code: str) -> Submission | None:
        """The unit's counted version that has the form's sheet: where its rows of the form come from."""
        form_set = self.views[unit.code].sources.get(form_code)
        return self.counted[(unit.code, form_set)] if form_set else None

    def sent(self, unit: Unit) -> list[Submission]:
        """The unit's latest version of each of its form sets (accepted or not)."""
        return _sent(unit, self.latest)

    def facts_for(self, unit: Unit, form_code: str) -> Facts:
        """The facts of the version the unit's rows of a form come from (none when it sent none)."""
        return self.views[unit.code].facts.get(form_code, NO_FACTS)

    def rows(self, unit: Unit, form_code: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The unit's rows of a form in its counted version, as (counted, left out): the
        documents' tables read rows; the master's summaries read the views' sums."""
        submission = self.source(unit, form_code)
        return split_rows(submission, self.issues.get(submission.id, []), form_code) if submission else ([], [])

    def counted_rows(self, unit: Unit, form_code: str) -> list[dict[str, Any]]:
        """The rows of a form that enter the totals: valid rows of the unit's counted version."""
        return self.rows(unit, form_code)[0]

    def kpi_results(self) -> list[KpiResult]:
        """Every school-reported indicator added up from the counted rows, as the catalogue says (worked out once)."""
        if self._kpi_results is None:
            self._kpi_results = [
                aggregate(
                    indicator,
                    Reported(*self.sums.get(("kpi", indicator.code), ())),
                    round=self.settings.round,
                    fiscal_year=self.settings.fiscal_year,
                    population=self.census.by_band.get(indicator.population_band or ""),
                    baseline=self.baseline.get(indicator.code),
                )
                for indicator in kpis(reported_by="school", fiscal_year=self.settings.fiscal_year)
            ]
        return self._kpi_results

    def unusual_amounts(self, form_code: str = "budget_use") -> tuple[int, int]:
        """How many counted rows of a form carry an unusual-amount warning, and in how many units:
        the figures that add up with a flag beside them (an impossible one is an error, left out)."""
        found = [
            submission.unit_code
            for (code, form_set), submission in self.counted.items()
            if code in self.registry and form_code in self.views[code].facts
            for issue in self.issues.get(submission.id, [])
            if issue["rule"] == "UNUSUAL-AMOUNT" and issue["form"] == form_code
        ]
        return len(found), len(set(found))

    def left_out(self, form_code: str) -> list[tuple[Unit, list[int]]]:
        """Units whose rows of a form were left out of the totals, with those rows' numbers, in registry order."""
        codes = sorted(
            (code for form, code in self.tally.sums("left_out_share") if form == form_code), key=self._order.__getitem__
        )
        return [(self.registry[code], self.views[code].left_out(form_code)) for code in codes]

    @cached_property
    def _order(self) -> dict[str, int]:
        return {code: place for place, code in enumerate(self.views)}


def _version_key(submission: Submission | None) -> tuple[Any, ...] | None:
    """What of a version a unit's view depends on, beside its stored rows and issues (which never
    change once stored): the id and, should a ledger be made afresh, what would tell another apart."""
    if submission is None:
        return None
    return (
        submission.id,
        submission.sha256,
        submission.version,
        submission.submitted_at,
        submission.accepted,
        submission.errors,
        submission.warnings,
    )


def _sent(unit: Unit, latest: dict[tuple[str, str], Submission]) -> list[Submission]:
    return [latest[(unit.code, s.code)] for s in sets_for(unit) if (unit.code, s.code) in latest]


def _view(
    unit: Unit,
    latest: dict[tuple[str, str], Submission],
    counted: dict[tuple[str, str], Submission],
    issues: dict[int, list[dict[str, Any]]],
    facts: dict[int, Facts],
    dues: dict[str, dt.datetime],
) -> UnitView:
    """The unit's view: each form's status from its latest version of the form's set, its rows from
    the version that counts (``dues``: each set's deadline)."""
    sources: dict[str, str] = {}
    statuses = []
    notes = []
    for form_set in sets_for(unit):
        submission = latest.get((unit.code, form_set.code))
        rows = issues.get(submission.id, []) if submission else []
        sheets = facts[submission.id].sheets if submission else {}
        for form in form_set.forms:
            statuses.append(
                ((unit.code, form.code), form_status(submission, form.code, rows, dues[form_set.code], sheets))
            )
        used = counted.get((unit.code, form_set.code))
        if used:
            for form_code in facts[used.id].sheets:
                sources.setdefault(form_code, form_set.code)
            if submission and used.id != submission.id:
                notes.append(counting_note(submission, used))
    versions = {form_code: counted[(unit.code, form_set)] for form_code, form_set in sources.items()}
    form_facts = {form_code: facts[submission.id] for form_code, submission in versions.items()}
    size = _size(unit, form_facts.get("enrolment", NO_FACTS))
    cells = (unit.code, unit.name_th, unit.district_label, unit.network_label, size)
    sent = _sent(unit, latest)
    errors = [i for s in sent for i in issues.get(s.id, []) if i["severity"] == "error"]
    last = max(sent, key=lambda s: s.submitted_at) if sent else None
    tables = {}
    for form_code, submission in versions.items():
        if form_facts[form_code].sheets[form_code]:
            found = tuple(
                (i["cell"], i["severity"]) for i in issues.get(submission.id, []) if i["form"] == form_code
            )  # what marks rows as errors or left out
            tables[form_code] = (
                form_code,
                submission.sha256,
                found,
                (*cells, submission.version, _bangkok(submission.submitted_at)),
            )
    status = unit_status([s for _, s in statuses])
    first = f"{errors[0]['sheet']} {errors[0]['cell']}: {errors[0]['message_th']}" if errors else ""
    used_versions = sorted({s.version for s in versions.values()})
    return UnitView(
        statuses=tuple(statuses),
        status=status,
        sources=sources,
        cells=cells,
        last=(_bangkok(last.submitted_at), last.version) if last else None,
        counting="; ".join(notes)
        or (used_versions[0] if len(used_versions) == 1 else ", ".join(map(str, used_versions)) or None),
        errors=UnitErrors(unit.code, unit.name_th, len(errors), " ".join([first, *(f"({note})" for note in notes)]))
        if errors
        else None,
        tables=tables,
        unit=unit,
        facts=form_facts,
    )


def counting_note(latest: Submission, used: Submission) -> str:
    """Why a unit's data come from another version than its newest, in Thai, for every place that says so."""
    if not latest.accepted:
        return f"ฉบับล่าสุด (ฉบับที่ {latest.version}) ถูกปฏิเสธ ใช้ข้อมูลฉบับที่ {used.version}"
    return f"เจ้าหน้าที่เลือกใช้ข้อมูลฉบับที่ {used.version} (ฉบับล่าสุดคือฉบับที่ {latest.version})"


def _size(unit: Unit, enrolment: Facts) -> str:
    """A school's size class: the registry's when it has one (OBEC's list has none), else from the
    pupils it reported this round, by the dated size bands."""
    if unit.kind != "school":
        return "-"
    if unit.size:
        return unit.size_label
    pupils = enrolment.pupils or unit.pupils or 0
    return SIZE_TH[school_size(pupils)] if pupils else unit.size_label


def _baseline(settings: Settings, ledger: Ledger, registry: dict[str, Unit]) -> dict[str, Decimal]:
    """Last fiscal year's area result for each indicator, same round: what "increase" KPIs are judged
    against. Worked out again only when last year's round holds other versions, or the registry,
    last year's census or the code changed: at 5,000 schools it is a whole round's worth of reading."""
    try:
        previous = settings.with_round(settings.fiscal_year - 1, settings.round)
    except EsaplanError:
        return {}  # before the reporting calendar: there is no earlier year
    signature = ledger.round_signature(previous.fiscal_year, previous.round)
    if not signature[0]:
        return {}  # last year's round has no versions: no indicator has a result
    scope = (settings.database_url, previous.fiscal_year, previous.round, code_salt())
    inputs = (signature, read_census(settings.home, previous.fiscal_year).by_band, registry)
    kept = BASELINES.get(scope)
    if kept is not None and kept[0] == inputs:
        return kept[1]
    data = MasterData.of_round(previous, ledger, registry)
    baseline = {result.indicator.code: result.value for result in data.kpi_results() if result.value is not None}
    BASELINES.keep(scope, (inputs, baseline))
    return baseline


def _bangkok(value: dt.datetime) -> dt.datetime:
    return value.astimezone(BANGKOK).replace(tzinfo=None)


def round_forms() -> list[Form]:
    """The forms units send each round, each once, in form-set order: one tidy sheet each in the master."""
    return list({f.code: f for s in form_sets().values() if not s.yearly for f in s.forms}.values())
