"""The base of the project's management commands: they speak the operator's language.

Django leaves the language of a management command alone (only commands decorated with
`no_translations` switch translations off), so a command's messages come out in whatever
language is active: with none activated, settings.LANGUAGE_CODE (zh-hans).

Run from the command line (`manage.py NAME …`, `manage.py help NAME`), a command built on
`OperatorCommand` activates settings.COMMAND_LANGUAGE, set by the environment variable of that
name (default LANGUAGE_CODE), for the whole run: its help, its errors and its summaries.
`COMMAND_LANGUAGE=en manage.py audit_verify` answers in English. Called from code
(`call_command`), a command keeps the caller's language, as a view or a test activated it.

Machine output (JSON lines, CSV, tracking codes, file names one per line) is never translated.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation
from django.utils.translation import gettext


def command_language(code: str | None = None) -> tuple[str, bool]:
    """The language to run commands in, from `code` (default settings.COMMAND_LANGUAGE), and
    whether `code` was understood; an unknown code gives settings.LANGUAGE_CODE."""
    wanted = (settings.COMMAND_LANGUAGE if code is None else code).strip()
    if not wanted:
        return settings.LANGUAGE_CODE, True
    # Accept the shell's spelling too: zh_CN.UTF-8, en_US.
    wanted = wanted.split(".")[0].replace("_", "-").lower()
    try:
        return translation.get_supported_language_variant(wanted), True
    except LookupError:
        return settings.LANGUAGE_CODE, False


class OperatorCommand(BaseCommand):
    """A management command whose messages are in the operator's language (see the module).

    `help` is marked with gettext_noop and translated when the help is shown; the arguments'
    `help=` texts are translated with gettext in add_arguments, which runs at that moment too.
    """

    def _language(self) -> str:
        language, understood = command_language()
        if not understood:
            with translation.override(language):
                self.stderr.write(
                    gettext(
                        "COMMAND_LANGUAGE=%(code)s is not one of the languages offered "
                        "(%(choices)s); using %(language)s."
                    )
                    % {
                        "code": settings.COMMAND_LANGUAGE,
                        "choices": ", ".join(code for code, _name in settings.LANGUAGES),
                        "language": language,
                    }
                )
        return language

    def run_from_argv(self, argv: list[str]) -> None:
        with translation.override(self._language()):
            super().run_from_argv(argv)

    def print_help(self, prog_name: str, subcommand: str) -> None:
        with translation.override(self._language()):
            super().print_help(prog_name, subcommand)

    def description(self) -> str:
        """The command's help in the active language; override to fill in values."""
        return gettext(self.help) if self.help else ""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = self.description() or None
        return parser
