"""``esaplan`` command line: parses arguments, calls the library, prints one clean message on error.

Sub-commands are grouped by subject (``esaplan rules ...``); later features add their own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from rules import EsaplanError
from sync.cli.messages import PREFIX, thai_error


class Commands(click.Group):
    """The root group: any error (a bad year, a broken settings file, a mistyped option) is one Thai
    line, not a traceback nor click's English."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EsaplanError as exc:
            raise click.ClickException(exc.message_th) from None

    def main(  # click types standalone_mode by its literal value; this one takes both
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        given = {"args": args, "prog_name": prog_name, "complete_var": complete_var, **extra}
        if not standalone_mode:
            return super().main(**given, standalone_mode=False)
        try:
            return super().main(**given, standalone_mode=False)
        except click.exceptions.NoArgsIsHelpError as shown:
            # a group named without its command: its help, as click shows it
            shown.show()
            sys.exit(shown.exit_code)
        except click.ClickException as error:
            click.echo(thai_error(error), err=True)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo(f"{PREFIX}ยกเลิกแล้ว (aborted)", err=True)
            sys.exit(1)


class Round(click.ParamType):
    """``--round``: 6, 9 or 12 (Thai digits too); anything else is refused in Thai."""

    name = "6|9|12"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from pythainlp.util import thai_digit_to_arabic_digit

        months = thai_digit_to_arabic_digit(str(value)).strip()
        if months not in ("6", "9", "12"):
            self.fail(f"'{value}' ไม่ใช่รอบรายงาน: ต้องเป็น 6, 9 หรือ 12 (เดือน)", param, ctx)
        return months


class FiscalYear(click.ParamType):
    """``--fy``: a Buddhist-Era fiscal year, Thai digits allowed; a CE or two-digit year is refused with the fix."""

    name = "ปี พ.ศ."

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from rules.thai import reporting_round

        try:
            return reporting_round(value, 12).fiscal_year
        except EsaplanError as exc:
            self.fail(exc.message_th, param, ctx)


@click.group(
    cls=Commands, help="esaplan - เครื่องมือกลุ่มนโยบายและแผน สพป. (planning toolkit for a Thai primary service area office)"
)
@click.version_option(package_name="esaplan")
def main() -> None:
    """Root command group."""


Command = TypeVar("Command", bound=Callable[..., Any])


def home_option(function: Command) -> Command:
    return click.option(
        "--home",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="โฟลเดอร์ข้อมูลของระบบ (installation folder; default $ESAPLAN_HOME or ./esaplan-data)",
    )(function)


def round_options(function: Command) -> Command:
    function = click.option(
        "--fy", "fiscal_year", type=FiscalYear(), default=None, help="ปีงบประมาณ พ.ศ. (fiscal year, BE)"
    )(function)
    return click.option(
        "--round", "round_", type=Round(), default=None, help="รอบรายงาน 6/9/12 เดือน (reporting round)"
    )(function)
