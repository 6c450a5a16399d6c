"""Build the demo's Hugging Face dataset: `demo/sources/oss-snippets/` (open-source source
`oss-snippets-hf`), whose records carry their own licence field.

The texts were written for this demo; the per-record licences are illustrative labels chosen
to exercise the licence policy (see demo/PROVENANCE.md): MIT and CC0 pass, CC BY / CC BY-SA
pass with obligations, CC BY-NC is not allowed for a commercial provider, a made-up
`LicenseRef-unclear` is unknown, and a row without a licence falls back to the entry's.

Run from the repository root:  .venv/bin/python demo/build_hf_demo.py
The folder is committed; rerun only to change the rows.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "sources" / "oss-snippets"

ROWS: list[dict[str, str | None]] = [
    {
        "snippet_id": "s-001",
        "licence": "MIT",
        "text": "def celsius_to_fahrenheit(c):\n    return c * 9 / 5 + 32\n"
        "A helper that converts a temperature from Celsius to Fahrenheit.",
    },
    {
        "snippet_id": "s-002",
        "licence": "CC-BY-4.0",
        "text": "Tutorial note: when you read a CSV file, state its encoding explicitly; "
        "guessing the encoding is the most common cause of garbled characters.",
    },
    {
        "snippet_id": "s-003",
        "licence": "CC0-1.0",
        "text": "把列表按长度排序可以用 sorted(words, key=len)，它返回一个新列表，原列表不变。",
    },
    {
        "snippet_id": "s-004",
        "licence": "CC-BY-SA-4.0",
        "text": "Glossary: a checksum is a short value computed from data so that accidental "
        "changes to the data can be detected when the value is computed again.",
    },
    {
        "snippet_id": "s-005",
        "licence": "CC-BY-NC-4.0",
        "text": "Course handout: binary search halves the interval it looks at on every step, "
        "so a sorted list of a million items needs about twenty comparisons.",
    },
    {
        "snippet_id": "s-006",
        "licence": "LicenseRef-unclear",
        "text": "论坛摘录：正则表达式里的点号默认不匹配换行符，需要时请打开 DOTALL 选项。",
    },
    {
        "snippet_id": "s-007",
        "licence": None,
        "text": "FAQ: a UTC offset written as +08:00 means local time is eight hours ahead of "
        "Coordinated Universal Time.",
    },
    {
        "snippet_id": "s-008",
        "licence": "MIT License",
        "text": "def is_leap(year):\n    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)\n"
        "Gregorian leap-year rule in one line.",
    },
]


def main() -> int:
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import datasets

    features = datasets.Features(
        {
            "snippet_id": datasets.Value("string"),
            "licence": datasets.Value("string"),
            "text": datasets.Value("string"),
        }
    )
    columns = {name: [row[name] for row in ROWS] for name in features}
    dataset = datasets.Dataset.from_dict(columns, features=features)
    if OUT.exists():
        shutil.rmtree(OUT)
    dataset.save_to_disk(str(OUT))
    print(f"wrote {len(dataset)} rows to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
