"""An upgrade's checks reach the files already received: the round's kept versions are read again at the
next consolidation, keep their numbers, and count as the new checks say (here: pupils typed into a copy
of the form's sheet, which an older esaplan counted as 0 without a word)."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from sync.ledger.database import open_ledger
from sync.ledger.schema import issues, submissions
from tests import test_values
from tests.test_values import CHUMPHAE, FY, ROUND, _agrees, _consolidate, _master, _rules_of, _school
from tests.truth import BY_KEY, type_in

area, template = test_values.area, test_values.template  # the same fixtures: the real registry, the template


def test_an_upgrade_checks_the_rounds_kept_files_again_and_keeps_their_versions(area, template):
    copied_sheet, clean = _school(CHUMPHAE[0]), _school(CHUMPHAE[1])
    path = type_in(area, template, copied_sheet, area.home / "inbox" / copied_sheet.code / "แบบรายงาน.xlsx")
    counted = BY_KEY["copied_sheet"].apply(copied_sheet, path)
    type_in(area, template, clean, area.home / "inbox" / clean.code / "แบบรายงาน.xlsx")
    _consolidate(area)

    # what an esaplan without the check left: no issue, and its own mark on the version
    ledger = open_ledger(area.settings.database_url)
    with ledger.begin() as connection:
        ids = dict(connection.execute(select(submissions.c.unit_code, submissions.c.id)).all())
        connection.execute(delete(issues).where(issues.c.rule == "COPIED-SHEET"))
        connection.execute(update(submissions).values(checked_with="an older esaplan", errors=0))

    result = area.consolidate()
    assert result.exit_code == 0, result.output
    assert "ตรวจฉบับที่รับไว้แล้วใหม่ด้วยเกณฑ์ของ esaplan รุ่นนี้ 2 ฉบับ" in result.output
    master = _master(area)
    assert "COPIED-SHEET" in _rules_of(master, copied_sheet.code)
    _agrees(area, [counted, clean])  # the district totals are still the truth's
    with ledger.begin() as connection:
        rows = {r.unit_code: r for r in connection.execute(select(submissions))}
    assert {code: (row.id, row.version) for code, row in rows.items()} == {code: (ids[code], 1) for code in ids}
    assert rows[copied_sheet.code].errors == 1 and len({row.checked_with for row in rows.values()}) == 1

    again = area.consolidate()  # checked by this esaplan now: nothing is read again
    assert again.exit_code == 0 and "ตรวจฉบับที่รับไว้แล้วใหม่" not in again.output
    assert (FY, ROUND) == (area.settings.fiscal_year, area.settings.round)
