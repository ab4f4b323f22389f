"""benchmarks/overhead.py finds its rows in the configs and builds and
measures one (tiny) row."""
import json
import tempfile
from dataclasses import asdict

from benchmarks._overhead.memory import memory_ratios, memory_worker
from benchmarks._overhead.rows import DEFAULT_CONFIGS, discover, row_of
from benchmarks._overhead.steps import build, make_steps


def test_default_rows_come_from_the_configs():
    rows = {row.name: row for row in discover(DEFAULT_CONFIGS, 'cpu')}
    methods = {
        name.split('_')[0].split('-')[0]
        for name in rows if name.endswith('_cifar100')
    }
    assert {'ofd', 'tofd', 'pefd', 'nd'} <= methods
    # a teacher-heads step matches the glob but is no distiller
    assert not any('teacher-heads' in name for name in rows)
    ssd = rows['ofd_ssd300_ssd300-r18_voc0712']
    seg = rows['ofd_deeplabv3plus-r101_r18_voc12aug']
    cifar = rows['ofd_resnet50_resnet18_cifar100']
    assert (ssd.task, ssd.num_classes, ssd.batch, ssd.size) == \
        ('det', 20, 2, 300)
    assert (seg.task, seg.num_classes, seg.batch, seg.size) == \
        ('seg', 21, 2, 128)
    assert (cifar.task, cifar.num_classes, cifar.channels, cifar.batch,
            cifar.size) == ('cls', 100, 3, 32, 32)
    gpu = discover(['configs/ofd/ofd_resnet50_resnet18_cifar100.py'],
                   'cuda')[0]
    assert (gpu.batch, gpu.size) == (128, 32)


def test_one_row_builds_and_measures(capsys):
    row = row_of('configs/fitnet/fitnet_resnet18-w32_resnet18-w8_fmnist.py',
                 batch=2)
    assert (row.task, row.num_classes, row.channels) == ('cls', 10, 1)
    with tempfile.TemporaryDirectory() as workdir:
        built = build(row, workdir, options=dict(record_clone='auto'))
    steps, before = make_steps(*built)
    for key, step in steps.items():
        before.get(key, lambda: None)()
        step()
    mem = {}
    for mode in ('distill', 'base', 'modules'):
        memory_worker(asdict(row), mode, 1, memory='tensors')
        mem[mode] = json.loads(
            capsys.readouterr().out.strip().splitlines()[-1])
    assert mem['modules']['increment'] > 0
    assert mem['distill']['peak'] > mem['distill']['built'] > 0
    ratio, plumbing = memory_ratios(mem)
    assert 1.0 < ratio < 2.0 and 0.8 < plumbing < ratio


def test_connector_recompute_lowers_ofd_peak(capsys):
    """--connector-recompute reaches OFD's student connectors, and the
    distillation step then keeps less (live tensor bytes, any machine)."""
    row = row_of('configs/ofd/ofd_resnet18-w32_resnet18-w8_fmnist.py', batch=8)
    peaks = []
    for options in (None, dict(recompute=True)):
        memory_worker(asdict(row), 'distill', 1, memory='tensors',
                      options=options)
        peaks.append(
            json.loads(capsys.readouterr().out.strip().splitlines()[-1]))
    assert peaks[1]['built'] == peaks[0]['built']
    assert peaks[1]['peak'] < peaks[0]['peak']


def test_peer_pairs_are_our_distiller_configs():
    """benchmarks/peers.py imports without the peers' packages, and our
    side of each pair is a distiller config of the right task."""
    from benchmarks.peers import PAIRS
    for name, spec in PAIRS.items():
        row = row_of(spec['ours'], batch=spec['batch'], size=spec['size'])
        assert row is not None, name
        assert (row.task, row.num_classes) == ('cls', spec['num_classes'])
        assert 'ours' in spec['frameworks']


def test_peers_profile_step_ranks_ops_by_self_time():
    """peers.py --profile's worker job: the heaviest op of a step leads,
    with its calls per step."""
    import torch

    from benchmarks.peers import profile_step

    # The mm's must lead by far on any host: 3 x 2 x 384^3 flops against an
    # add on 8 numbers (64 x 64 mm's lost to the add once, in CI 2026-12-07).
    a, b = torch.randn(384, 384), torch.randn(8)

    def step():
        for _ in range(3):
            a.mm(a)
        b.add(1)

    result = profile_step(step, repeats=2, top=3)
    assert result['ops'][0][0] == 'aten::mm'
    assert result['ops'][0][2] == 3
    assert 0 < result['ops'][0][1] <= result['total_ms']


def test_peers_op_differences_and_teacher_bn():
    """peers.py --profile's per-op split: distill minus student minus
    teacher, largest either way first; --teacher-bn reaches MMRazor's
    algorithm (its default: running statistics) and our build."""
    from benchmarks.peers import _mmrazor_model, op_differences
    distill = dict(ops=[['aten::conv', 10.0, 4], ['aten::bn', 6.0, 3],
                        ['aten::copy_', 2.0, 5]])
    student = dict(ops=[['aten::conv', 4.0, 2], ['aten::bn', 1.0, 1]])
    teacher = dict(ops=[['aten::conv', 5.0, 2], ['aten::bn', 1.0, 2],
                        ['aten::clamp', 3.0, 1]])
    assert op_differences(distill, student,
                          teacher) == [['aten::bn', 4.0, 0.0],
                                       ['aten::clamp', -3.0, -1.0],
                                       ['aten::copy_', 2.0, 5.0],
                                       ['aten::conv', 1.0, 0.0]]
    own = _mmrazor_model('ofd', 100)
    assert 'teacher_norm_eval' not in own
    assert _mmrazor_model('ofd', 100, 'batch') == dict(own,
                                                       teacher_norm_eval=False)
    assert _mmrazor_model('kd', 1000, 'running')['teacher_norm_eval'] is True


def test_peers_draw_our_bn_weights():
    """The peers' teachers get mmfeatdistill.testing's BN draw, which the
    workers load from its file (their environments cannot import
    mmfeatdistill)."""
    import torch

    from benchmarks._peers.measuring import randomize_bn
    from mmfeatdistill.testing import randomize_bn as ours
    models = [torch.nn.Sequential(torch.nn.BatchNorm2d(4)) for _ in '12']
    randomize_bn(models[0], seed=3)
    ours(models[1], seed=3)
    assert torch.equal(models[0][0].weight, models[1][0].weight)
    assert models[0][0].weight.min() >= 0.5


def test_overhead_results_sections_keep_runs_apart():
    """Each kind of overhead.py run writes its own section: a memory-only
    run never replaces the timed table of the same device."""
    from argparse import Namespace

    from benchmarks.overhead import results_section

    def run(**kw):
        args = dict(device='cpu', memory='device', memory_only=False,
                    record_clone=None, connector_recompute=False)
        return results_section(Namespace(**dict(args, **kw)))

    assert run() == 'cpu'
    assert run(memory_only=True) == 'cpu-memory'
    assert run(memory_only=True, record_clone='auto') == \
        'cpu-memory-clone-auto'
    assert run(memory='tensors', memory_only=True,
               connector_recompute=True) == 'cpu-tensors-recompute'
    assert run(device='cuda') == 'cuda'
