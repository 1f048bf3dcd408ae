"""The area's sums kept from run to run and changed by differences are the sums taken afresh."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from sync.master.tally import Share, Tally

KEYS = st.sampled_from(
    [("area",), ("district", "หนองเรือ"), ("district", "ชุมแพ"), ("budget", "งบดำเนินงาน", "ค่าวัสดุ"), ("kpi", "S1.3")]
)
MONEY = st.decimals(
    min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2, allow_nan=False, allow_infinity=False
)
SHARE = st.lists(st.tuples(KEYS, st.tuples(st.just(1), st.integers(0, 10**6), MONEY)), max_size=4).map(tuple)
AREA = st.dictionaries(
    st.sampled_from([f"4005{n:04d}" for n in range(8)]), st.tuples(st.integers(0, 3), SHARE, SHARE), max_size=8
)
NAMES = ("share", "other")


@dataclass(frozen=True)
class View:
    share: Share
    other: Share


def _afresh(area: dict[str, tuple[int, Share, Share]], name: str) -> dict[object, tuple[object, ...]]:
    """Each key's vectors added up from nothing, the plain way."""
    sums: dict[object, list[object]] = {}
    for _, *shares in area.values():
        for key, vector in shares[NAMES.index(name)]:
            sums[key] = [a + b for a, b in zip(sums[key], vector, strict=True)] if key in sums else list(vector)
    return {key: tuple(vector) for key, vector in sums.items()}


@given(runs=st.lists(st.tuples(AREA, st.sets(st.sampled_from(NAMES))), min_size=1, max_size=6))
def test_sums_kept_and_changed_by_differences_are_the_sums_afresh(runs):
    """Each run, units come, go or change (a new input, new shares) or stay, and the run looks at
    some of the sums by name or none (a run where nothing changed never does); whenever they are
    looked at, they equal those added up afresh, value for value, with no key left whose count fell
    to 0, whether the run before worked them out or not. A unit whose inputs are unchanged keeps
    its view and is not made again; a run where no unit changed keeps the very tally; the tally a
    run started from is left as it was."""
    tally: Tally[View] = Tally.empty()
    for area, look in runs:
        inputs = {code: (number, share, other) for code, (number, share, other) in area.items()}
        made: list[str] = []

        def make(code: str, area=area, made=made) -> View:
            made.append(code)
            return View(area[code][1], area[code][2])

        before, kept = tally, dict(tally.units)
        tally = before.updated(inputs, make)
        assert list(tally.views()) == list(area)
        assert made == [code for code in area if code not in before.units or before.units[code][0] != inputs[code]]
        assert (tally is before) == (not made and list(area) == list(kept))
        assert before.units == kept, "the tally a run started from is as it was: a failed run keeps it"
        for name in look:
            assert tally.sums(name) == _afresh(area, name)
    for name in NAMES:
        assert tally.sums(name) == _afresh(runs[-1][0], name)
