"""Logging filters: a client's mistake is one line in the log, a server error keeps its traceback."""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """Drop the traceback Django attaches to 4xx responses (a 403 from PermissionDenied, a 400
    from a bad request): the refusal is expected behaviour, and its traceback only buries the
    5xx ones that matter. The record itself, with path and status, is kept.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status_code = getattr(record, "status_code", None)
        if status_code is not None and status_code < 500:
            record.exc_info = None
            record.exc_text = None
        return True
