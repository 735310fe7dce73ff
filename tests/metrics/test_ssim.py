"""SSIM (spec metrics.md §4.2): equal to scikit-image's ``structural_similarity`` where the two are defined
alike (the map away from the borders, whose padding skimage crops), and to a scipy.ndimage reference of the
spec's formula (reflect padding, then the window along each axis) for the whole value."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_checks import assert_close, check_chunked, check_state_dict_roundtrip, run_engine
from scipy.ndimage import correlate1d
from skimage.metrics import structural_similarity

from ignite.exceptions import NotComputableError
from ignite.metrics import SSIM


def window(k, sigma, gaussian):
    if not gaussian:
        return np.full(k, 1.0 / k)
    x = np.arange(k) - (k - 1) / 2
    g = np.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def reference_map(x, y, data_range, kernel_size, sigma, gaussian, k1=0.01, k2=0.03):
    """numpy SSIM map of one image ``(C, *spatial)``; "mirror" is torch's reflect padding."""

    def filt(t):
        for axis, (k, s) in enumerate(zip(kernel_size, sigma)):
            t = correlate1d(t, window(k, s, gaussian), axis=axis + 1, mode="mirror")
        return t

    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    mx, my = filt(x), filt(y)
    vx, vy, cxy = filt(x * x) - mx * mx, filt(y * y) - my * my, filt(x * y) - mx * my
    return ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))


def reference(y_pred, y, data_range=1.0, kernel_size=(11, 11), sigma=(1.5, 1.5), gaussian=True):
    p, t = y_pred.double().numpy(), y.double().numpy()
    return np.mean([reference_map(a, b, data_range, kernel_size, sigma, gaussian).mean() for a, b in zip(p, t)])


def images(shape, seed, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    y = torch.rand(shape, generator=g, dtype=torch.float64)
    y_pred = (y + 0.1 * torch.randn(shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    return y_pred.to(dtype), y.to(dtype)


def test_worked_examples():
    x = torch.arange(64.0).reshape(1, 1, 8, 8) / 64
    m = SSIM(data_range=1.0, kernel_size=3)
    m.update((x, x * 0.5))
    assert m.compute() == pytest.approx(0.654805, abs=1e-6)
    m = SSIM(data_range=1.0, kernel_size=5, gaussian=False)
    m.update((x, x * 0.5))
    assert m.compute() == pytest.approx(0.646496, abs=1e-6)


@pytest.mark.parametrize(
    "ndims, kwargs, skimage_kwargs",
    [
        (2, {}, dict(gaussian_weights=True, sigma=1.5)),
        (2, dict(kernel_size=7, gaussian=False), dict(win_size=7)),
        (3, dict(kernel_size=9, sigma=1.0), dict(gaussian_weights=True, sigma=1.0)),  # skimage: 9 taps
        (3, dict(kernel_size=5, gaussian=False), dict(win_size=5)),
    ],
)
def test_map_equals_skimage_away_from_borders(ndims, kwargs, skimage_kwargs):
    shape = (2, 3, 24, 28) if ndims == 2 else (2, 2, 12, 14, 16)
    y_pred, y = images(shape, seed=1, dtype=torch.float64)
    metric = SSIM(data_range=1.0, ndims=ndims, **kwargs)
    ssim_map = metric._ssim_map(y_pred, y)
    pad = metric.pads[0]
    inner = (slice(None),) + (slice(pad, -pad),) * ndims
    for p, t, m in zip(y_pred.numpy(), y.numpy(), ssim_map.numpy()):
        value, full = structural_similarity(
            t, p, channel_axis=0, data_range=1.0, use_sample_covariance=False, full=True, **skimage_kwargs
        )
        np.testing.assert_allclose(m[inner], full[inner], atol=1e-10)
        assert m[inner].mean() == pytest.approx(value, abs=1e-10)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.uint8])
def test_2d_matches_reference_for_each_dtype(dtype):
    y_pred, y = images((4, 3, 20, 24), seed=2)
    data_range = 1.0
    if dtype == torch.uint8:
        y_pred, y, data_range = (y_pred * 255).round().to(dtype), (y * 255).round().to(dtype), 255
    else:
        y_pred, y = y_pred.to(dtype), y.to(dtype)
    batches = [(y_pred[:1], y[:1]), (y_pred[1:], y[1:])]
    tol = dict(rtol=2e-3, atol=2e-3) if dtype == torch.float16 else dict(rtol=1e-5, atol=1e-5)
    assert_close(run_engine(SSIM(data_range), batches), reference(y_pred, y, data_range), **tol)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=[3, 5], sigma=[0.8, 1.2]),
        dict(kernel_size=[5, 9], gaussian=False),
        dict(kernel_size=3, gaussian=False, k1=0.02, k2=0.05),
    ],
)
def test_2d_arguments_match_reference(kwargs):
    y_pred, y = images((3, 2, 16, 18), seed=3)
    ks = kwargs.get("kernel_size", 11)
    ks = ks if isinstance(ks, list) else [ks, ks]
    sigma = kwargs.get("sigma", [1.5, 1.5])
    k1, k2 = kwargs.get("k1", 0.01), kwargs.get("k2", 0.03)
    m = SSIM(data_range=1.0, **kwargs)
    m.update((y_pred, y))
    p, t = y_pred.double().numpy(), y.double().numpy()
    gaussian = kwargs.get("gaussian", True)
    expected = np.mean([reference_map(a, b, 1.0, ks, sigma, gaussian, k1, k2).mean() for a, b in zip(p, t)])
    assert m.compute() == pytest.approx(expected, abs=1e-5)


def test_3d_with_anisotropic_window_pads_each_axis_by_its_own_half_window():
    y_pred, y = images((2, 1, 10, 12, 14), seed=4)
    m = SSIM(data_range=1.0, ndims=3, kernel_size=[3, 5, 7], sigma=[0.5, 1.0, 1.5])
    assert m._ssim_map(y_pred, y).shape == y_pred.shape
    m.update((y_pred, y))
    expected = reference(y_pred, y, 1.0, [3, 5, 7], [0.5, 1.0, 1.5])
    assert m.compute() == pytest.approx(expected, abs=1e-5)


def test_kernel_attributes():
    m = SSIM(data_range=1.0, kernel_size=5, gaussian=False)
    assert m._kernel is None
    assert m._kernel_nd.shape == (5, 5) and m._kernel_nd.sum().item() == pytest.approx(1.0)
    m.update(images((1, 3, 8, 8), seed=0))
    assert m._kernel.shape == (3, 1, 5, 5)


def test_constructor_errors():
    with pytest.raises(ValueError, match="Expected ndims to be 2 or 3. Got 4."):
        SSIM(1.0, ndims=4)
    with pytest.raises(ValueError, match="Expected kernel_size to have length of 2. Got 3."):
        SSIM(1.0, kernel_size=[3, 3, 3])
    with pytest.raises(ValueError, match="Argument kernel_size should be either int or a sequence of int of length 2."):
        SSIM(1.0, kernel_size=3.0)
    with pytest.raises(ValueError, match="Expected sigma to have length of 3. Got 2."):
        SSIM(1.0, sigma=[1.0, 1.0], ndims=3)
    with pytest.raises(ValueError, match="Argument sigma should be either float or a sequence of float of length 2."):
        SSIM(1.0, sigma=1)
    with pytest.raises(ValueError, match=r"Expected kernel_size to have odd positive number. Got \[3, 4\]."):
        SSIM(1.0, kernel_size=[3, 4])
    with pytest.raises(ValueError, match="Expected kernel_size to have odd positive number. Got -3."):
        SSIM(1.0, kernel_size=-3)
    with pytest.raises(ValueError, match="Expected sigma to have positive number. Got -1.0."):
        SSIM(1.0, sigma=-1.0)


def test_update_errors_and_empty_state():
    m = SSIM(1.0)
    x = torch.rand(2, 1, 16, 16)
    with pytest.raises(TypeError, match="Expected y_pred and y to have the same data type. Got y_pred: torch.float32"):
        m.update((x, x.double()))
    with pytest.raises(ValueError, match="Expected y_pred and y to have the same shape."):
        m.update((x, x[:, :, :8]))
    with pytest.raises(ValueError, match="Expected y_pred and y to have BxCxHxW or BxCxDxHxW shape."):
        m.update((x[0], x[0]))
    with pytest.raises(ValueError, match="Expected y_pred and y to be non-empty"):
        m.update((x[:0], x[:0]))
    with pytest.raises(ValueError, match="Expected y_pred and y to be on the same device. Got y_pred: meta"):
        m.update((x.to("meta"), x))
    with pytest.raises(ValueError, match=r"larger than half the window \(5\)"):
        m.update((x[:, :, :5], x[:, :, :5]))
    with pytest.raises(NotComputableError, match="SSIM must have at least one example before it can be computed."):
        m.compute()


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 8), cuts=st.lists(st.integers(1, 7), max_size=3), seed=st.integers(0, 2**16))
def test_many_small_updates_equal_one_big(n, cuts, seed):
    y_pred, y = images((n, 2, 12, 12), seed)
    check_chunked(lambda: SSIM(1.0, kernel_size=5), [y_pred, y], cuts, reference(y_pred, y, 1.0, [5, 5]), rtol=1e-5)


def test_state_dict_roundtrip_and_inputs_untouched():
    y_pred, y = images((4, 2, 12, 12), seed=5)
    before = y_pred.clone(), y.clone()
    check_state_dict_roundtrip(lambda: SSIM(1.0), [(y_pred[:2], y[:2]), (y_pred[2:], y[2:])])
    assert torch.equal(before[0], y_pred) and torch.equal(before[1], y)


@pytest.mark.parametrize(
    "ndims, shape, kwargs",
    [
        (2, (2, 2, 37, 45), {}),
        (3, (1, 2, 19, 23, 29), dict(kernel_size=[3, 5, 7], sigma=[0.5, 1.0, 1.5])),
    ],
)
def test_long_axes_filtered_block_by_block_give_the_same_value(ndims, shape, kwargs):
    # long axes (> 512 by default) are filtered in blocks; small limits exercise that path and partial blocks
    y_pred, y = images(shape, seed=6, dtype=torch.float64)
    m = SSIM(data_range=1.0, ndims=ndims, **kwargs)
    m._filter._dense_limit, m._filter._block = 4, 8
    m.update((y_pred, y))
    ks = kwargs.get("kernel_size", [11] * ndims)
    sigma = kwargs.get("sigma", [1.5] * ndims)
    assert m.compute() == pytest.approx(reference(y_pred, y, 1.0, ks, sigma), abs=1e-10)


def test_nan_inputs_raise_instead_of_returning_nan():
    m = SSIM(1.0)
    m.update((torch.full((2, 1, 16, 16), float("nan")), torch.rand(2, 1, 16, 16)))
    with pytest.raises(ValueError, match="SSIM is NaN: y_pred or y contains NaN values."):
        m.compute()
