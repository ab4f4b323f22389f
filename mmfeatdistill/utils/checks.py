"""Checks of config values: the ones Python would silently coerce, and
the argument rules several components share."""
import numbers
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


def check_positive_int(value: Any, where: str) -> int:
    """Return ``value`` if it is an int above 0 (not a bool), else raise.

    Args:
        value: The configured value.
        where (str): What it configures (``'accumulative_counts'``), for
            the message.

    Raises:
        ValueError: ``value`` is not a positive int.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f'{where} must be a positive int, got {value!r}')
    return value


def check_in_range(value: Any, where: str, low: float, high: float, *,
                   include_low: bool = False, fix: str = '') -> float:
    """Return ``value`` if it is a number between ``low`` and ``high``,
    else raise naming ``where``, the interval and ``fix``.

    ``high`` is always excluded; ``low`` only unless ``include_low``.

    Args:
        value: The configured value.
        where (str): What it configures (``'LossBalanceHook(min_ratio=...)'``),
            for the message.
        low (float): The lower bound.
        high (float): The upper bound (excluded).
        include_low (bool): ``low`` itself is allowed. Defaults to False.
        fix (str): How to choose a valid value, ending the message.
            Defaults to ``''``.

    Raises:
        TypeError: ``value`` is not a number.
        ValueError: ``value`` is outside the interval.
    """
    interval = f"{'[' if include_low else '('}{low}, {high})"
    ending = f': {fix}' if fix else '.'
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f'{where} must be a number in {interval}, got '
                        f'{value!r} ({type(value).__name__}){ending}')
    above_low = value >= low if include_low else value > low
    if not (above_low and value < high):
        raise ValueError(
            f'{where} must be in {interval}, got {value!r}{ending}')
    return value


def check_exactly_one(owner: str, **values: Any) -> str:
    """Return the name of the one argument of ``values`` that is not None,
    else raise naming all of them.

    Args:
        owner (str): The class whose arguments these are, for the message.
        **values: The mutually exclusive arguments, in the order to name
            them.

    Raises:
        ValueError: None or several of them are given.
    """
    given = [name for name, value in values.items() if value is not None]
    if len(given) != 1:
        names = list(values)
        listed = ', '.join(names[:-1]) + f' and {names[-1]}'
        raise ValueError(f'{owner} needs exactly one of {listed}.')
    return given[0]
