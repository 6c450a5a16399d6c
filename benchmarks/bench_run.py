"""The whole run with every check on, at N and 10×N: docs/s per core, peak RSS, where time goes.

A mixed corpus from ../shared/data in four sources over 16 JSON Lines files per size (or
`--files-per-source K`): `wiki`
(Chinese Wikipedia from CMRC 2018, English from WikiText-2), `web` (Common Crawl documents and
the text of the WET sample), `forum` (COLD comments: the clean ones, and offensive ones as 2%
of the source, under the 5% gate) and `users` (messages with personal information,
presidio-research's synthetic texts); one malformed line per 1,000.
Every check runs: language identification, provenance, harm with the two-pass 5% gate, PII.

    .venv/bin/python benchmarks/bench_run.py                 # N = 5,000
    .venv/bin/python benchmarks/bench_run.py --n 20000
    .venv/bin/python benchmarks/bench_run.py --workers 2     # also multi-process ×2 at 10×N
    .venv/bin/python benchmarks/bench_run.py --profile       # where the time goes, at N
    .venv/bin/python benchmarks/bench_run.py --checks-off    # also 10×N with the checks off
    .venv/bin/python benchmarks/bench_run.py --workers 2 --pairs 3   # the ×2 ratio, 3 pairs
    .venv/bin/python benchmarks/bench_run.py --peer          # also datatrove on 10×N, one core
    .venv/bin/python benchmarks/bench_run.py --peer --venvs DIR      # its venv under DIR
    .venv/bin/python benchmarks/bench_run.py --workers 2 --files-per-source 1   # 4 large files
    .venv/bin/python benchmarks/bench_run.py --workers 2 --files-per-source 1 --split-mb 4

Prints, per size: docs/s for the whole command and from the run's start to its manifest (per
core: one worker), peak RSS of the run's process, and the RSS ratio 10×N / N (flat: ≤ 1.15).
`--checks-off` runs 10×N once more on one worker with provenance, harm and PII switched off
(reading, language identification, dedup and writing stay) and prints the share of the run's
time the checks take: a ratio of two runs on one machine, it moves far less with the
machine's speed than docs/s do. The ×workers ratio moves from run to run by more than its
target's margin: `--pairs P` measures it over P back-to-back pairs (one worker, then several)
and prints each pair's ratio and the median.
`--peer` runs the peer tool on the same 10×N files on one core and prints its docs/s, peak RSS
and kept/dropped counts next to corpusgate's one-worker run docs/s at 10×N: datatrove's
JsonlReader, lid.176, the same keyword library and harm models, its regex PIIFormatter and
ParquetWriter (`_datatrove_checks.py`, which says what it does less), in a venv of its own
made on first use (`--venvs`, default $TMPDIR/corpusgate-bench-venvs), or skipped with why.
A ratio of two systems on one machine, it moves less with the machine's speed than docs/s do.
Work spreads over workers by file: `--files-per-source 1` leaves one large file per source,
and `--split-mb M` has them read in ranges of M MiB (the profile's `split_jsonl_mb`), so the
×workers ratio of the two says what cutting files buys.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import gzip
import io
import json
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import run_with_peak, shared_data_dir
from _peers import VENVS, datatrove_checks_python
from bench_spine import CHECKS_OFF

from corpusgate.transforms.harm.corpora import clean_texts

FILES = 16
HERE = Path(__file__).resolve().parent


# The sources of the corpus: (source id, languages, registry content_type, origin). The gate
# corrects each source's flagged share by the detector error measured on its content type.
SOURCES = (
    ("wiki", "[zh, en]", "encyclopedic", "domestic"),
    ("web", "[en]", "web", "foreign"),
    ("forum", "[zh]", "social_comments", "domestic"),
    ("users", "[en]", None, "foreign"),
)


def texts(data: Path) -> dict[str, list[str]]:
    """Distinct real texts per source; a source larger than its pool repeats it (the run's
    dedup then removes the repeats, as it would in a crawl that fetched a page twice)."""
    wiki = [
        c["context_text"]
        for c in json.loads((data / "zh-wiki-cmrc2018/cmrc2018_dev.json").read_text())
    ]
    for name in ("valid.txt", "test.txt"):
        wiki += [
            line.strip()
            for line in (data / "en-wikitext2" / name).read_text().splitlines()
            if len(line.strip()) > 80
        ]
    web: list[str] = []
    for name in (
        "dolma__multiple_files__cc_en_head-0091.jsonl.gz",
        "dolma__multiple_files__cc_en_head-0174.jsonl.gz",
    ):
        with gzip.open(data / "web-cc-samples" / name, "rt") as handle:
            web += [json.loads(line)["text"] for line in handle]
    with gzip.open(data / "web-cc-samples/whirlwind__whirlwind.warc.wet.gz", "rb") as handle:
        wet = handle.read()
    web += [p.decode("utf-8", "replace") for p in wet.split(b"WARC/1.0")[2:] if len(p) > 200]
    pages = [row.text for row in clean_texts(data, "web_pages")]
    # The pages of the WARC samples, whole and paragraph by paragraph: 66 pages alone would
    # make the web source nearly all copies.
    web += pages + [p for page in pages for p in page.split("\n") if len(p) > 200]
    synth = json.loads((data / "pii-presidio-research/synth_dataset_v2.json").read_text())
    users = [item["full_text"] for item in synth]
    cold: list[dict[str, str]] = []
    for name in ("train.csv", "dev.csv"):
        with open(data / "cold" / name, encoding="utf-8") as handle:
            cold += list(csv.DictReader(handle))
    forum = [row["TEXT"] for row in cold if row["label"] == "0"]
    # Offensive comments at 2% of the forum: it passes the 5% gate, so its records go through
    # every filter and the run writes what a production run writes.
    forum += [row["TEXT"] for row in cold if row["label"] == "1"][: len(forum) // 49]
    corpus = {"wiki": wiki, "web": web, "forum": forum, "users": users}
    return {
        name: list(dict.fromkeys(t for t in texts if t.strip())) for name, texts in corpus.items()
    }


def build(
    folder: Path,
    n: int,
    corpus: dict[str, list[str]],
    per_source: int = FILES // len(SOURCES),
    split_mb: float = 0,
) -> Path:
    """n records over the sources in turn, each source's share in `per_source` files; the
    profile reads JSON Lines files larger than `split_mb` MiB in ranges (0: whole)."""
    data = folder / "data"
    (folder / "registry").mkdir(parents=True)
    parts: list[list[str]] = [[] for _ in range(per_source * len(SOURCES))]
    for i in range(n):
        s = i % len(SOURCES)
        if i % 1000 == 999:
            line = '{"id": "broken", "text": \n'  # invalid JSON: quarantined
        else:
            pool = corpus[SOURCES[s][0]]
            # The source's m-th record: every text of the pool once before any repeats.
            m = i // len(SOURCES)
            record = {"id": f"doc-{i}", "text": pool[(m * 7919) % len(pool)]}
            line = json.dumps(record, ensure_ascii=False) + "\n"
        parts[s * per_source + (i // len(SOURCES)) % per_source].append(line)
    for s, (source_id, languages, content_type, origin) in enumerate(SOURCES):
        (data / source_id).mkdir(parents=True)
        for j in range(per_source):
            lines = parts[s * per_source + j]
            (data / source_id / f"part-{j:02d}.jsonl").write_text("".join(lines), encoding="utf-8")
        entry = (
            f"source_id: {source_id}\nkind: open_source\nlanguages: {languages}\n"
            f"origin: {origin}\nlocation: {{paths: ['../data/{source_id}/*.jsonl']}}\n"
            "fields: {text: text, id: id}\nlicence: CC-BY-SA-4.0\n"
        )
        if content_type:
            entry += f"content_type: {content_type}\n"
        (folder / "registry" / f"{source_id}.yaml").write_text(entry)
    # The local profile, with the split size (runs on several workers add their options).
    (folder / "profile.yaml").write_text(
        "runner: FnApiRunner\nbeam_options: {direct_running_mode: in_memory}\n"
        f"split_jsonl_mb: {split_mb}\n"
    )
    config = folder / "run.yaml"
    config.write_text(
        f"registry: registry\nstore: sqlite:///{folder}/store.sqlite\noutput: out\n"
        "profile: profile.yaml\nindex: {buckets: 256}\n"
    )
    return config


def checks_off(config: Path) -> Path:
    """The same run with provenance, harm and PII off, into its own output."""
    off = config.with_name("run-checks-off.yaml")
    off.write_text(config.read_text().replace("output: out\n", "output: out-off\n") + CHECKS_OFF)
    return off


def run_once(config: Path, n: int, extra: list[str]) -> dict:
    corpusgate = str(Path(sys.executable).parent / "corpusgate")
    started = time.perf_counter()
    done, peak = run_with_peak([corpusgate, "run", "--config", str(config), "--json", *extra])
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"run failed:\n{done.stderr}")
    manifest = json.loads(done.stdout)
    assert manifest["balanced"] and manifest["totals"]["read"] == n
    run_seconds = (
        datetime.fromisoformat(manifest["finished_at"])
        - datetime.fromisoformat(manifest["started_at"])
    ).total_seconds()
    return {
        "records": n,
        "seconds": seconds,
        "docs_per_s": n / seconds,
        "run_docs_per_s": n / run_seconds,
        "peak_rss_mib": peak,
        "written": manifest["totals"]["written"],
        "quarantined": manifest["totals"]["quarantined"],
        "reasons": manifest["totals"]["quarantined_by_reason"],
    }


# Where a function's own time counts: the first of these found in its file's path. Time spent
# anywhere else (a library, a C builtin, the standard library) counts for whoever called it,
# in proportion to the time each caller spent there, up to one of these.
STAGES = (
    ("readers", "/spine/readers/"),
    ("spine", "/transforms/spine/"),
    ("language", "/transforms/language/"),
    ("provenance", "/transforms/provenance/"),
    ("harm", "/transforms/harm/"),
    ("pii", "/transforms/pii/"),
    ("dedup", "/transforms/dedup/"),
    ("output", "/transforms/output/"),
    ("beam", "/apache_beam/"),
)


def _stage_shares(stats: pstats.Stats) -> Counter[str]:
    """Self time per stage, a library's or builtin's time handed up its callers to a stage."""
    table = stats.stats  # type: ignore[attr-defined]
    memo: dict[tuple, dict[str, float]] = {}

    def split(func: tuple, path: frozenset) -> dict[str, float]:
        """Fractions of `func`'s time per stage."""
        if func in memo:
            return memo[func]
        own = next((name for name, part in STAGES if part in func[0]), None)
        callers = table[func][4] if func in table else {}
        weights = {c: t[2] or t[3] for c, t in callers.items() if c not in path}
        total = sum(weights.values())
        if own is not None or not total:
            found = {own or "other": 1.0}
        else:
            found = Counter()
            for caller, weight in weights.items():
                for stage, part in split(caller, path | {func}).items():
                    found[stage] += part * weight / total
        memo[func] = found
        return found

    shares: Counter[str] = Counter()
    for func, (_, _, tottime, _, _) in table.items():
        for stage, part in split(func, frozenset()).items():
            shares[stage] += tottime * part
    return shares


def profile(config: Path) -> None:
    """Where the time goes in one run at N, by the stage whose code spent it."""
    from corpusgate.pipelines.config import load_config
    from corpusgate.pipelines.curate import run_curation

    profiler = cProfile.Profile()
    profiler.enable()
    run_curation(load_config(config), progress=lambda _: None, warn=lambda _: None)
    profiler.disable()
    shares = _stage_shares(pstats.Stats(profiler, stream=io.StringIO()))
    total = sum(shares.values())
    print("time by stage (cProfile self time, one run at N):")
    for stage, seconds in shares.most_common():
        print(f"  {stage:<11} {seconds / total:6.1%}")


def run_peer(python: Path, data: Path, work: Path) -> dict:
    """datatrove's checks on the corpus files in `data` on one core (`_datatrove_checks.py`),
    with corpusgate's lid.176 file, keyword library and harm models; {"error": ...} if it fails."""
    from corpusgate.transforms.harm.classifier import shipped_models_dir
    from corpusgate.transforms.harm.library import default_library_dir
    from corpusgate.transforms.language.model import model_path

    done = subprocess.run(
        [
            str(python),
            str(HERE / "_datatrove_checks.py"),
            str(data),
            str(work),
            str(model_path()),
            str(default_library_dir()),
            str(shipped_models_dir()),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip()[-1000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _workers(workers: int) -> list[str]:
    """The Beam options of a run on this many worker processes (none for one)."""
    if workers <= 1:
        return []
    return ["--direct_running_mode=multi_processing", f"--direct_num_workers={workers}"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=5_000, help="records at N (default 5,000)")
    parser.add_argument("--workers", type=int, default=1, help="also run 10×N on this many")
    parser.add_argument("--profile", action="store_true", help="print time by stage at N")
    parser.add_argument(
        "--checks-off",
        action="store_true",
        help="also run 10×N with provenance, harm and PII off; print the checks' share of time",
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=1,
        help="with --workers: the ×workers ratio over this many back-to-back pairs (default 1)",
    )
    parser.add_argument(
        "--peer",
        action="store_true",
        help="also run datatrove's comparable checks on the 10×N corpus on one core",
    )
    parser.add_argument(
        "--files-per-source",
        type=int,
        default=FILES // len(SOURCES),
        help=f"JSON Lines files per source (default {FILES // len(SOURCES)}; 1: few large files)",
    )
    parser.add_argument(
        "--split-mb",
        type=float,
        default=0,
        help="read files larger than this many MiB in ranges (the profile's split_jsonl_mb; "
        "default 0: every file whole)",
    )
    parser.add_argument(
        "--venvs",
        type=Path,
        default=VENVS,
        help="where the peer's venv is made (default: $TMPDIR/corpusgate-bench-venvs)",
    )
    args = parser.parse_args()
    corpus = texts(shared_data_dir())
    peer = None
    if args.peer:
        peer, said = datatrove_checks_python(args.venvs)
        print(f"datatrove peer: {said}" if peer else f"datatrove peer: skipped ({said})")
    sizes = ", ".join(f"{name} {len(texts):,}" for name, texts in corpus.items())
    files = args.files_per_source * len(SOURCES)
    split = f", read in {args.split_mb:g} MiB ranges" if args.split_mb else ""
    print(
        f"corpus: distinct texts from shared/data ({sizes}) in {files} files{split}; every check on"
    )
    print(
        f"{'records':>9} {'workers':>7} {'seconds':>8} {'docs/s':>8} {'run docs/s':>10} "
        f"{'/core':>7} {'peak RSS':>9}  written/quarantined"
    )
    peaks = {}
    with tempfile.TemporaryDirectory(prefix="corpusgate-bench-") as tmp:
        configs = {
            n: build(Path(tmp) / f"n{n}", n, corpus, args.files_per_source, args.split_mb)
            for n in (args.n, 10 * args.n)
        }
        runs = [(args.n, 1), (10 * args.n, 1)]
        if args.workers > 1:
            runs.append((10 * args.n, args.workers))
        singles = {}
        ratios = []
        for n, workers in runs:
            extra = _workers(workers)
            # A fresh process per run, its peak RSS its own (`run_with_peak`).
            r = run_once(configs[n], n, extra)
            peaks[(n, workers)] = r["peak_rss_mib"]
            if workers == 1:
                singles[n] = r["run_docs_per_s"]
            print(
                f"{n:>9,} {workers:>7} {r['seconds']:>8.1f} {r['docs_per_s']:>8,.0f} "
                f"{r['run_docs_per_s']:>10,.0f} {r['run_docs_per_s'] / workers:>7,.0f} "
                f"{r['peak_rss_mib']:>7.0f} MiB  {r['written']:,}/{r['quarantined']:,}"
            )
            top = sorted(r["reasons"].items(), key=lambda kv: -kv[1])[:4]
            print(f"{'':>9} quarantined: " + ", ".join(f"{k} {v:,}" for k, v in top))
            if workers > 1:
                ratios.append(r["run_docs_per_s"] / singles[n])
                print(
                    f"{'':>9} ×{workers} workers: {ratios[0]:.2f}× one "
                    "worker (peak RSS is the largest worker process)"
                )
        ratio = peaks[(10 * args.n, 1)] / peaks[(args.n, 1)]
        print(f"peak RSS 10×N / N: {ratio:.2f} (flat: ≤ 1.15)")
        if args.workers > 1 and args.pairs > 1:
            n = 10 * args.n
            for _ in range(args.pairs - 1):
                one = run_once(configs[n], n, [])["run_docs_per_s"]
                ratios.append(
                    run_once(configs[n], n, _workers(args.workers))["run_docs_per_s"] / one
                )
            print(
                f"×{args.workers} workers at {n:,} over {len(ratios)} back-to-back pairs: "
                + ", ".join(f"{x:.2f}×" for x in ratios)
                + f"; median {statistics.median(ratios):.2f}×"
            )
        off = None
        if args.checks_off:
            n = 10 * args.n
            off = run_once(checks_off(configs[n]), n, [])
            share = 1 - singles[n] / off["run_docs_per_s"]
            print(
                f"checks off at {n:,}: {off['run_docs_per_s']:,.0f} run docs/s on one worker "
                f"({off['written']:,}/{off['quarantined']:,}); the checks take {share:.0%} of "
                "the run's time with every check on"
            )
        if peer:
            n = 10 * args.n
            theirs = run_peer(peer, configs[n].parent / "data", configs[n].parent / "datatrove")
            if "error" in theirs:
                print(f"datatrove peer at {n:,}: failed: {theirs['error']}")
            else:
                dropped = ", ".join(f"{k} {v:,}" for k, v in theirs["dropped_by"].items())
                print(
                    f"datatrove peer at {n:,}: {theirs['docs_per_s']:,.0f} docs/s on one core, "
                    f"{theirs['peak_rss_mib']:.0f} MiB, kept {theirs['kept']:,}; corpusgate "
                    f"{singles[n]:,.0f} run docs/s per core = "
                    f"{singles[n] / theirs['docs_per_s']:.2f}× the peer"
                    + (
                        f" (checks off: {off['run_docs_per_s'] / theirs['docs_per_s']:.2f}×)"
                        if off
                        else ""
                    )
                )
                print(
                    f"{'':>9} peer dropped: {dropped} (harm above {theirs['harm_threshold']:g}); "
                    f"its JsonlReader skipped {theirs['malformed_skipped']:,} malformed lines"
                )
                print(
                    f"{'':>9} the peer does less: no provenance, no 5% source gate, no dedup, "
                    "no lineage or audit index, no quarantine, PII by two regexes (e-mail, IP) "
                    "not Presidio, keywords without folding or evasion views"
                )
        if args.profile:
            profile(configs[args.n])
    print("docs/s counts the whole command (start-up included); run docs/s counts from the")
    print("run's start to its manifest; /core divides run docs/s by the workers used.")


if __name__ == "__main__":
    main()
