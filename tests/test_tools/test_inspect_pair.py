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


def test_inspect_pair_lists_a_vits_token_positions(capsys):
    """DeiT-S (the shipped cross-architecture config's teacher): each
    encoder layer's (B, N, C) tokens with their layout (class token + 14x14
    patches) and the preset argument that pools them; the backbone's class
    token as the (B, C) embedding."""
    rows = inspect_pair.main([
        config_path('pefd/pefd_deit-small_resnet18_in1k.py'), '--which',
        'teacher'
    ])['teacher']
    out = capsys.readouterr().out
    notes = ' '.join(rows['backbone.layers.11']['notes'])
    assert 'tokens (B, N, C) = (1, 197, 384)' in notes
    assert '1 extra token(s) (class token first) + 14x14 patch' in notes
    assert "position('backbone.layers.11')" in notes
    assert "teacher_tokens='cls' | dict(mode='mean', num_extra_tokens=1)" \
        in notes
    assert "position('backbone', 0)" in ' '.join(rows['backbone']['notes'])
    # only the blocks: not their sublayers (attention, FFN, norms)
    sublayers = ('ln1', 'attn', 'ffn')
    assert not any(rows[f'backbone.layers.0.{name}']['notes']
                   for name in sublayers)
    summary = out.split('teacher: token positions (B, N, C)')[1]
    assert summary.count('14x14 patch tokens') == 12


def test_inspect_pair_lists_swin_stages_with_their_grids():
    """Swin-T: the stages' (tokens, hw_shape) outputs, no class token (the
    mean token only), grids 56x56 .. 7x7 from the recorded hw_shape."""
    rows = inspect_pair.main([
        config_path('kd/kd_swin-tiny_resnet50_in1k.py'), '--which', 'teacher'
    ])['teacher']
    stages = ((3136, 96, 56), (784, 192, 28), (196, 384, 14), (49, 768, 7))
    for stage, (num, width, side) in enumerate(stages):
        notes = ' '.join(rows[f'backbone.stages.{stage}']['notes'])
        assert f'(1, {num}, {width}), {side}x{side} patch tokens' in notes
        assert f"position('backbone.stages.{stage}', 0)" in notes
        assert "teacher_tokens='mean')" in notes and "'cls'" not in notes
    # a Swin's backbone gives a map: no (B, C) embedding note
    assert not rows['backbone']['notes']
