"""Least-squares straight line, in exact fractions: shared by cohort intake and MTEF estimates."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction


def linear_trend(xs: Sequence[int], ys: Sequence[Fraction], at: int) -> Fraction:
    """Value at ``at`` of the ordinary least-squares line through the points (xs, ys).

    Exact: no float enters, so the same history always gives the same baht.
    """
    n = len(xs)
    mean_x = Fraction(sum(xs), n)
    mean_y = sum(ys, Fraction(0)) / n
    spread = sum((x - mean_x) ** 2 for x in xs)
    if not spread:
        return mean_y
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    return mean_y + slope * (at - mean_x)
