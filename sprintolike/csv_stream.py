"""CSV downloads streamed row by row, so an export of any size keeps memory flat."""

import csv
from collections.abc import Iterable
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose `write` hands the line back to the caller."""

    def write(self, value: str) -> str:
        return value


def csv_safe(value: Any) -> Any:
    """Spreadsheet apps run cells starting with = + - @ as formulas; text that comes from
    PagerDuty (incident titles, names) could, so such text is prefixed with a quote."""
    if isinstance(value, str) and value[:1] in FORMULA_PREFIXES:
        return "'" + value
    return value


def csv_streaming_response(*, rows: Iterable[list[Any]], filename: str) -> StreamingHttpResponse:
    """A private attachment streaming `rows` (header first) as CSV."""
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow([csv_safe(value) for value in row]) for row in rows),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
