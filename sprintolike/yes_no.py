"""The one yes/no vocabulary for free-form answers (PagerDuty custom fields, imports)."""

from collections.abc import Mapping, Sequence
from typing import Any

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "off", "none"})


def yes_no(value: Any) -> bool | None:
    """True for a yes, False for a no, None when the value holds no yes/no answer.

    Booleans and numbers answer for themselves; words are read without regard to case or
    surrounding spaces (a blank string is a no); `{"value": ...}` is read for its value; a
    multi-value field is yes when any item is yes, no when every item is no.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS or not word:
            return False
        return None
    if isinstance(value, Mapping):
        return yes_no(value.get("value"))
    if isinstance(value, Sequence):
        answers = [yes_no(item) for item in value]
        if any(answer is True for answer in answers):
            return True
        return False if answers and all(answer is False for answer in answers) else None
    return None
