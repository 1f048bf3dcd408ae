"""The meaning of the two rule functions form checks may call (``max_per_room(grade)``,
``rooms_needed(pupils, grade)``) and the exact evaluation of a check's expressions in Decimal; the
words themselves are in :mod:`rules.vocabulary`.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, cast

from rules.defaults import default_parameters
from rules.errors import ParseError
from rules.grades import level_of
from rules.money import format_number
from rules.planning import rooms_needed
from rules.vocabulary import (
    ARITH,
    AST_COMPARE,
    COMPARE_OPERATORS,
    compile_expression,
)


def max_per_room_of(grade_code: Any) -> Decimal:
    return cast(
        Decimal, default_parameters()["class_size.max_pupils_per_room"](dt.date.today(), level_of(str(grade_code)))
    )


def rooms_needed_of(pupils: Any, grade_code: Any) -> Decimal:
    return Decimal(rooms_needed(pupils, str(grade_code)))


FUNCTIONS: dict[str, Callable[..., Any]] = {"max_per_room": max_per_room_of, "rooms_needed": rooms_needed_of}


class Missing(Exception):
    """A referenced value is blank: the check does not apply to this row."""


def evaluate(text: str, row: Mapping[str, Any]) -> Any:
    """Evaluate an expression over one row's values (Decimal arithmetic; blanks skip the check)."""
    return _eval(compile_expression(text).body, row)


def _eval(node: ast.AST, row: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        value = row.get(node.id)
        if value is None:
            raise Missing(node.id)
        return Decimal(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(node, ast.UnaryOp):
        return -_eval(node.operand, row)
    if isinstance(node, ast.BinOp):
        return ARITH[type(node.op)](_eval(node.left, row), _eval(node.right, row))
    if isinstance(node, ast.Compare):
        left = _eval(node.left, row)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _eval(right_node, row)
            if not COMPARE_OPERATORS[AST_COMPARE[type(op)]](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)  # compile_expression allows only named rule functions
        return FUNCTIONS[node.func.id](*(_eval(arg, row) for arg in node.args))
    raise ParseError(
        "นิพจน์ไม่ถูกต้อง", "invalid expression", value=ast.dump(node)
    )  # pragma: no cover - compile_expression guards


def format_message(template: str, row: Mapping[str, Any]) -> str:
    """Fill ``{expression}`` placeholders of a Thai message with the row's values."""
    return re.sub(r"\{([^{}]+)\}", lambda m: format_number(evaluate(m.group(1), row)), template)


# --- reading a sheet ---------------------------------------------------------------------
