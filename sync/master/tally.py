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

A view may have several shares, each summed apart by its name (:meth:`Tally.sums`): the
summaries' (``share``), each form's count of units by status, the units with rows left out.

The first item of every vector counts what it adds up (units, rows, reports): a key whose count
falls to 0 is dropped, so a district, size class or budget line nobody reports is in no table,
as when the sums are made afresh.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Generic, TypeVar

Vector = tuple[Any, ...]  # ints and Decimals; the first counts what it adds up
Key = tuple[Any, ...]  # ("district", name), ("budget", category, item): see sync.master.shares
Share = tuple[tuple[Key, Vector], ...]  # a key may repeat (two budget lines of one item)
ONE: Vector = (1,)  # one of what a key counts, and nothing else


V = TypeVar("V")


class Tally(Generic[V]):
    """Each unit's view with the inputs it was made from (in the order given), and sums of the
    views' shares by key, each worked out when first asked for: a run where nothing changed, or one
    in a worker that serves many areas and remembers none of this one, may never need them. Never
    changed in place (but for working sums out, and forgetting the tally it was made from once a
    newer one is made from it): a failed run leaves the kept one as it was."""

    def __init__(self, units: dict[str, tuple[Hashable, V]], previous: Tally[V] | None = None) -> None:
        self.units = units
        self._previous = previous  # the tally this one was made from: its sums less the differences are this one's
        self._sums: dict[str, dict[Key, Vector]] = {}

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
        self._previous = None  # each tally differs from the one before it only: a chain would keep every run's views
        return Tally(units, self)

    def sums(self, share: str) -> dict[Key, Vector]:
        """The views' shares named ``share`` (an attribute of each view) added up by key: the sums of
        the tally this one was made from, when it worked them out, less the shares of the units made
        anew or gone, plus the new ones; else afresh."""
        sums = self._sums.get(share)
        if sums is not None:
            return sums
        previous = self._previous
        before = previous._sums.get(share) if previous is not None else None
        if previous is None or before is None:
            sums = {}
            for _, view in self.units.values():
                _add(sums, getattr(view, share), 1)
        else:
            sums = dict(before)
            for code, (_, view) in self.units.items():
                old = previous.units.get(code)
                if old is not None and old[1] is view:
                    continue
                if old is not None:
                    _add(sums, getattr(old[1], share), -1)
                _add(sums, getattr(view, share), 1)
            for code in previous.units.keys() - self.units.keys():
                _add(sums, getattr(previous.units[code][1], share), -1)
        self._sums[share] = sums
        return sums

    def views(self) -> dict[str, V]:
        return {code: view for code, (_, view) in self.units.items()}


def _add(sums: dict[Key, Vector], share: Share, sign: int) -> None:
    """Add (sign 1) or take away (sign -1, a share added before) a share's vectors."""
    for key, vector in share:
        old = sums.get(key)
        if old is None:
            sums[key] = vector
            continue
        new = tuple(
            map(operator.add if sign > 0 else operator.sub, old, vector)
        )  # map: C-level, a third of a generator's time
        if new[0]:
            sums[key] = new
        else:
            del sums[key]
