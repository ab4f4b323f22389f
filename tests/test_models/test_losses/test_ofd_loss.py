import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from mmfeatdistill.models.losses import OFDLoss
from mmfeatdistill.models.losses.ofd_loss import partial_l2


def test_ofd_loss_hand_computed():
    # B=2, C=1, 2 positions. t is already margin-ReLU'd.
    s = torch.tensor([[[[1.0, -2.0]]], [[[-1.0, 0.5]]]])
    t = torch.tensor([[[[0.5, -1.0]]], [[[-0.5, 2.0]]]])
    # element by element: (1 > .5) -> .25 ; (-2 <= -1, t<0) -> 0 ;
    # (-1 <= -.5, t<0) -> 0 ; (t=2 > 0) -> 2.25   => 2.5 / B=2 => 1.25
    assert torch.allclose(OFDLoss()(s, t), torch.tensor(1.25))
    assert torch.allclose(OFDLoss(loss_weight=0.1)(s, t), torch.tensor(0.125))


def test_ofd_loss_zero_gradient_where_student_below_negative_teacher():
    g = torch.Generator().manual_seed(0)
    s = torch.randn(3, 4, 5, 5, generator=g, requires_grad=True)
    t = torch.randn(3, 4, 5, 5, generator=g)
    OFDLoss()(s, t).backward()
    dead = (s <= t) & (t <= 0)
    assert dead.any() and (~dead).any()
    assert torch.all(s.grad[dead] == 0)
    # elsewhere the gradient is 2 (s - t) / B
    live = ~dead
    assert torch.allclose(s.grad[live], (2 * (s - t) / 3)[live])


def test_ofd_loss_independent_loop():
    g = torch.Generator().manual_seed(1)
    s = torch.randn(2, 3, 2, 2, generator=g)
    t = torch.randn(2, 3, 2, 2, generator=g)
    total = 0.0
    for a, b in zip(s.flatten().tolist(), t.flatten().tolist()):
        if a > b or b > 0:
            total += (a - b)**2
    assert torch.allclose(OFDLoss()(s, t), torch.tensor(total / 2))


def _plain_ofd(s, t, loss_weight=1.0):
    """OFDLoss's formula before PartialL2 (what autograd differentiated)."""
    s = s.float()
    t = t.detach().float()
    mask = (s > t) | (t > 0)
    return loss_weight * (((s - t).pow(2) * mask).sum() / s.size(0))


def _inputs_with_ties(seed, shape=(4, 8, 6, 6)):
    g = torch.Generator().manual_seed(seed)
    s = torch.randn(shape, generator=g)
    t = torch.randn(shape, generator=g)
    # ties of every kind the mask can meet: s == t (teacher negative and
    # positive), t == 0 (student above, below and equal), large values
    flat_s, flat_t = s.view(-1), t.view(-1)
    idx = torch.randperm(flat_s.numel(), generator=g)[:60]
    flat_s[idx[:10]] = flat_t[idx[:10]]
    flat_t[idx[10:20]] = 0.0
    flat_t[idx[20:25]] = 0.0
    flat_s[idx[20:25]] = 0.0
    flat_t[idx[25:30]] = -0.0
    flat_s[idx[30:35]] = -flat_t[idx[30:35]]
    flat_s[idx[35:40]] *= 1e4
    t = torch.max(t, torch.full((1, shape[1], 1, 1), -0.7))  # margin ReLU
    return s, t


def test_ofd_loss_equals_plain_formula_bitwise():
    """PartialL2 keeps one tensor for backward; value and gradient are the
    plain formula's, bit for bit, on random inputs with ties."""
    for seed in range(5):
        s, t = _inputs_with_ties(seed)
        s1 = s.clone().requires_grad_()
        s2 = s.clone().requires_grad_()
        t1 = t.clone().requires_grad_()  # gets no gradient either way
        new = OFDLoss(loss_weight=0.37)(s1, t1)
        old = _plain_ofd(s2, t, loss_weight=0.37)
        assert torch.equal(new, old), (seed, new.item(), old.item())
        grad_out = torch.rand(
            (), generator=torch.Generator().manual_seed(seed)) + 0.5
        new.backward(grad_out)
        old.backward(grad_out)
        assert torch.equal(s1.grad, s2.grad), seed
        assert t1.grad is None


def test_ofd_loss_half_input_matches_plain_formula():
    s, t = _inputs_with_ties(7)
    s = s.to(torch.bfloat16)
    s1 = s.clone().requires_grad_()
    s2 = s.clone().requires_grad_()
    new = OFDLoss()(s1, t)
    old = _plain_ofd(s2, t)
    assert new.dtype == old.dtype == torch.float32
    assert torch.equal(new, old)
    new.backward()
    old.backward()
    assert s1.grad.dtype == torch.bfloat16
    assert torch.equal(s1.grad, s2.grad)


def test_partial_l2_keeps_one_tensor_for_backward():
    """What autograd keeps for backward: one float tensor of the feature's
    size (the plain formula keeps the difference and the mask)."""
    s, t = _inputs_with_ties(3)
    saved = []

    def pack(x):
        saved.append(x)
        return x

    s = s.requires_grad_()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda x: x):
        OFDLoss()(s, t)
    assert len(saved) == 1 and saved[0].shape == s.shape
    assert saved[0].dtype == torch.float32
    saved.clear()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda x: x):
        _plain_ofd(s, t)
    assert sum(x.numel() * x.element_size() for x in saved) > \
        s.numel() * 4


@pytest.mark.parametrize('layout', ['contiguous', 'channels_last'])
def test_partial_l2_in_chunks_matches_plain_formula(layout):
    """Masked and squared ``chunk`` elements at a time: the gradient is the
    plain formula's bit for bit, the value within 1e-6 (other summation
    order), and bit for bit when one chunk holds everything."""
    s, t = _inputs_with_ties(11, shape=(4, 8, 6, 6))  # 1152 elements
    if layout == 'channels_last':  # the whole-tensor path
        s = s.contiguous(memory_format=torch.channels_last)
        t = t.contiguous(memory_format=torch.channels_last)
    plain_s = s.clone().requires_grad_()
    plain = ((plain_s - t).pow(2) * ((plain_s > t) | (t > 0))).sum()
    plain.backward()
    for chunk in (100, 1152, 1 << 22):
        s1 = s.clone().requires_grad_()
        value = partial_l2(s1, t, chunk)
        value.backward()
        assert torch.equal(s1.grad, plain_s.grad), chunk
        if chunk >= s.numel():
            assert torch.equal(value, plain), chunk
        else:
            torch.testing.assert_close(value, plain, rtol=1e-6, atol=0)


def test_partial_l2_makes_no_feature_sized_mask_or_square():
    """The forward's only feature-sized allocation is the residual it
    keeps (the plain formula makes masks and squares of the feature's
    size)."""
    s, t = _inputs_with_ties(12, shape=(4, 8, 16, 16))  # 8192 elements

    def largest_made(fn):
        """Elements of the storages ``fn``'s ops make (views excluded),
        largest first."""
        storages = {}
        inputs = {x.untyped_storage().data_ptr() for x in (s, t)}

        class Mode(TorchDispatchMode):

            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                out = func(*args, **(kwargs or {}))
                for x in tree_flatten(out)[0]:
                    if isinstance(x, torch.Tensor):
                        ptr = x.untyped_storage().data_ptr()
                        if ptr not in inputs:
                            storages[ptr] = x.untyped_storage().nbytes() \
                                // x.element_size()
                return out

        with Mode():
            fn()
        return sorted(storages.values(), reverse=True)

    made = largest_made(lambda: partial_l2(s.requires_grad_(), t, 1024))
    assert made[0] == s.numel() and made[1] <= 1024
    made = largest_made(lambda: _plain_ofd(s, t))
    assert made[1] == s.numel()


def test_partial_l2_broadcast_and_bad_chunk():
    """A teacher target that broadcasts takes the whole-tensor path (same
    value as the plain formula); a chunk that is not a positive int is
    refused."""
    s, t = _inputs_with_ties(13)
    t = t[:1]  # broadcasts over the batch
    plain = ((s - t).pow(2) * ((s > t) | (t > 0))).sum()
    assert torch.equal(partial_l2(s, t), plain)
    torch.testing.assert_close(partial_l2(s, t, 100), plain, rtol=1e-6, atol=0)
    for chunk in (0, -5, 2.5, True):
        with pytest.raises(ValueError, match='chunk must be a positive int'):
            partial_l2(s, t, chunk)
