from mmfeatdistill.tools import inspect_pair
from tests.helpers import config_path


def test_inspect_pair_marks_pre_activations(capsys):
    rows = inspect_pair.main([
        config_path('kd/kd-mse_resnet18-w32_resnet18-w8_fmnist.py'), '--shape',
        '1', '28', '28'
    ])
    out = capsys.readouterr().out
    assert set(rows) == {'student', 'teacher'}
    student = rows['student']
    assert student['backbone.layer4']['shape'] == '(1, 64, 4, 4)'
    assert rows['teacher']['backbone.layer4']['shape'] == '(1, 256, 4, 4)'
    # the block's reused ReLU: call 0 after norm1, call 1 after the sum
    notes = ' '.join(student['backbone.layer1.0.relu']['notes'])
    assert "ModuleInputRecorder(source='backbone.layer1.0.relu', " \
        'call_index=1)' in notes
    assert 'residual sum' in notes
    assert any('pre-activation (BN -> backbone.layer1.0.relu)' in n
               for n in student['backbone.layer1.0.bn1']['notes'])
    assert 'backbone.layer2.1.relu' in out and 'call_index=1' in out


def test_inspect_pair_finds_the_input_channels():
    """Without --shape a 1-channel (Fashion-MNIST) model runs: the channels
    come from its first convolution; a wrong --shape names the fix."""
    import pytest
    path = config_path('kd/kd-mse_resnet18-w32_resnet18-w8_fmnist.py')
    rows = inspect_pair.main([path, '--which', 'student'])
    assert rows['student']['backbone.layer4']['shape'].startswith('(1, 64')
    with pytest.raises(
            RuntimeError, match=r'does not run on an input of '
            r'shape \(1, 3, 28, 28\).*--shape C H W'):
        inspect_pair.main(
            [path, '--which', 'student', '--shape', '3', '28', '28'])
