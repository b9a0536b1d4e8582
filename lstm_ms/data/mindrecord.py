"""MindRecord files written atomically and read back as MindSpore datasets."""
import os
import shutil
import tempfile
from pathlib import Path

from ..core.errors import UserError


def write(path, schema, rows, description="lstm_ms"):
    """Write ``rows`` (iterable of dicts of numpy values) to ``path`` (+ ``.db``).

    MindRecord refuses renamed files, so the pair is written under its final name in a staging
    folder beside ``path`` and moved into place only once complete.
    """
    from mindspore.mindrecord import FileWriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".staging-", dir=path.parent))
    try:
        writer = FileWriter(str(stage / path.name), shard_num=1, overwrite=True)
        writer.add_schema(schema, description)
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == 1000:
                writer.write_raw_data(batch)
                batch = []
        if batch:
            writer.write_raw_data(batch)
        writer.commit()
        for suffix in ("", ".db"):
            os.replace(stage / (path.name + suffix), str(path) + suffix)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def open_dataset(path, columns, shuffle, num_shards=None, shard_id=None):
    import mindspore.dataset as ds

    if not Path(path).is_file():
        raise UserError(path, "MindRecord file not found (run with --preprocess true first)")
    return ds.MindDataset(str(path), columns_list=list(columns), shuffle=shuffle,
                          num_shards=num_shards, shard_id=shard_id)
