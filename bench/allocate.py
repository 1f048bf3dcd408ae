"""Time ``allocate`` over 30,000 weights (target: under 50 ms). Prints figures; asserts nothing.

Run: ``.venv/bin/python bench/allocate.py``
"""

from __future__ import annotations

import random
import statistics
import time
from decimal import Decimal

from rules import allocate

N = 30_000
REPEAT = 15


def timed(label: str, call) -> None:
    runs = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        result = call()
        runs.append((time.perf_counter() - start) * 1000)
    print(
        f"{label:<58} median {statistics.median(runs):6.1f} ms   best {min(runs):6.1f} ms   (sum check {sum(result)})"
    )


def main() -> None:
    rng = random.Random(2570)
    pupils = [rng.randint(15, 1500) for _ in range(N)]
    shares = [Decimal(rng.randint(1, 10**6)) / 1000 for _ in range(N)]
    print(f"allocate over {N:,} weights, {REPEAT} runs each")
    timed("int total, int pupil weights", lambda: allocate(123_456_789, pupils))
    timed(
        "Decimal total in satang, Decimal weights (3 places)",
        lambda: allocate(Decimal("123456789.01"), shares, unit=Decimal("0.01")),
    )
    timed(
        "int total, floor 1,000 and cap 20,000 (water-filling)",
        lambda: allocate(123_456_789, pupils, floor=1_000, cap=20_000),
    )
    timed(
        "weights as Thai text '๑,๒๓๔'",
        lambda: allocate(123_456_789, [f"{p:,}".translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")) for p in pupils]),
    )


if __name__ == "__main__":
    main()
