"""A stand-in for the few xlwings objects the macros use (Book, Sheet, Range), backed by a dict of cells.

There is no Excel on Linux; this lets the macro code itself run - reading the sheet, calling
the rules, writing the answer - while the tests look at the cells it wrote.
"""

from __future__ import annotations

import json
import re
import sys
import types
import urllib.error
import urllib.request
from typing import Any

from addin.lite import lite_main


def _address(text: str) -> tuple[int, int]:
    letters, digits = re.match(r"([A-Z]+)(\d+)", text).groups()  # type: ignore[union-attr]
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - 64
    return int(digits), column


class Range:
    def __init__(
        self, sheet: Sheet, first: tuple[int, int], last: tuple[int, int] | None = None, transpose: bool = False
    ) -> None:
        self.sheet, self.first, self.last, self.transpose = sheet, first, last or first, transpose
        self.font = type("Font", (), {"bold": False})()
        self.number_format = None

    def options(self, ndim: int | None = None, transpose: bool = False) -> Range:
        return Range(self.sheet, self.first, self.last, transpose)

    @property
    def row(self) -> int:
        return self.first[0]

    @property
    def column(self) -> int:
        return self.first[1]

    @property
    def last_cell(self) -> Any:
        return type("Cell", (), {"row": self.last[0], "column": self.last[1]})()

    def offset(self, rows: int, columns: int) -> Range:
        return Range(
            self.sheet, (self.first[0] + rows, self.first[1] + columns), (self.last[0] + rows, self.last[1] + columns)
        )

    def resize(self, rows: int, columns: int) -> Range:
        return Range(self.sheet, self.first, (self.first[0] + rows - 1, self.first[1] + columns - 1))

    @property
    def value(self) -> Any:
        rows = [
            [self.sheet.cells.get((r, c)) for c in range(self.first[1], self.last[1] + 1)]
            for r in range(self.first[0], self.last[0] + 1)
        ]
        return rows[0][0] if self.first == self.last else rows

    @value.setter
    def value(self, data: Any) -> None:
        if not isinstance(data, list):
            data = [[data]]
        elif data and not isinstance(data[0], list):
            data = [[v] for v in data] if self.transpose else [data]
        for i, row in enumerate(data):
            for j, cell in enumerate(row):
                self.sheet.cells[(self.first[0] + i, self.first[1] + j)] = cell


class Sheet:
    def __init__(self, name: str, grid: list[list[Any]] | None = None) -> None:
        self.name, self.cells = name, {}
        for i, row in enumerate(grid or []):
            for j, cell in enumerate(row):
                self.cells[(i + 1, j + 1)] = cell

    def __getitem__(self, address: str) -> Range:
        first, _, last = address.partition(":")
        return Range(self, _address(first), _address(last) if last else None)

    def range(self, first: tuple[int, int], last: tuple[int, int] | None = None) -> Range:
        return Range(self, first, last)

    @property
    def used_range(self) -> Range:
        """From the first filled row and column, as Excel's: not always A1."""
        filled = [key for key, value in self.cells.items() if value not in (None, "")]
        first = (min(r for r, _ in filled), min(c for _, c in filled))
        return Range(self, first, (max(r for r, _ in self.cells), max(c for _, c in self.cells)))


class Sheets(list):
    @property
    def active(self) -> Sheet:
        return self[0]

    def add(self, name: str) -> Sheet:
        sheet = Sheet(name)
        self.append(sheet)
        return sheet

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return next(s for s in self if s.name == key)
        return super().__getitem__(key)


class Book:
    def __init__(self, sheets: list[Sheet], selection: tuple[str, str] | None = None, input_box: Any = None) -> None:
        self.sheets = Sheets(sheets)
        self.selection = self.sheets[0][selection[0] + ":" + selection[1]] if selection else None
        self.app = type("App", (), {"api": type("Api", (), {"InputBox": staticmethod(lambda *a: input_box)})()})()


def lite_namespace(base: str, token: str) -> dict:
    """Run the generated xlwings Lite main.py here, with Pyodide's ``pyfetch`` done by urllib against
    ``base`` and ``token`` set as Lite's environment variable ESAPLAN_TOKEN (none when empty)."""

    class Response:
        def __init__(self, status, body):
            self.status, self.ok, self._body = status, status < 400, body

        async def json(self):
            return json.loads(self._body)

    async def pyfetch(url, method, headers, body=None):
        request = urllib.request.Request(
            url, data=body.encode() if body is not None else None, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request) as response:
                return Response(response.status, response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read())

    xlwings = types.ModuleType("xlwings")
    xlwings.Book = Book  # the scripts' annotation, by which Lite passes the book
    xlwings.func = xlwings.script = lambda f: f
    xlwings.arg = lambda *a, **k: lambda f: f
    http = types.ModuleType("pyodide.http")
    http.pyfetch = pyfetch
    saved = {k: sys.modules.get(k) for k in ("xlwings", "pyodide", "pyodide.http")}
    sys.modules.update({"xlwings": xlwings, "pyodide": types.ModuleType("pyodide"), "pyodide.http": http})
    try:
        namespace: dict = {}
        exec(compile(lite_main(base), "main.py", "exec"), namespace)
    finally:
        for key, module in saved.items():
            if module is None:
                sys.modules.pop(key, None)
            else:
                sys.modules[key] = module
    namespace["os"] = types.SimpleNamespace(
        environ={"ESAPLAN_TOKEN": token} if token else {}
    )  # Lite's environment variables
    return namespace
