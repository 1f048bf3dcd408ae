"""The package's own rules data (or the office's folder named by ``ESAPLAN_RULES_DATA``), loaded once
per process and checked before any rule reads it: a broken rates file stops esaplan with the file
and line rather than giving a wrong amount later. Apart from :mod:`rules.parameters` so that the
checker can read data folders without the rules that use them.
"""

from __future__ import annotations

from functools import cache

import rules.parameters
from rules.check import table_problems
from rules.parameters import Parameters


@cache
def default_parameters() -> Parameters:
    """The package's own rules data, loaded once per process and refused if broken."""
    params = Parameters(rules.parameters.DATA_DIR)  # read now: a worker may point it at the office's folder first
    params.problems.extend(table_problems(params))
    params.raise_for_problems()
    return params
