"""Hugging Face `datasets`, located by 0-based index.

Two local forms: a folder written by `save_to_disk` (a Dataset or a DatasetDict, read split by
split), or a data file read through `load_dataset` ("json", "csv" or "parquet" builder, by
suffix, streamed). Hub access is never attempted: HF_DATASETS_OFFLINE is forced before
`datasets` is imported. A remote path is not read: `datasets` would need its own credentials and
copies, so the failure says to copy the folder to local disk or convert it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from corpusgate.schemas import reasons
from corpusgate.transforms.spine.readers.base import Locator, RawFailure, RawRecord, ReadItem
from corpusgate.transforms.spine.readers.stored import is_remote

_BUILDERS = (
    (".jsonl", "json"),
    (".json", "json"),
    (".jsonl.gz", "json"),
    (".csv", "csv"),
    (".parquet", "parquet"),
)


def read_hf(path: str, uri: str) -> Iterator[ReadItem]:
    if is_remote(path):
        yield RawFailure(
            reasons.UNREADABLE_FILE,
            f"the hf format reads a local folder or file, and {path} is remote: copy it to "
            "local disk, or register its data files as parquet or jsonl",
            b"",
            Locator(uri, "index", 0),
        )
        return
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import datasets

    local = Path(path)
    if local.is_file():
        builder = next((b for suffix, b in _BUILDERS if local.name.endswith(suffix)), None)
        if builder is None:
            raise ValueError(
                f"{path}: a Hugging Face data file must end in {', '.join(s for s, _ in _BUILDERS)}"
            )
        stream = datasets.load_dataset(builder, data_files=path, split="train", streaming=True)
        for index, row in enumerate(stream):
            yield RawRecord(dict(row), Locator(uri, "index", index))
        return
    loaded = datasets.load_from_disk(path)
    splits = loaded.items() if isinstance(loaded, datasets.DatasetDict) else [("", loaded)]
    for split, dataset in sorted(splits, key=lambda item: item[0]):
        split_uri = f"{uri}#{split}" if split else uri
        for index, row in enumerate(dataset):
            yield RawRecord(dict(row), Locator(split_uri, "index", index))
