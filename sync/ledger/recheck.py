"""Kept versions checked again by a newer esaplan: which ones, and their checks replaced in place.

A version's data and issues are what the checks of the esaplan that received it made of the file.
After an upgrade (new checks, a corrected reading), the round's kept files are read again at its next
consolidation and each version's data, issues and acceptance are replaced: its number, content, sender
and times stay what they were, so nothing a school sent is renumbered or lost.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, or_, select, update

from sync.ledger.records import NewVersion
from sync.ledger.schema import issues, submissions
from sync.ledger.store import Ledger, issue_row, submission_of
from sync.ledger.versions import Submission, dumps


def stale_versions(ledger: Ledger, fiscal_year: int, round_: int, checked_with: str) -> list[Submission]:
    """The round's versions another esaplan checked (or one that did not record it), oldest first."""
    query = (
        select(submissions)
        .where(
            submissions.c.fiscal_year == fiscal_year,
            submissions.c.round == round_,
            or_(submissions.c.checked_with.is_(None), submissions.c.checked_with != checked_with),
        )
        .order_by(submissions.c.id)
    )
    with ledger.engine.connect() as connection:
        return [submission_of(row) for row in connection.execute(query)]


def replace_checks(ledger: Ledger, submission_id: int, new: NewVersion) -> None:
    """Give a kept version what reading its file again found (data, issues, acceptance, the form's round)."""
    problems = [problem for _, problem in new.problems]
    with ledger.begin() as connection:
        connection.execute(
            update(submissions)
            .where(submissions.c.id == submission_id)
            .values(
                data=dumps(new.data),
                accepted=new.accepted,
                errors=sum(1 for p in problems if p.severity == "error"),
                warnings=sum(1 for p in problems if p.severity == "warning"),
                form_fiscal_year=new.form_round[0] if new.form_round else None,
                form_round=new.form_round[1] if new.form_round else None,
                checked_with=new.checked_with,
            )
        )
        connection.execute(delete(issues).where(issues.c.submission_id == submission_id))
        found = [issue_row(submission_id, form, problem) for form, problem in new.problems]
        if found:
            connection.execute(insert(issues), found)
