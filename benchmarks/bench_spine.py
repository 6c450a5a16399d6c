"""Spine throughput: read → lineage → shards/quarantine/index/manifest, checks switched off.

Builds a JSON Lines corpus from real text in ../shared/data (Chinese Wikipedia passages,
English WikiText paragraphs, Common Crawl documents), cycled to N and 10×N records with a
malformed line every 1,000 so the quarantine path runs too, then times `corpusgate run` on one
FnApiRunner worker for each size in its own process, and prints docs/s and peak RSS.

    .venv/bin/python benchmarks/bench_spine.py            # N = 20,000
    .venv/bin/python benchmarks/bench_spine.py --n 5000
    .venv/bin/python benchmarks/bench_spine.py --checks   # every check on (provenance, harm, PII)
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import run_with_peak, shared_data_dir

CHECKS_OFF = "provenance: {enabled: false}\nharm: {enabled: false}\npii: {enabled: false}\n"


def texts(data: Path) -> list[str]:
    out = [
        c["context_text"]
        for c in json.loads((data / "zh-wiki-cmrc2018/cmrc2018_dev.json").read_text())
    ]
    out += [
        line.strip()
        for line in (data / "en-wikitext2/valid.txt").read_text().splitlines()
        if len(line.strip()) > 80
    ]
    for name in (
        "dolma__multiple_files__cc_en_head-0091.jsonl.gz",
        "dolma__multiple_files__cc_en_head-0174.jsonl.gz",
    ):
        with gzip.open(data / "web-cc-samples" / name, "rt") as handle:
            out += [json.loads(line)["text"] for line in handle]
    return out


def build(folder: Path, n: int, corpus: list[str], checks: bool) -> Path:
    data = folder / "data"
    data.mkdir(parents=True)
    per_file = 50_000
    for start in range(0, n, per_file):
        with open(data / f"part-{start // per_file:04d}.jsonl", "w") as handle:
            for i in range(start, min(n, start + per_file)):
                if i % 1000 == 999:
                    handle.write('{"id": "broken", "text": \n')  # invalid JSON: quarantined
                else:
                    handle.write(
                        json.dumps(
                            {"id": f"doc-{i}", "text": corpus[i % len(corpus)]}, ensure_ascii=False
                        )
                        + "\n"
                    )
    (folder / "registry").mkdir()
    (folder / "registry/bench.yaml").write_text(
        "source_id: bench\nkind: open_source\nlanguages: [zh, en]\norigin: foreign\n"
        "location: {paths: ['../data/*.jsonl']}\nfields: {text: text, id: id}\nlicence: CC-BY-SA-4.0\n"
    )
    config = folder / "run.yaml"
    config.write_text(
        f"registry: registry\nstore: sqlite:///{folder}/store.sqlite\noutput: out\n"
        f"profile: local\n{'' if checks else CHECKS_OFF}"
    )
    return config


def run_once(config: Path, n: int) -> dict:
    corpusgate = str(Path(sys.executable).parent / "corpusgate")
    started = time.perf_counter()
    done, peak = run_with_peak([corpusgate, "run", "--config", str(config), "--json"])
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"run failed:\n{done.stderr}")
    manifest = json.loads(done.stdout)
    assert manifest["balanced"] and manifest["totals"]["read"] == n
    from datetime import datetime

    run_seconds = (
        datetime.fromisoformat(manifest["finished_at"])
        - datetime.fromisoformat(manifest["started_at"])
    ).total_seconds()
    return {
        "records": n,
        "seconds": seconds,
        "docs_per_s": n / seconds,
        "run_seconds": run_seconds,
        "run_docs_per_s": n / run_seconds,
        "peak_rss_mib": peak,
        "written": manifest["totals"]["written"],
        "quarantined": manifest["totals"]["quarantined"],
        "shards": manifest["files"]["by_kind"].get("shards", {}).get("files", 0),
        "reasons": manifest["totals"]["quarantined_by_reason"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--n", type=int, default=20_000, help="records in the small corpus (default 20,000)"
    )
    parser.add_argument(
        "--checks", action="store_true", help="run every check, not the spine alone"
    )
    args = parser.parse_args()
    corpus = texts(shared_data_dir())
    print(
        "checks: "
        + ("all (provenance, harm + 5% gate, PII)" if args.checks else "off (spine alone)")
    )
    print(
        f"corpus: {len(corpus)} distinct texts from shared/data, cycled; one malformed line per 1,000"
    )
    print(
        f"{'records':>9} {'seconds':>8} {'docs/s':>8} {'run docs/s':>10} {'peak RSS':>9}  written/quarantined  shards"
    )
    with tempfile.TemporaryDirectory(prefix="corpusgate-bench-") as tmp:
        for n in (args.n, 10 * args.n):
            config = build(Path(tmp) / f"n{n}", n, corpus, args.checks)
            # Each size runs in a fresh process, its peak RSS its own (`run_with_peak`).
            r = run_once(config, n)
            print(
                f"{r['records']:>9,} {r['seconds']:>8.1f} {r['docs_per_s']:>8,.0f} {r['run_docs_per_s']:>10,.0f} "
                f"{r['peak_rss_mib']:>7.0f} MiB  {r['written']:,}/{r['quarantined']:,}  {r['shards']}"
            )
            print(f"{'':>9} quarantined by reason: {r['reasons']}")
    print("docs/s counts the whole command (interpreter and Beam start-up included); run docs/s")
    print("counts from the run's start to its manifest (planning, pipeline, balance check).")


if __name__ == "__main__":
    main()
