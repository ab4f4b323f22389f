"""Checks of config values that Python would silently coerce."""
from typing import Any


def check_bool(value: Any, where: str) -> bool:
    """Return ``value`` if it is a bool, else raise naming ``where``.

    A config flag given as a string (``from_student='False'``) is true for
    ``bool()``; refusing it is the only way not to train the wrong thing.

    Args:
        value: The configured value.
        where (str): The config key, for the message.

    Raises:
        TypeError: ``value`` is not a bool.
    """
    if not isinstance(value, bool):
        raise TypeError(
            f'{where} must be True or False (a bool), got {value!r} '
            f'({type(value).__name__}); write it without quotes.')
    return value
