"""Throughput of PII detection on real web text, and proof that the pre-filter changes nothing.

    python benchmarks/bench_pii.py [--repeat N]

Texts: the Common Crawl-derived English documents in web-cc-samples (JSONL) and the Chinese
Wikipedia passages of zh-wiki-cmrc2018. One process, one core. For each corpus it runs the
windowed detector (the product) and Presidio's AnalyzerEngine on whole texts with the same
recognizers, judged by the same policy and overlap rules (the reference), reports docs/s and
MB/s for both (after one untimed warm-up pass) plus the fastest and the median windowed pass in
CPU time (the fastest is the figure least disturbed by other processes on a shared machine, the
median the one a typical pass reaches), and counts documents whose
results differ (0 expected; the windowed detector departs on purpose only for digit runs of 30+
digits and runs of years, which it never hands to libphonenumber).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time

from _data import peak_rss_mib, shared_data_dir

from corpusgate.transforms.pii.analyzer import build_analyzer
from corpusgate.transforms.pii.detector import PiiDetector
from corpusgate.transforms.pii.languages import profile_for
from corpusgate.transforms.pii.policy import PiiPolicy


def load_corpora() -> dict[str, tuple[str, list[str]]]:
    data = shared_data_dir()
    web = []
    for path in sorted((data / "web-cc-samples").glob("dolma__*.json*.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            web += [json.loads(line)["text"] for line in fh if line.strip()]
    zh = []
    for name in ("cmrc2018_dev.json", "cmrc2018_trial.json"):
        zh += [
            c["context_text"] for c in json.loads((data / "zh-wiki-cmrc2018" / name).read_text())
        ]
    return {"web-cc-samples (en)": ("en", web), "zh-wiki-cmrc2018 (zh)": ("zh", zh)}


def n_docs(texts: list[str]) -> int:
    return len(texts)


class WholeText:
    """The reference: Presidio's AnalyzerEngine on each whole text."""

    def __init__(self, detector: PiiDetector) -> None:
        self.detector = detector
        self.analyzer = build_analyzer()

    def detect_batch(self, texts: list[str], language: str) -> list:
        out = []
        for text in texts:
            profile = profile_for(language, text)
            results = self.analyzer.analyze(text=text, language=profile, score_threshold=0.0)
            out.append(self.detector.to_entities(results, text, profile))
        return out


def timed(detector: PiiDetector | WholeText, texts: list[str], language: str, repeat: int):
    """Total wall time, each pass's CPU time, and the last pass's results. The machine is
    shared: process CPU time is less disturbed by others than wall time."""
    results = None
    passes = []
    start = time.perf_counter()
    for _ in range(repeat):
        t0 = time.process_time()
        results = detector.detect_batch(texts, language)
        passes.append(time.process_time() - t0)
    return time.perf_counter() - start, passes, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10, help="timed passes over each corpus")
    args = parser.parse_args()
    corpora = load_corpora()
    policy = PiiPolicy.load()
    t0 = time.perf_counter()
    windowed = PiiDetector(policy)
    print(f"detector set-up (en+zh profiles): {time.perf_counter() - t0:.2f} s")
    whole = WholeText(windowed)
    print()
    header = (
        f"{'corpus':<24} {'docs':>5} {'avg chars':>9} {'mode':<9} {'docs/s':>8} "
        f"{'MB/s':>6} {'skipped':>8} {'scanned':>8} {'entities':>8}"
    )
    print(header)
    print("-" * len(header))
    for name, (lang, texts) in corpora.items():
        mb = sum(len(t.encode("utf-8")) for t in texts) * args.repeat / 1e6
        avg = sum(map(len, texts)) / len(texts)
        # One untimed pass first: libphonenumber loads each region's metadata and Presidio
        # compiles its patterns on first use; a worker pays that once, not per bundle.
        dt_cold, _, _ = timed(windowed, texts, lang, 1)
        print(f"{name:<24} first (cold) pass: {n_docs(texts) / dt_cold:.0f} docs/s")
        windowed.stats.__init__()
        dt_w, passes_w, res_w = timed(windowed, texts, lang, args.repeat)
        st = windowed.stats
        timed(whole, texts[:5], lang, 1)
        dt_f, _, res_f = timed(whole, texts, lang, 1)
        n = len(texts)
        n_ent = sum(map(len, res_w))
        print(
            f"{name:<24} {n:>5} {avg:>9.0f} {'windowed':<9} {n * args.repeat / dt_w:>8.0f} "
            f"{mb / dt_w:>6.2f} {st.skipped / args.repeat:>8.0f} "
            f"{st.chars_scanned / max(1, sum(map(len, texts)) * args.repeat):>7.1%} {n_ent:>8}"
        )
        print(
            f"{'':<24} windowed passes, CPU time, one core: fastest {n / min(passes_w):.0f}, "
            f"median {n / statistics.median(passes_w):.0f}, slowest {n / max(passes_w):.0f} "
            f"docs/s"
        )
        print(
            f"{'':<24} {'':>5} {'':>9} {'whole':<9} {n / dt_f:>8.0f} "
            f"{mb / args.repeat / dt_f:>6.2f} {'-':>8} {'100.0%':>8} {sum(map(len, res_f)):>8}"
        )
        diff = sum(1 for a, b in zip(res_w, res_f, strict=True) if a != b)
        print(f"{'':<24} documents whose windowed result differs from whole-text: {diff}")
        types: dict[str, int] = {}
        for ents in res_w:
            for e in ents:
                types[e.entity_type] = types.get(e.entity_type, 0) + 1
        print(f"{'':<24} entities by type: {dict(sorted(types.items()))}")
    print()
    print(f"peak RSS: {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
