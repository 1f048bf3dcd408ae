"""Every command documents itself in Thai and English (help text is the staff's manual)."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sync.cli import main

THAI = re.compile(r"[\u0e00-\u0e7f]")
LATIN = re.compile(r"[A-Za-z]")


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")


def test_every_command_and_option_has_thai_and_english_help():
    commands = list(_commands(main))
    assert commands
    for name, command in commands:
        assert command.help and THAI.search(command.help) and LATIN.search(command.help), name
        for param in command.params:
            if isinstance(param, click.Option) and param.help is not None:
                assert THAI.search(param.help) and LATIN.search(param.help), f"{name} {param.name}"


def test_every_command_is_listed_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for name, command in _commands(main):
        if not isinstance(command, click.Group):
            assert f"`esaplan {name}" in readme, name


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (
            ["consolidate", "--round", "7"],
            "ผิดพลาด: ค่าของ '--round' ไม่ถูกต้อง: '7' ไม่ใช่รอบรายงาน: ต้องเป็น 6, 9 หรือ 12 (เดือน) (ดูวิธีใช้: esaplan consolidate --help)",
        ),
        (["consolidate", "--bogus"], "ผิดพลาด: ไม่มีตัวเลือก --bogus (ดูวิธีใช้: esaplan consolidate --help)"),
        (["consolidat"], "ผิดพลาด: ไม่มีคำสั่ง 'consolidat' หมายถึง consolidate หรือไม่ (ดูวิธีใช้: esaplan --help)"),
        (
            ["templates", "--emis", "/no/such.csv"],
            "ผิดพลาด: ค่าของ '--emis' ไม่ถูกต้อง: ไม่พบ '/no/such.csv' (ดูวิธีใช้: esaplan templates --help)",
        ),
        (
            ["demo", "--schools", "5"],
            "ผิดพลาด: ค่าของ '--schools' ไม่ถูกต้อง: 5 อยู่นอกช่วงที่รับได้ (20<=x<=10000) (ดูวิธีใช้: esaplan demo --help)",
        ),
        (["consolidate", "--fy"], "ผิดพลาด: ตัวเลือก --fy ต้องมีค่าตามหลัง"),
    ],
)
def test_every_command_line_error_is_one_thai_line(arguments, said):
    """click's own usage errors too: what staff see is Thai, on one line, with where to find help."""
    result = CliRunner().invoke(main, arguments, prog_name="esaplan")
    assert result.exit_code == 2
    assert result.output.strip() == said


def test_a_round_typed_in_thai_digits_is_read(tmp_path):
    result = CliRunner().invoke(
        main,
        ["templates", "--home", str(tmp_path / "home"), "--fy", "๒๕๗๐", "--round", "๖", "--out", str(tmp_path / "out")],
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(tmp_path / "out" / "แบบรายงานโรงเรียน.xlsx")
    assert dict(book["_esaplan"].iter_rows(values_only=True))["round"] == 6
