"""The round's units as the master shows them, each made once from its inputs, and the area's sums.

A run after ten schools changed at 5,000 schools spent ~0.9 s of its 2.1 s going over every
unit again: working out its statuses, and the summaries' passes adding up pupils, money and
indicator reports (~250,000 of them) from every unit's facts. Here each unit's view (its statuses
and its *share*: a few vectors of counts and Decimals under keys such as its district's totals, a
budget line or an indicator) is kept with the inputs it was made from, and the area's sums with
them. The next run makes views only for units whose inputs differ and, when the sums are asked
for (writing the master), adds the difference of their shares: Decimal subtraction is exact, so
the sums are those a pass over every unit gives (a property test holds them equal), and a change
costs what the changed units do.

The first item of every vector counts what it adds up (units, rows, reports): a key whose count
falls to 0 is dropped, so a district, size class or budget line nobody reports is in no table,
as when the sums are made afresh.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable, Mapping
from functools import cached_property
from typing import Any, Generic, Protocol, TypeVar

Vector = tuple[Any, ...]  # ints and Decimals; the first counts what it adds up
Share = tuple[tuple[Hashable, Vector], ...]  # a key may repeat (two budget lines of one item)


class HasShare(Protocol):
    @property
    def share(self) -> Share: ...


V = TypeVar("V", bound=HasShare)


class Tally(Generic[V]):
    """Each unit's view with the inputs it was made from (in the order given), and the sums of
    their shares by key, worked out when first asked for: a run where nothing changed, or one in a
    worker that serves many areas and remembers none of this one, may never need them. Never
    changed in place (but for working its sums out): a failed run leaves the kept one as it was."""

    def __init__(self, units: dict[str, tuple[Hashable, V]], previous: Tally[V] | None = None) -> None:
        self.units = units
        self._previous = previous  # the tally this one was made from, until the sums are worked out

    @classmethod
    def empty(cls) -> Tally[V]:
        return cls({})

    def updated(self, inputs: Mapping[str, Hashable], make: Callable[[str], V]) -> Tally[V]:
        """The tally for units with these ``inputs`` (by unit code): a unit whose inputs are equal
        to last time's keeps its view, the others' are made with ``make``; this very tally when
        every unit is as it was."""
        units: dict[str, tuple[Hashable, V]] = {}
        for code, key in inputs.items():
            old = self.units.get(code)
            units[code] = old if old is not None and old[0] == key else (key, make(code))
        if all(new is self.units.get(code) for code, new in units.items()) and list(units) == list(self.units):
            return self
        return Tally(units, self)

    @cached_property
    def sums(self) -> dict[Hashable, Vector]:
        """The views' shares added up by key: the sums of the tally this one was made from, less the
        shares of the units made anew or gone, plus the new ones; afresh when there is none."""
        previous, self._previous = self._previous, None
        if previous is None:
            sums: dict[Hashable, Vector] = {}
            for _, view in self.units.values():
                _add(sums, view.share, 1)
            return sums
        sums = dict(previous.sums)
        for code, (_, view) in self.units.items():
            old = previous.units.get(code)
            if old is not None and old[1] is view:
                continue
            if old is not None:
                _add(sums, old[1].share, -1)
            _add(sums, view.share, 1)
        for code in previous.units.keys() - self.units.keys():
            _add(sums, previous.units[code][1].share, -1)
        return sums

    def views(self) -> dict[str, V]:
        return {code: view for code, (_, view) in self.units.items()}


def _add(sums: dict[Hashable, Vector], share: Share, sign: int) -> None:
    """Add (sign 1) or take away (sign -1, a share added before) a share's vectors."""
    for key, vector in share:
        old = sums.get(key)
        if old is None:
            sums[key] = vector
            continue
        new = tuple(map(operator.add if sign > 0 else operator.sub, old, vector))  # map: C-level, a third of a generator's time
        if new[0]:
            sums[key] = new
        else:
            del sums[key]
