"""Keyword matcher throughput on Chinese text, one core.

    python benchmarks/bench_keywords.py [--mb 50]

Repeats the CMRC 2018 Chinese Wikipedia passages to ~50 MB (UTF-8) and times normalisation +
Aho-Corasick matching with the shipped library, in CPU seconds of this process (the machine is
shared, wall time would measure the neighbours too). Prints MB/s, hits and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import peak_rss_mib, shared_data_dir

from corpusgate.transforms.harm.keywords import KeywordLibrary, KeywordMatcher
from corpusgate.transforms.harm.normalize import normalize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=50.0, help="MB of text to scan")
    args = parser.parse_args()
    data = shared_data_dir()
    passages: list[str] = []
    for name in ("cmrc2018_dev.json", "cmrc2018_trial.json"):
        path = data / "zh-wiki-cmrc2018" / name
        passages.extend(item["context_text"] for item in json.loads(path.read_text("utf-8")))
    unit = sum(len(p.encode("utf-8")) for p in passages)
    repeats = max(1, round(args.mb * 1e6 / unit))
    total_bytes = unit * repeats

    t0 = time.process_time()
    library = KeywordLibrary.load()
    matcher = KeywordMatcher(library)
    build_s = time.process_time() - t0
    print(f"library v{library.version}: {matcher.pattern_count} patterns, "
          f"load+build {build_s:.2f} s CPU")

    t0 = time.process_time()
    for _ in range(max(1, repeats // 10)):
        for p in passages:
            normalize(p)
    norm_s = time.process_time() - t0
    norm_bytes = unit * max(1, repeats // 10)

    hits = 0
    t0 = time.process_time()
    for _ in range(repeats):
        for p in passages:
            hits += len(matcher.match(p))
    match_s = time.process_time() - t0
    mb = total_bytes / 1e6
    print(f"text: {len(passages)} passages x {repeats} = {mb:.1f} MB UTF-8")
    print(f"normalise only: {norm_bytes / 1e6 / norm_s:.1f} MB/s")
    print(f"normalise + match: {mb / match_s:.1f} MB/s ({match_s:.1f} s CPU), "
          f"{hits // repeats} hits per pass over the {len(passages)} passages")
    print(f"peak RSS: {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
