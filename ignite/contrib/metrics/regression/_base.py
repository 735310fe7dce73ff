"""Private helpers of the regression metrics, re-exported from :mod:`ignite.metrics.regression._base`."""

from ignite.contrib.metrics._shim import forward

__getattr__ = forward(
    __name__,
    {
        name: "ignite.metrics.regression._base"
        for name in ("_BaseRegression", "_check_output_shapes", "_check_output_types", "_torch_median")
    },
)
