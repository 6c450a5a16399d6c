"""Build the demo's mirror dump: `demo/sources/zh-wiki-mirror/pages_2024-06.jsonl`.

A fictional domestic site that mirrors Chinese Wikipedia, dumped in June 2024: four of its six
pages repeat passages of the demo's `zh-wiki-cmrc2018` source (CMRC 2018, CC BY-SA 4.0), the
way mirrors and reposts do, and two are its own notices, written for this demo:

- mirror-001: TRIAL_800 as it is                       -> exact_duplicate
- mirror-002: TRIAL_154 in full-width digits and letters, spaces added around the text
                                                        -> exact_duplicate (same normalised text)
- mirror-003: TRIAL_598 with a repost notice appended  -> near_duplicate
- mirror-004: TRIAL_662 in traditional characters (OpenCC s2t)
                                                        -> near_duplicate (shingles fold scripts)
- mirror-005, mirror-006: the site's own notices        -> kept

With `dedup.keeper_sources: [zh-wiki-cmrc2018, ...]` (configs/demo.yaml) the encyclopedia's copy
is the one kept. Rebuilding gives the same file, byte for byte.

Run from the repository root:  .venv/bin/python demo/build_dedup_demo.py
"""

from __future__ import annotations

import json
from pathlib import Path

import opencc

HERE = Path(__file__).resolve().parent
WIKI = HERE / "sources" / "zh-wiki" / "cmrc2018_trial_slice.jsonl"
OUT = HERE / "sources" / "zh-wiki-mirror" / "pages_2024-06.jsonl"

NOTICES = [
    "本站为百科镜像站点，内容每周同步一次。如发现页面内容过期，请在讨论区留言，我们会尽快更新。",
    "镜像站使用说明：页面底部的“原文链接”指向来源条目，转载时请保留署名并以相同方式共享。",
]


def _full_width(text: str) -> str:
    """ASCII letters and digits in their full-width forms (NFKC maps them back)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def build() -> list[dict[str, str]]:
    wiki = {
        row["context_id"]: row["context_text"]
        for row in map(json.loads, WIKI.read_text(encoding="utf-8").splitlines())
    }
    to_traditional = opencc.OpenCC("s2t.json")
    pages = [
        wiki["TRIAL_800"],
        "  " + _full_width(wiki["TRIAL_154"]) + "  ",
        wiki["TRIAL_598"] + "（本文转载自维基百科，依 CC BY-SA 4.0 授权。）",
        to_traditional.convert(wiki["TRIAL_662"]),
        *NOTICES,
    ]
    return [
        {"page_id": f"mirror-{i:03d}", "fetched_at": "2024-06-15T08:00:00Z", "body": text}
        for i, text in enumerate(pages, 1)
    ]


def main() -> None:
    lines = [json.dumps(row, ensure_ascii=False) for row in build()]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(HERE.parent)}: {len(lines)} pages")


if __name__ == "__main__":
    main()
