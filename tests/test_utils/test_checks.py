"""The shared checks of config values: the value back when valid, else an
error that names what it configures, the allowed values and the fix."""
import pytest

from mmfeatdistill.utils.checks import check_in_range


def test_in_range_returns_the_value_inside():
    assert check_in_range(0.5, 'x', 0, 1) == 0.5
    assert check_in_range(0, 'x', 0, 1, include_low=True) == 0
    assert check_in_range(3, 'x', 0, float('inf')) == 3


@pytest.mark.parametrize('value, include_low', [(0, False), (1, False),
                                                (1, True), (-0.1, True)])
def test_in_range_refuses_the_bounds_and_outside(value, include_low):
    interval = r'\[0, 1\)' if include_low else r'\(0, 1\)'
    with pytest.raises(
            ValueError, match=rf'^Hook\(ratio=\.\.\.\) must be in {interval}, '
            rf'got {value}: give a fraction\.$'):
        check_in_range(value, 'Hook(ratio=...)', 0, 1, include_low=include_low,
                       fix='give a fraction.')


@pytest.mark.parametrize('value', ['0.5', None, True])
def test_in_range_refuses_a_non_number(value):
    with pytest.raises(TypeError, match=r'ratio must be a number in \(0, 1\)'):
        check_in_range(value, 'ratio', 0, 1)
