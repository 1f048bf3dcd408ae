"""Every command documents itself in Thai and English (help text is the staff's manual)."""

from __future__ import annotations

import re

import click

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
