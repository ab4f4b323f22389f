"""What the benchmark scripts share. Standard library only at import;
``peers.py`` imports it in its main process, never in a worker (the peers'
environments do not have this repository on their path)."""
import argparse
import os
import os.path as osp
from typing import Optional


def load_average() -> str:
    """``uptime``'s load averages (1, 5, 15 min)."""
    return ' / '.join(f'{x:.2f}' for x in os.getloadavg())


def task_experiment(parser: argparse.ArgumentParser, task: str,
                    schedule: Optional[str] = None):
    """The experiment table's entry of ``task``, which must have
    ``schedule`` if given; otherwise a usage error (``parser.error``)
    naming the choices.

    Args:
        parser (ArgumentParser): The script's parser.
        task (str): ``--task``.
        schedule (str, optional): ``--schedule``.
    """
    from mmfeatdistill.tools.experiments import EXPERIMENTS
    if task not in EXPERIMENTS:
        parser.error(f'--task {task!r}: not a task of the experiment table '
                     f'(tasks: {sorted(EXPERIMENTS)})')
    experiment = EXPERIMENTS[task]
    if schedule is not None and schedule not in experiment.schedules:
        parser.error(f'--schedule {schedule!r}: not a schedule of task '
                     f'{task!r} ({sorted(experiment.schedules)})')
    return experiment


def write_section(path: str, name: str, text: str, writer: str,
                  heading: str = '') -> None:
    """Put ``text`` between the markers of section ``name`` in ``path``
    (``<!-- NAME: written by WRITER -->`` and ``<!-- end of NAME -->``),
    keeping the rest of the file (the notes); a section not there yet is
    appended, a file not there yet starts with ``heading``. Written
    atomically: a killed writer leaves the file as it was.

    Args:
        path (str): The results file.
        name (str): The section's name.
        text (str): The section's text.
        writer (str): The script that writes it (in the begin marker).
        heading (str): The first line(s) of a new file.
    """
    from mmfeatdistill.utils.checkpoint import atomic_write_text
    begin = f'<!-- {name}: written by {writer} -->'
    end = f'<!-- end of {name} -->'
    content = heading
    if osp.exists(path):
        with open(path) as f:
            content = f.read()
    block = f'{begin}\n{text}\n{end}'
    if begin in content and end in content:
        head, rest = content.split(begin, 1)
        content = head + block + rest.split(end, 1)[1]
    else:
        content = content.rstrip('\n') + '\n\n' + block + '\n'
    atomic_write_text(content.lstrip('\n'), path)
