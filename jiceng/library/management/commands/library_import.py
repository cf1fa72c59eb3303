from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jiceng.core.commands import OperatorCommand
from jiceng.library.importer import ImportProblem, files_of, import_documents, parse_file


class Command(OperatorCommand):
    help = gettext_noop(
        "Import documents into the library from a page in the literature-site text format "
        "(title, 来源/被引量/上传用户 line, body after 论文部分内容阅读, 其他文献 excerpts), "
        "an XLSX "
        "list, or a folder of both. Reports what it created and skipped; running it again "
        "creates nothing new. A malformed file is refused as a whole, naming its lines."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help=_("A .txt page, an .xlsx list or a folder."))

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(options["path"])
        if not root.exists():
            raise CommandError(_("%(path)s does not exist.") % {"path": root})
        created = skipped = 0
        failed: list[str] = []
        for path in files_of(root):
            try:
                documents = parse_file(path)
            except ImportProblem as problem:
                failed.append(str(path))
                for message in problem.problems:
                    self.stderr.write(f"{path}: {message}")
                continue
            if documents is None:
                self.stdout.write(_("%(path)s: not a page or list, left alone") % {"path": path})
                continue
            report = import_documents(documents)
            for title in report.created:
                self.stdout.write(_("created: %(title)s") % {"title": title})
            for title in report.skipped:
                self.stdout.write(
                    _("skipped (already in the library): %(title)s") % {"title": title}
                )
            created += len(report.created)
            skipped += len(report.skipped)
        self.stdout.write(
            _("%(created)d created, %(skipped)d skipped, %(failed)d files refused.")
            % {"created": created, "skipped": skipped, "failed": len(failed)}
        )
        if failed:
            raise CommandError(
                _("Some files were refused: %(files)s") % {"files": ", ".join(failed)}
            )
