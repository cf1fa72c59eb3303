"""The language of management commands (jiceng.core.commands)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from jiceng.core.commands import command_language
from jiceng.library.management.commands.library_import import Command as LibraryImport


def run_from_the_shell(*args: str) -> tuple[int, str, str]:
    """`manage.py library_import ARGS` as an operator runs it: exit status, stdout, stderr."""
    out, err = StringIO(), StringIO()
    command = LibraryImport(stdout=out, stderr=err)
    try:
        command.run_from_argv(["manage.py", "library_import", *args])
    except SystemExit as leaving:
        return int(leaving.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_from_the_shell_a_command_speaks_chinese_by_default(settings, tmp_path):
    settings.COMMAND_LANGUAGE = settings.LANGUAGE_CODE  # the default (tests/core/test_settings.py)
    with translation.override("en"):  # whatever else was active: the setting decides
        status, _out, err = run_from_the_shell(str(tmp_path / "absent"))
        assert status == 1
        assert f"{tmp_path / 'absent'} 不存在。" in err
        status, out, _err = run_from_the_shell(str(tmp_path))
    assert status == 0
    assert "创建 0 篇，跳过 0 篇，拒绝 0 个文件。" in out


def test_from_the_shell_command_language_en_asks_for_english(settings, tmp_path):
    settings.COMMAND_LANGUAGE = "en"
    status, _out, err = run_from_the_shell(str(tmp_path / "absent"))
    assert status == 1
    assert f"{tmp_path / 'absent'} does not exist." in err and "不存在" not in err
    status, out, _err = run_from_the_shell(str(tmp_path))
    assert status == 0
    assert "0 created, 0 skipped, 0 files refused." in out
    # The language was the command's only: the caller's is back.
    assert translation.get_language() == "zh-hans"


def test_an_unknown_command_language_is_named_and_the_default_used(settings, tmp_path):
    settings.COMMAND_LANGUAGE = "fr"
    status, out, err = run_from_the_shell(str(tmp_path))
    assert status == 0
    assert "COMMAND_LANGUAGE=fr" in err
    assert "创建 0 篇" in out


def test_called_from_code_a_command_keeps_the_callers_language(settings, tmp_path):
    settings.COMMAND_LANGUAGE = "en"  # the shell's choice does not apply to call_command
    with pytest.raises(CommandError, match="不存在"):
        call_command("library_import", str(tmp_path / "absent"))
    with translation.override("en"), pytest.raises(CommandError, match="does not exist"):
        call_command("library_import", str(tmp_path / "absent"))


@pytest.mark.parametrize(
    ("code", "language", "understood"),
    [
        ("", "zh-hans", True),
        ("en", "en", True),
        ("en_US.UTF-8", "en", True),
        ("zh_CN", "zh-hans", True),
        ("zh-Hans", "zh-hans", True),
        ("fr", "zh-hans", False),
    ],
)
def test_command_language_accepts_the_shells_spellings(code, language, understood):
    assert command_language(code) == (language, understood)


def test_the_help_is_shown_in_the_command_language(settings, capsys):
    settings.COMMAND_LANGUAGE = "en"
    LibraryImport().print_help("manage.py", "library_import")
    assert "Import documents into the library" in capsys.readouterr().out
