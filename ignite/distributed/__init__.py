"""``ignite.distributed`` (``import ignite.distributed as idist``): the same code on one process, on several
processes of one machine and on several machines, through torch.distributed (gloo, nccl, mpi), Horovod or
torch_xla.

```python
import ignite.distributed as idist

def training(local_rank, config):
    x = torch.tensor([idist.get_rank()], device=idist.device())
    print(idist.all_reduce(x), idist.all_gather(idist.hostname()))

with idist.Parallel(backend="gloo", nproc_per_node=2) as parallel:
    parallel.run(training, {"lr": 0.1})
```
"""

from ignite.distributed import comp_models
from ignite.distributed.auto import *  # noqa: F403
from ignite.distributed.auto import __all__ as _auto_all
from ignite.distributed.comp_models import native, xla
from ignite.distributed.comp_models._guard import RankFailedError
from ignite.distributed.launcher import Parallel
from ignite.distributed.utils import *  # noqa: F403
from ignite.distributed.utils import __all__ as _utils_all

__all__ = [*_utils_all, *_auto_all, "Parallel", "RankFailedError"]
