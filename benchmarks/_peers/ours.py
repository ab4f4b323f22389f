"""Our side of a pair: its config through ``benchmarks/overhead.py``'s
build (runs in our environment only)."""
import sys
import tempfile

from .pairs import PAIRS, REPO


def build_ours(pair, teacher_bn='own'):
    """Our config of the pair through ``benchmarks/overhead.py``
    (``teacher_bn``: see :data:`TEACHER_BN`)."""
    sys.path.insert(0, REPO)
    from benchmarks._overhead.rows import row_of
    from benchmarks._overhead.steps import build, make_steps
    spec = PAIRS[pair]
    row = row_of(spec['ours'], batch=spec['batch'], size=spec['size'])
    options = {} if teacher_bn == 'own' else dict(
        teacher_norm_eval=teacher_bn == 'running')
    with tempfile.TemporaryDirectory() as workdir:
        built = build(row, workdir, options=options)
    steps, before = make_steps(*built)
    import mmfeatdistill
    info = dict(framework=f'mmfeatdistill {mmfeatdistill.__version__}',
                config=spec['ours'])
    return steps, before, info
