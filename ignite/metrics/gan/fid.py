"""Fréchet Inception Distance, with the matrix square root done in torch (no numpy or scipy at run time)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics._device_sum import _add_partial as _accumulate
from ignite.metrics.gan.utils import InceptionModel, _BaseInceptionMetric
from ignite.metrics.metric import _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["FID", "fid_score"]


def _sqrt_psd(sigma: torch.Tensor) -> torch.Tensor:
    """Symmetric square root of a symmetric positive semi-definite matrix (negative eigenvalues clipped)."""
    eigenvalues, eigenvectors = torch.linalg.eigh(sigma)
    return (eigenvectors * eigenvalues.clamp(min=0).sqrt()) @ eigenvectors.mT


def _trace_sqrt_product(sigma1: torch.Tensor, sigma2: torch.Tensor) -> torch.Tensor:
    """``trace(sqrtm(sigma1 @ sigma2))`` for covariance matrices, as a 0-d tensor on their device.

    ``sigma1 @ sigma2`` is similar to the symmetric ``S sigma2 S`` with ``S = sigma1^(1/2)``, so both have the same
    (non-negative) eigenvalues and the trace of the square root is the sum of their square roots: two symmetric
    eigendecompositions, exact also for singular covariances where a general ``sqrtm`` struggles.
    """
    root1 = _sqrt_psd(sigma1)
    product = root1 @ sigma2 @ root1
    product = (product + product.mT) / 2  # symmetric up to rounding: make it exactly so for eigvalsh
    return torch.linalg.eigvalsh(product).clamp(min=0).sqrt().sum()


def fid_score(
    mu1: torch.Tensor | Sequence,
    mu2: torch.Tensor | Sequence,
    sigma1: torch.Tensor | Sequence,
    sigma2: torch.Tensor | Sequence,
    eps: float = 1e-6,
) -> float:
    r"""Fréchet distance between the Gaussians ``N(mu1, sigma1)`` and ``N(mu2, sigma2)``:
    :math:`\|\mu_1 - \mu_2\|^2 + \mathrm{tr}(\Sigma_1) + \mathrm{tr}(\Sigma_2) - 2\,\mathrm{tr}\sqrt{\Sigma_1\Sigma_2}`.

    Computed in float64 (float32 on MPS) on the device of ``sigma1``; array-likes are accepted. If the square root
    term is not finite, ``Σ sqrt(diag(sigma1) diag(sigma2))`` replaces its trace. ``eps`` is accepted for
    compatibility; the eigendecomposition needs no regularisation.

    ```python
    import torch
    from ignite.metrics.gan.fid import fid_score

    fid_score(torch.zeros(2), torch.ones(2), torch.eye(2), torch.eye(2))  # 2.0
    ```
    """
    sigma1 = torch.as_tensor(sigma1)
    device = sigma1.device
    dtype = torch.float32 if device.type == "mps" else torch.float64
    mu1, mu2, sigma1, sigma2 = (torch.as_tensor(x).to(device=device, dtype=dtype) for x in (mu1, mu2, sigma1, sigma2))
    diff = mu1 - mu2
    trace_covmean = _trace_sqrt_product(sigma1, sigma2)
    fallback = (sigma1.diagonal() * sigma2.diagonal()).sqrt().sum()
    trace_covmean = torch.where(torch.isfinite(trace_covmean), trace_covmean, fallback)  # no host sync
    return (diff.dot(diff) + sigma1.trace() + sigma2.trace() - 2 * trace_covmean).item()


class FID(_BaseInceptionMetric):
    r"""Fréchet distance between the feature distributions of generated (``y_pred``) and real (``y``) samples.

    Each set's features are summarised by their mean and covariance (running sums in float64 on ``device``);
    ``compute`` returns :func:`fid_score` of the two Gaussians.

    Args:
        num_features: width of the features returned by ``feature_extractor``.
        feature_extractor: module mapping a batch to ``(N, num_features)`` features. If neither argument is
            given, :class:`~ignite.metrics.gan.utils.InceptionModel` (1000 class probabilities, needs
            torchvision and its pretrained weights) is used; if only ``num_features`` is, the inputs are the
            features themselves.
        output_transform: applied to the engine output before ``update``.
        device: where the sums (and the extractor) live.

    ``update`` takes ``(y_pred, y)`` batches of equal shape. ``compute`` needs at least two samples.

    ```python
    import torch
    from ignite.metrics import FID

    fid = FID(num_features=2, feature_extractor=torch.nn.Identity())
    fid.update((torch.tensor([[1.0, 0], [0, 1], [1, 1], [2, 0]]), torch.tensor([[0.5, 0.5], [1, 0], [0, 2], [1, 1]])))
    fid.compute()  # 0.4734...
    ```
    """

    _state_dict_all_req_keys = ("_num_examples", "_train_total", "_test_total", "_train_sigma", "_test_sigma")

    def __init__(
        self,
        num_features: int | None = None,
        feature_extractor: torch.nn.Module | None = None,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
    ) -> None:
        if num_features is None and feature_extractor is None:
            num_features = 1000
            feature_extractor = InceptionModel(return_features=False, device=device)
        self._eps = 1e-6
        super().__init__(num_features, feature_extractor, output_transform=output_transform, device=device)

    def _get_covariance(self, sigma: torch.Tensor, total: torch.Tensor) -> torch.Tensor:
        """Unbiased covariance from the sum of outer products ``sigma`` and the sum ``total`` of the samples."""
        n = self._num_examples
        return (sigma - torch.outer(total, total) / n) / (n - 1)

    @reinit__is_reduced
    def reset(self) -> None:
        n, dd, device = self._num_features, self._double_dtype, self._device
        self._train_sigma = torch.zeros((n, n), dtype=dd, device=device)
        self._train_total = torch.zeros(n, dtype=dd, device=device)
        self._test_sigma = torch.zeros((n, n), dtype=dd, device=device)
        self._test_total = torch.zeros(n, dtype=dd, device=device)
        self._num_examples = 0
        super().reset()

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        train, test = output[0], output[1]
        train_features = self._extract_features(train)
        test_features = self._extract_features(test)
        if train_features.shape != test_features.shape:
            raise ValueError(
                "Number of Training Features and Testing Features should be equal "
                f"({train_features.shape} != {test_features.shape})"
            )
        self._train_total = _accumulate(self._train_total, train_features.sum(dim=0))
        self._train_sigma = _accumulate(self._train_sigma, train_features.mT @ train_features)
        self._test_total = _accumulate(self._test_total, test_features.sum(dim=0))
        self._test_sigma = _accumulate(self._test_sigma, test_features.mT @ test_features)
        self._num_examples += train_features.shape[0]

    @sync_all_reduce("_num_examples", "_train_total", "_test_total", "_train_sigma", "_test_sigma")
    def compute(self) -> float:
        n = self._num_examples
        if n < 2:
            raise NotComputableError("FID must have at least two examples before it can be computed.")
        value = fid_score(
            mu1=self._train_total / n,
            mu2=self._test_total / n,
            sigma1=self._get_covariance(self._train_sigma, self._train_total),
            sigma2=self._get_covariance(self._test_sigma, self._test_total),
            eps=self._eps,
        )
        if not math.isfinite(value):
            warnings.warn("The product of covariance of train and test features is out of bounds.", UserWarning)
        return value
