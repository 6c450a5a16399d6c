"""Hugging Face `datasets` saved on local disk (`save_to_disk`), located by 0-based index.

Hub access is never attempted: HF_DATASETS_OFFLINE is forced before `datasets` is imported.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from corpusgate.transforms.readers.base import Locator, RawRecord, ReadItem


def read_hf(path: Path, uri: str) -> Iterator[ReadItem]:
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import datasets

    loaded = datasets.load_from_disk(str(path))
    splits = loaded.items() if isinstance(loaded, datasets.DatasetDict) else [("", loaded)]
    for split, dataset in sorted(splits, key=lambda item: item[0]):
        split_uri = f"{uri}#{split}" if split else uri
        for index, row in enumerate(dataset):
            yield RawRecord(dict(row), Locator(split_uri, "index", index))
