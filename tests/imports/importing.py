"""Running an import on CSV text in a test: the outcome and the rejections, by line."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from crm.imports.parsing import CsvSource
from crm.imports.runner import ImportOutcome, import_csv
from crm.imports.writers import Rejection


def csv_source(
    content: str | bytes, *, encoding: str = "utf-8-sig", delimiter: str = ""
) -> CsvSource:
    data = content.encode() if isinstance(content, str) else content
    return CsvSource(lambda: io.BytesIO(data), encoding, delimiter)


@dataclass
class Result:
    outcome: ImportOutcome
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def reasons(self) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        for rejection in self.rejections:
            found.setdefault(rejection.line, []).append(f"{rejection.field}: {rejection.message}")
        return found


def run_import(
    user, kind: str, content: str | bytes, mapping: dict[str, str] | None = None, **options
) -> Result:
    """Import ``content`` as ``user``; columns named like the fields map themselves."""
    source = csv_source(content)
    header = source.read()[0]
    if mapping is None:
        mapping = {name: name for name in header}
    rejections: list[Rejection] = []
    outcome = import_csv(
        by=user,
        kind=kind,
        source=source,
        mapping=mapping,
        on_rejections=rejections.extend,
        **options,
    )
    return Result(outcome, rejections)
