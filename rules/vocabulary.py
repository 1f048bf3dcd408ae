"""The words the rules data may use, known before any rule runs.

Form column types and severities, the expression language of form checks (arithmetic, comparisons,
column names and a few named functions) and the features and operators of transfer rules. The
data checker (:mod:`rules.check`) validates the YAML files against these words without loading the
rules that give them meaning (:mod:`rules.forms`, :mod:`rules.transfers`), so checking the data
never depends on the data being right.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from functools import cache
from typing import Any

from rules.errors import ParseError

TYPES = {
    "text",
    "count",
    "money",
    "number",
    "grade",
    "category",
    "kpi",
    "kpis",
    "strategy",
    "source",
    "yesno",
    "choice",
    "date",
}
SEVERITIES = ("error", "warning", "info")
COMPARE_OPERATORS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
FUNCTION_NAMES = frozenset({"max_per_room", "rooms_needed"})  # given meaning by rules.forms.expressions.FUNCTIONS
AST_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
ARITH: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}

FEATURES = frozenset(
    {
        "same_unit",
        "same_receiving_unit",
        "same_plan",
        "same_project",
        "same_category",
        "same_item",
        "new_plan_or_project",
        "target_new_item",
        "leftover",
        "over_balance",
        "kind",
        "source_category",
        "target_category",
        "target_item_class",
        "amount",
        "unit_price",
        "unit_price_known",
        "unit_kind_known",
        "item_class_known",
        "allocated",
    }
)
OPERATORS = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


@cache
def compile_expression(text: str) -> ast.Expression:
    """Parse an expression, allowing only arithmetic, comparisons, names and the rule functions."""
    tree = ast.parse(text, mode="eval")
    for node in ast.walk(tree):
        allowed = (
            ast.Expression,
            ast.BinOp,
            ast.UnaryOp,
            ast.USub,
            ast.Constant,
            ast.Name,
            ast.Load,
            ast.Call,
            ast.Compare,
            *ARITH,
            *AST_COMPARE,
        )
        if not isinstance(node, allowed):
            raise ParseError(
                f"นิพจน์ '{text}' ใช้ {type(node).__name__} ไม่ได้",
                f"expression {text!r} may not use {type(node).__name__}",
                value=text,
            )
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in FUNCTION_NAMES):
            raise ParseError(
                f"นิพจน์ '{text}' เรียกฟังก์ชันที่ไม่รู้จัก", f"expression {text!r} calls an unknown function", value=text
            )
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise ParseError(
                f"นิพจน์ '{text}' มีค่าคงที่ที่ไม่ใช่ตัวเลข", f"expression {text!r} has a non-numeric constant", value=text
            )
    return tree


def expression_names(text: str) -> list[str]:
    """Column keys an expression reads, in order of appearance (functions excluded)."""
    names: list[str] = []
    for node in ast.walk(compile_expression(text)):
        if isinstance(node, ast.Name) and node.id not in FUNCTION_NAMES and node.id not in names:
            names.append(node.id)
    return names
