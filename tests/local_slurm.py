"""A one-machine Slurm cluster for the tests, started from a temporary
folder: munged, slurmctld and slurmd (Debian's ``slurm-wlm`` and ``munge``
packages) in the foreground, as children of the test process, on the
loopback address with ports free at the start, a fresh munge key and one
node ``localhost`` with 2 CPUs in the partition ``mmfd``. Nothing of the
machine's own Slurm or munge configuration is read or changed: every
Slurm command of the test gets ``SLURM_CONF`` pointing to the folder.

:func:`local_slurm` starts it and stops it (jobs cancelled, daemons
terminated, then killed) on leaving, also after a failure; when it cannot
start within its budget, :class:`SlurmUnavailable` says why.
"""
import contextlib
import os
import os.path as osp
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from typing import Dict, Iterator, List, Optional

#: the programs the cluster and the test need
PROGRAMS = ('munged', 'slurmctld', 'slurmd', 'srun', 'sinfo', 'scontrol',
            'scancel', 'squeue')
PARTITION = 'mmfd'
NODE = 'localhost'

SLURM_CONF = '''\
ClusterName=mmfdtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
AuthInfo=socket={root}/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmdParameters=config_overrides
PlugStackConfig={root}/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName={node} NodeHostname={hostname} NodeAddr=127.0.0.1 CPUs={cpus} \
State=UNKNOWN
PartitionName={partition} Nodes={node} Default=YES MaxTime=INFINITE State=UP
'''


class SlurmUnavailable(RuntimeError):
    """The local Slurm could not start (the reason is the message)."""


def free_ports(num: int) -> List[int]:
    """``num`` distinct TCP ports free on the loopback address now."""
    sockets = []
    try:
        for _ in range(num):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(('127.0.0.1', 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _tail(path: str, lines: int = 8) -> str:
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-lines:]).strip()
    except OSError:
        return '(no log)'


class LocalSlurm:
    """The running cluster: its folder, ``env`` (this process's environment
    plus ``SLURM_CONF``) and the partition to submit to.

    Args:
        root (str): An empty folder for the configuration, the munge key,
            sockets, state and logs (short: it holds a Unix socket).
        cpus (int): CPUs of the node. Defaults to 2.
    """

    def __init__(self, root: str, cpus: int = 2) -> None:
        self.root = root
        self.cpus = cpus
        self.partition = PARTITION
        self.env: Dict[str,
                       str] = dict(os.environ,
                                   SLURM_CONF=osp.join(root, 'slurm.conf'))
        for key in list(self.env):
            # a surrounding allocation's variables would mislead srun
            if key.startswith(('SLURM_', 'SBATCH_', 'SRUN_', 'SALLOC_')) \
                    and key != 'SLURM_CONF':
                del self.env[key]
        self._daemons: Dict[str, subprocess.Popen] = {}

    def log(self, name: str) -> str:
        """The path of daemon ``name``'s log file."""
        return osp.join(self.root, f'{name}.log')

    def _spawn(self, name: str, args: List[str]) -> None:
        with open(osp.join(self.root, f'{name}.out'), 'wb') as out:
            self._daemons[name] = subprocess.Popen(args,
                                                   stdin=subprocess.DEVNULL,
                                                   stdout=out,
                                                   stderr=subprocess.STDOUT,
                                                   env=self.env, cwd=self.root,
                                                   start_new_session=True)

    def _check_alive(self) -> None:
        for name, proc in self._daemons.items():
            if proc.poll() is not None:
                raise SlurmUnavailable(
                    f'{name} exited with {proc.returncode}: '
                    f'{_tail(osp.join(self.root, name + ".out"))} '
                    f'{_tail(self.log(name))}')

    def start(self, timeout: float = 60.0) -> None:
        """Start munged, slurmctld and slurmd and wait until the node is
        idle.

        Args:
            timeout (float): Seconds for all of it. Defaults to 60.

        Raises:
            SlurmUnavailable: A program is missing, this process is not
                root (slurmd starts jobs as their user), a daemon exits or
                the node is not idle in time.
        """
        missing = [p for p in PROGRAMS if shutil.which(p) is None]
        if missing:
            raise SlurmUnavailable(
                f'not installed: {", ".join(missing)} (Debian: apt-get '
                f'install slurm-wlm munge)')
        if os.geteuid() != 0:
            raise SlurmUnavailable('slurmd must run as root')
        deadline = time.monotonic() + timeout
        for sub in ('state', 'spool'):
            os.makedirs(osp.join(self.root, sub))
        key = osp.join(self.root, 'munge.key')
        with open(os.open(key, os.O_WRONLY | os.O_CREAT, 0o400), 'wb') as f:
            f.write(os.urandom(1024))
        open(osp.join(self.root, 'plugstack.conf'), 'w').close()
        ctld_port, slurmd_port = free_ports(2)
        with open(self.env['SLURM_CONF'], 'w') as f:
            f.write(
                SLURM_CONF.format(root=self.root, ctld_port=ctld_port,
                                  slurmd_port=slurmd_port, node=NODE,
                                  hostname=socket.gethostname(),
                                  cpus=self.cpus, partition=self.partition))
        sock = osp.join(self.root, 'munge.sock')
        self._spawn('munged', [
            'munged', '--foreground', '--force', f'--socket={sock}',
            f'--key-file={key}', f'--log-file={self.log("munged")}',
            f'--pid-file={self.root}/munged.pid',
            f'--seed-file={self.root}/munged.seed'
        ])
        self._wait(lambda: osp.exists(sock), deadline, 'munged socket')
        self._spawn('slurmctld', ['slurmctld', '-D', '-i'])
        self._spawn('slurmd', ['slurmd', '-D', '-N', NODE])
        self._wait(self._node_idle, deadline, 'node idle in sinfo')

    def _node_idle(self) -> bool:
        try:
            proc = subprocess.run(
                ['sinfo', '--noheader', '--format=%T', '-p', self.partition],
                capture_output=True, text=True, env=self.env, timeout=10)
        except subprocess.TimeoutExpired:
            return False
        return proc.returncode == 0 and proc.stdout.strip() == 'idle'

    def _wait(self, ready, deadline: float, what: str) -> None:
        while not ready():
            self._check_alive()
            if time.monotonic() > deadline:
                raise SlurmUnavailable(
                    f'no {what} in time; slurmctld: '
                    f'{_tail(self.log("slurmctld"))}; slurmd: '
                    f'{_tail(self.log("slurmd"))}')
            time.sleep(0.2)

    def stop(self) -> None:
        """Cancel the jobs, then stop slurmd, slurmctld and munged
        (SIGTERM, SIGKILL after 10 s)."""
        if 'slurmctld' in self._daemons and \
                self._daemons['slurmctld'].poll() is None:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(['scancel', '--partition', self.partition],
                               env=self.env, capture_output=True, timeout=15)
                # the jobs' steps end before their slurmd does
                for _ in range(50):
                    queue = subprocess.run(
                        ['squeue', '--noheader', '-p', self.partition],
                        env=self.env, capture_output=True, text=True,
                        timeout=10)
                    if queue.returncode or not queue.stdout.strip():
                        break
                    time.sleep(0.2)
        for name in ('slurmd', 'slurmctld', 'munged'):
            proc = self._daemons.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@contextlib.contextmanager
def local_slurm(timeout: float = 60.0, cpus: int = 2) -> Iterator[LocalSlurm]:
    """Start a one-machine Slurm in a new temporary folder; stop it and
    remove the folder on leaving (also after an exception).

    Args:
        timeout (float): Seconds to start. Defaults to 60.
        cpus (int): CPUs of its node. Defaults to 2.

    Raises:
        SlurmUnavailable: It could not start (see :meth:`LocalSlurm.start`).
    """
    root = tempfile.mkdtemp(prefix='mmfd-slurm-')
    cluster: Optional[LocalSlurm] = None
    try:
        cluster = LocalSlurm(root, cpus)
        cluster.start(timeout)
        yield cluster
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def kill_session(proc: subprocess.Popen) -> None:
    """SIGKILL the process group of ``proc`` (started with
    ``start_new_session=True``) if it still runs."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
