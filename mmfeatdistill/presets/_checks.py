"""Argument checks shared by the presets."""
from typing import Sequence


def check_same_length(preset: str, **lists: Sequence) -> int:
    """Return the common length of ``lists`` or raise naming the misfit.

    Args:
        preset (str): The preset's name, for the message.
        **lists: The per-position lists that must pair up.

    Returns:
        int: Their common length.
    """
    lengths = {name: len(value) for name, value in lists.items()}
    if len(set(lengths.values())) != 1:
        found = ', '.join(f'{n}: {k}' for n, k in lengths.items())
        raise ValueError(
            f'{preset}: the per-position lists must have one entry per '
            f'position each, got {found}. Give every list the same length.')
    return next(iter(lengths.values()))
