"""Keyword matcher throughput on Chinese text, one core.

    python benchmarks/bench_keywords.py [--mb 20] [--rounds 5]

Repeats the CMRC 2018 Chinese Wikipedia passages to ~MB (UTF-8) per round and times
normalisation alone and normalisation + Aho-Corasick matching with the shipped library, with
and without the traditional → simplified folding, on the passages as they are (simplified) and
converted to traditional by OpenCC's s2t. Times are CPU seconds of this process (the machine
is shared, wall time would measure the neighbours too); neighbours still slow a core down, so
each figure is given as the best and the median of `--rounds` rounds. Prints MB/s, hits and
peak RSS.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import peak_rss_mib, shared_data_dir

from corpusgate.transforms.harm.fold import normalize, traditional_to_simplified
from corpusgate.transforms.harm.keywords import KeywordLibrary, KeywordMatcher


def _rounds(work: Callable[[], int], rounds: int, mb: float) -> tuple[float, float, int]:
    """Best and median MB/s over `rounds` runs of `work`, and what the last run returned."""
    rates: list[float] = []
    result = 0
    for _ in range(rounds):
        t0 = time.process_time()
        result = work()
        rates.append(mb / max(time.process_time() - t0, 1e-9))
    return max(rates), statistics.median(rates), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=20.0, help="MB of text per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per figure")
    args = parser.parse_args()
    data = shared_data_dir()
    passages: list[str] = []
    for name in ("cmrc2018_dev.json", "cmrc2018_trial.json"):
        path = data / "zh-wiki-cmrc2018" / name
        passages.extend(item["context_text"] for item in json.loads(path.read_text("utf-8")))

    import opencc

    s2t = opencc.OpenCC("s2t.json")
    texts = {"simplified": passages, "traditional": [s2t.convert(p) for p in passages]}

    t0 = time.process_time()
    library = KeywordLibrary.load()
    plain = KeywordMatcher(library, fold_traditional=False)
    build_plain = time.process_time() - t0
    t0 = time.process_time()
    folding = KeywordMatcher(library)
    build_fold = time.process_time() - t0
    print(
        f"library v{library.version}: {plain.pattern_count} patterns; load+build "
        f"{build_plain:.2f} s CPU, with t2s {build_fold:.2f} s (t2s table built once, included)"
    )
    t2s = traditional_to_simplified()

    print(f"MB/s, best / median of {args.rounds} rounds")
    for script, units in texts.items():
        unit = sum(len(p.encode("utf-8")) for p in units)
        repeats = max(1, round(args.mb * 1e6 / unit))
        mb = unit * repeats / 1e6

        def run_normalize(
            conv: Callable[[str], str] | None, units: list[str] = units, repeats: int = repeats
        ) -> int:
            for _ in range(repeats):
                for p in units:
                    normalize(p, conv)
            return 0

        def run_match(
            matcher: KeywordMatcher, units: list[str] = units, repeats: int = repeats
        ) -> int:
            hits = 0
            for _ in range(repeats):
                for p in units:
                    hits += len(matcher.match(p))
            return hits // repeats

        print(f"{script}: {len(units)} passages x {repeats} = {mb:.1f} MB UTF-8 per round")
        for label, work in [
            ("normalise", lambda: run_normalize(None)),
            ("normalise, t2s", lambda: run_normalize(t2s)),
            ("normalise + match", lambda: run_match(plain)),
            ("normalise + match, t2s", lambda: run_match(folding)),
        ]:
            best, median, hits = _rounds(work, args.rounds, mb)
            tail = f", {hits} hits per pass" if "match" in label else ""
            print(f"  {label:24s} {best:6.1f} / {median:6.1f}{tail}")
    print(f"peak RSS: {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
