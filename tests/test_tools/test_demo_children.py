"""The main job's child processes (each stage's run, the data step) end
with it, however it ends: a killed demo or benchmark leaves no training
running in its cache entry (Linux ``PR_SET_PDEATHSIG``)."""
import os
import signal
import subprocess
import sys
import time
from typing import Callable

import pytest

from mmfeatdistill.tools import demo

#: the child: writes its pid, then waits to be killed
SLEEPER = '''import os, sys, time
with open(os.environ['PID_FILE'] + '.tmp', 'w') as f:
    f.write(str(os.getpid()))
os.rename(os.environ['PID_FILE'] + '.tmp', os.environ['PID_FILE'])
time.sleep(120)
'''

#: the demo process: starts the child the way the demo does
PARENT = '''import dataclasses, sys
from mmfeatdistill.tools import demo
from mmfeatdistill.tools.experiments import EXPERIMENTS
demo.REPO = sys.argv[1]
if sys.argv[2] == 'stage':
    demo.run_script('sleeper.py', 'config.py', sys.argv[1], [], quiet=False)
else:
    demo.prepare_data(dataclasses.replace(
        EXPERIMENTS['cls'], prepare=('tools/sleeper.py', )), 'root')
'''


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does
    not)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


def _wait(condition: Callable[[], bool], seconds: float) -> bool:
    """Whether ``condition()`` holds within ``seconds``."""
    end = time.time() + seconds
    while time.time() < end:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.skipif(demo._PRCTL is None, reason='needs Linux prctl')
@pytest.mark.parametrize('child', ['stage', 'data'])
def test_child_ends_with_the_killed_demo(tmp_path, child):
    (tmp_path / 'tools').mkdir()
    (tmp_path / 'tools' / 'sleeper.py').write_text(SLEEPER)
    pid_file = tmp_path / 'child.pid'
    repo = os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PID_FILE=str(pid_file),
               PYTHONPATH=repo + os.pathsep + os.environ.get('PYTHONPATH', ''))
    parent = subprocess.Popen(
        [sys.executable, '-c', PARENT,
         str(tmp_path), child], env=env)
    try:
        # (a parent that died first fails at once)
        assert _wait(lambda: pid_file.exists() or parent.poll() is not None,
                     60) and pid_file.exists(), 'the child did not start'
        pid = int(pid_file.read_text())
        assert _alive(pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        assert _wait(lambda: not _alive(pid), 10), \
            f'the {child} child outlived its killed parent'
    finally:
        parent.kill()
        if pid_file.exists() and _alive(int(pid_file.read_text())):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
