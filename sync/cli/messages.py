"""The command line's errors as one Thai line each, click's own usage errors included.

click words its errors in English ("Error: Invalid value for '--round': '7' is not one of '6', '9',
'12'."). Staff read Thai: every error leaves ``esaplan`` as ``ผิดพลาด: <what is wrong> <what to do>``,
on one line, with click's English kept in brackets only where no Thai wording is known for it.
"""

from __future__ import annotations

import re

import click

#: click's messages about paths and numbers (click.types), as click words them, and in Thai.
_KNOWN = (
    (re.compile(r"^\w+ '(.*)' does not exist\.$"), "ไม่พบ '{0}'"),
    (re.compile(r"^\w+ '(.*)' is a file\.$"), "'{0}' เป็นไฟล์ ต้องระบุโฟลเดอร์"),
    (re.compile(r"^\w+ '(.*)' is a directory\.$"), "'{0}' เป็นโฟลเดอร์ ต้องระบุไฟล์"),
    (re.compile(r"^\w+ '(.*)' is not readable\.$"), "อ่าน '{0}' ไม่ได้ (ไม่มีสิทธิ์)"),
    (re.compile(r"^\w+ '(.*)' is not writable\.$"), "เขียนลง '{0}' ไม่ได้ (ไม่มีสิทธิ์)"),
    (re.compile(r"^'(.*)' is not a valid integer(?: range)?\.$"), "'{0}' ไม่ใช่จำนวนเต็ม"),
    (re.compile(r"^(.*) is not in the range (.*)\.$"), "{0} อยู่นอกช่วงที่รับได้ ({1})"),
    (re.compile(r"^Option '(.*)' requires an argument\.$"), "ตัวเลือก {0} ต้องมีค่าตามหลัง"),
)
PREFIX = "ผิดพลาด: "


def thai_error(error: click.ClickException) -> str:
    """One line for ``error``: Thai, with how to see the command's help when it was a usage error."""
    if isinstance(error, click.UsageError):
        text = _usage(error)
        if error.ctx is not None:
            text += f" (ดูวิธีใช้: {error.ctx.command_path} --help)"
        return PREFIX + text
    return PREFIX + _thai(error.format_message())


def _usage(error: click.UsageError) -> str:
    if isinstance(error, click.exceptions.NoSuchOption):
        return f"ไม่มีตัวเลือก {error.option_name}" + _did_you_mean(error.possibilities)
    if isinstance(error, click.exceptions.NoSuchCommand):
        return f"ไม่มีคำสั่ง '{error.command_name}'" + _did_you_mean(error.possibilities)
    if isinstance(error, click.MissingParameter):
        return f"ยังไม่ได้ระบุ {_hint(error)}"
    if isinstance(error, click.BadParameter):
        return f"ค่าของ {_hint(error)} ไม่ถูกต้อง: {_thai(error.message)}"
    return _thai(error.message)


def _hint(error: click.BadParameter) -> str:
    if error.param_hint is not None:
        return error.param_hint if isinstance(error.param_hint, str) else " / ".join(error.param_hint)
    if error.param is not None:
        return error.param.get_error_hint(error.ctx) if error.ctx is not None else str(error.param.name)
    return "ค่าที่ให้"


def _did_you_mean(possibilities: list[str] | None) -> str:
    return f" หมายถึง {' หรือ '.join(possibilities)} หรือไม่" if possibilities else ""


def _thai(message: str) -> str:
    """click's message in Thai when its wording is known; a message esaplan wrote is Thai already."""
    for pattern, thai in _KNOWN:
        found = pattern.match(message)
        if found:
            return thai.format(*found.groups())
    if re.search("[\u0e00-\u0e7f]", message):
        return message
    return f"ใช้คำสั่งไม่ถูกต้อง ({message})"
