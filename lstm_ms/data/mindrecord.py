"""MindRecord files written atomically and read back as MindSpore datasets."""
import os
import shutil
import tempfile
from pathlib import Path

from ..core.errors import UserError


STAGING = ".staging-"
# MindRecord's defaults (32 MiB pages, 16 MiB header) made a 50 MB file of 1 MB of text. 256 KiB pages
# and a 256 KiB header index at least 200 MB of rows (measured; a 16 KiB header failed at 50 MB) and
# keep a small split within a few times its payload. Rows of more than a page (long utterances'
# features), or more data, need a larger ``page_size``.
PAGE_SIZE = 1 << 18
HEADER_SIZE = 1 << 18


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_staging(folder):
    """Remove staging folders that a killed writer left in ``folder`` (their pid is gone)."""
    removed = []
    for stage in Path(folder).glob(STAGING + "*"):
        parts = stage.name[len(STAGING):].split("-")
        if stage.is_dir() and parts[0].isdigit() and not _pid_alive(int(parts[0])):
            shutil.rmtree(stage, ignore_errors=True)
            removed.append(stage)
    return removed


def write(path, schema, rows, description="lstm_ms", page_size=PAGE_SIZE):
    """Write ``rows`` (iterable of dicts of numpy values) to ``path`` (+ ``.db``).

    MindRecord refuses renamed files, so the pair is written under its final name in a staging
    folder beside ``path`` (named after this process, so a later run can tell a killed writer's
    leftovers from a live one's and remove them) and moved into place only once complete.
    """
    from mindspore.mindrecord import FileWriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_staging(path.parent)
    stage = Path(tempfile.mkdtemp(prefix=f"{STAGING}{os.getpid()}-", dir=path.parent))
    try:
        writer = FileWriter(str(stage / path.name), shard_num=1, overwrite=True)
        writer.set_page_size(page_size)
        writer.set_header_size(HEADER_SIZE)
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


def open_dataset(path, columns, order=None, rows=None):
    """``columns`` of the MindRecord file at ``path``, in file order or in ``order`` (row indices, which
    may repeat rows: an ``order`` longer than the file's ``rows`` is read as consecutive pieces, since one
    sampler may not ask for more rows than the file has)."""
    import mindspore.dataset as ds

    if not Path(path).is_file():
        raise UserError(path, "MindRecord file not found (run with --preprocess true first)")
    if order is None:
        return ds.MindDataset(str(path), columns_list=list(columns), shuffle=False)
    order = [int(i) for i in order]
    step = max(1, rows or len(order))
    parts = [ds.MindDataset(str(path), columns_list=list(columns), sampler=ds.SubsetSampler(order[i:i + step]))
             for i in range(0, max(len(order), 1), step)]
    return parts[0] if len(parts) == 1 else parts[0].concat(parts[1:])
