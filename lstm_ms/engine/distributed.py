"""MindSpore data parallel: communication init, DATA_PARALLEL with mean gradients, rank info.

Launched by ``msrun`` (GPU, CPU) or one process per device with a rank table (Ascend); the scripts
pass ``--distribute true``.
"""


def init(enabled):
    """Initialise the communication group when ``enabled``; returns (rank, group_size)."""
    if not enabled:
        return 0, 1
    import mindspore as ms
    from mindspore.communication import get_group_size, get_rank
    from mindspore.communication import init as comm_init

    from ..core.errors import UserError

    try:
        comm_init()
    except RuntimeError as exc:
        raise UserError("--distribute", "cannot initialise communication (start the workers with "
                                        f"scripts/run_distribute_train_*.sh): {str(exc).splitlines()[0]}") from None
    rank, size = get_rank(), get_group_size()
    ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL, gradients_mean=True, device_num=size)
    return rank, size


def expand_rank(cfg, rank, keys):
    """Replace ``{rank}`` in the given path keys (e.g. a data copy local to each node)."""
    for key in keys:
        if isinstance(cfg.get(key), str):
            cfg[key] = cfg[key].replace("{rank}", str(rank))
    return cfg
