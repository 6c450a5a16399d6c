"""Dedup throughput and memory, side by side with datatrove's MinHash dedup, on one core.

Builds a corpus of real text from ../shared/data (全唐诗 poems, Chinese Wikipedia passages,
English WikiText paragraphs, Common Crawl documents) with planted duplicates: 10% exact
copies of an earlier record (case and spacing changed), 15% near copies (3% of tokens
replaced), the rest distinct (once the real texts run out, they return with 20% of tokens
replaced, a Jaccard of about 0.25 to the original). Then, for N and 10 x N records, each in
its own process:

- corpusgate: a Beam pipeline on the FnApiRunner (one worker) from the JSON Lines text to
  decisions: sign in batches (`dedup_items`), `FindDuplicates` (default settings);
- datatrove: its four MinHash steps (signatures, buckets, clusters, filter) with one worker,
  from the same file, hashing the same shingles (`_datatrove_run.py`); installed by this
  script into its own venv (never the project's), or skipped with a message.

It also measures the signature step alone on the same texts: corpusgate's vectorised MinHash
against datasketch's `MinHash` (SHA-1 per shingle), with how far each estimate is from the
exact Jaccard on the planted near pairs.

    .venv/bin/python benchmarks/bench_dedup.py             # N = 20,000
    .venv/bin/python benchmarks/bench_dedup.py --n 5000 --no-datatrove
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import shared_data_dir
from _peers import VENVS, datatrove_python

HERE = Path(__file__).resolve().parent
EXACT_SHARE, NEAR_SHARE = 0.10, 0.15
_TOKEN = re.compile(r"[\u3400-\u9fff]|\w+|\W+")


def pool(data: Path) -> list[str]:
    texts = []
    poetry = data / "zh-poetry-chinese-poetry" / "quantangshi_poet_tang.jsonl.gz"
    with gzip.open(poetry, "rt", encoding="utf-8") as handle:
        texts += ["\n".join(json.loads(line)["paragraphs"]) for line in handle]
    wiki = json.loads((data / "zh-wiki-cmrc2018" / "cmrc2018_dev.json").read_text())
    texts += [c["context_text"] for c in wiki]
    for name in ("valid.txt", "test.txt"):
        lines = (data / "en-wikitext2" / name).read_text().splitlines()
        texts += [line.strip() for line in lines if len(line.strip()) > 80]
    for path in sorted((data / "web-cc-samples").glob("dolma__multiple_files__*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            texts += [json.loads(line)["text"] for line in handle]
    return [t for t in dict.fromkeys(texts) if t.strip()]


def mutate(text: str, rate: float, rng: random.Random) -> str:
    """Replace about `rate` of the word and CJK tokens with tokens never seen before."""
    out = []
    for token in _TOKEN.findall(text):
        if token[0].isalnum() and rng.random() < rate:
            cjk = "\u3400" <= token[0] <= "\u9fff"
            out.append(chr(rng.randint(0x4E00, 0x9FFF)) if cjk else f"x{rng.randrange(10**9)}")
        else:
            out.append(token)
    return "".join(out)


def corpus(
    texts: list[str], n: int, seed: int
) -> tuple[list[dict[str, str]], int, list[tuple[int, int]]]:
    """Records, how many are exact copies, and the (copy, original) index of each near copy."""
    rng = random.Random(seed)
    order = list(range(len(texts)))
    rng.shuffle(order)
    records: list[dict[str, str]] = []
    near: list[tuple[int, int]] = []
    exact = fresh = 0
    for i in range(n):
        roll = rng.random()
        if i >= 100 and roll < EXACT_SHARE:
            source = records[rng.randrange(i)]["text"]
            text = "  ".join(source.split()).upper() if rng.random() < 0.5 else source + "\n"
            exact += 1
        elif i >= 100 and roll < EXACT_SHARE + NEAR_SHARE:
            original = rng.randrange(i)
            text = mutate(records[original]["text"], 0.03, rng)
            near.append((i, original))
        else:
            base = texts[order[fresh % len(texts)]]
            text = base if fresh < len(texts) else mutate(base, 0.2, rng)
            fresh += 1
        records.append({"id": f"doc-{i:08d}", "text": text})
    return records, exact, near


def write_corpus(folder: Path, records: list[dict[str, str]], files: int = 8) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    whole = folder / "corpus.jsonl"
    with open(whole, "w", encoding="utf-8") as out:
        for r in records:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
    step = -(-len(records) // files)
    for k in range(files):
        with open(folder / f"part-{k:02d}.jsonl", "w", encoding="utf-8") as out:
            for r in records[k * step : (k + 1) * step]:
                out.write(json.dumps(r, ensure_ascii=False) + "\n")
    return whole


def _peak_mib() -> float:
    return (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        / 1024
    )


def child_corpusgate(folder: Path) -> dict[str, Any]:
    """The whole dedup in Beam on one worker: text files -> decisions (counted)."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from corpusgate.transforms.dedup import DedupSettings, DedupSpec, dedup_items
    from corpusgate.transforms.dedup.stage import FindDuplicates

    spec = DedupSpec(DedupSettings())

    class SignFile(beam.DoFn):
        def process(self, path: str):  # type: ignore[no-untyped-def]
            batch = []
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    row = json.loads(line)
                    batch.append(
                        {"record_id": row["id"], "source_id": "bench", "text": row["text"]}
                    )
                    if len(batch) == 2000:
                        yield from dedup_items(batch, [r["record_id"] for r in batch], spec)
                        batch = []
            if batch:
                yield from dedup_items(batch, [r["record_id"] for r in batch], spec)

    out = folder / "removed"
    out.mkdir(exist_ok=True)

    class CountRemoved(beam.DoFn):
        def start_bundle(self) -> None:
            self.n = 0

        def process(self, kv):  # type: ignore[no-untyped-def]
            self.n += kv[1].removed

        def finish_bundle(self) -> None:
            (out / f"{os.getpid()}-{id(self)}-{time.time_ns()}").write_text(str(self.n))

    paths = sorted(str(p) for p in folder.glob("part-*.jsonl"))
    options = PipelineOptions(["--direct_num_workers=1"])
    started = time.perf_counter()
    with beam.Pipeline(runner="FnApiRunner", options=options) as p:
        (
            p
            | beam.Create(paths)
            | beam.Reshuffle()
            | beam.ParDo(SignFile())
            | FindDuplicates(spec.settings, str(folder / "work"))
            | beam.ParDo(CountRemoved())
        )
    seconds = time.perf_counter() - started
    removed = sum(int(p.read_text()) for p in out.iterdir())
    return {"whole": seconds, "removed": removed, "peak_rss_mib": _peak_mib()}


def run_datatrove(
    python: Path, corpus_file: Path, work: Path, bands: int, rows: int, n: int
) -> dict:
    done = subprocess.run(
        [
            str(python),
            str(HERE / "_datatrove_run.py"),
            str(corpus_file),
            str(work),
            "3",
            str(bands),
            str(rows),
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip()[-500:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def signature_comparison(records: list[dict[str, str]], seed: int) -> None:
    """corpusgate's vectorised MinHash against datasketch's hash functions, same shingles."""
    import numpy as np
    from datasketch import MinHash

    from corpusgate.transforms.dedup import DedupSettings, DedupSpec, dedup_items
    from corpusgate.transforms.dedup.minhash import minhasher
    from corpusgate.transforms.dedup.normalize import normalize_text
    from corpusgate.transforms.dedup.shingles import fold_chinese, shingle_sets, tokenize

    spec = DedupSpec(DedupSettings())
    rows = [{"record_id": r["id"], "source_id": "bench", "text": r["text"]} for r in records]
    dedup_items(rows[:10], [None] * 10, spec)  # tables built once per process, not timed
    started = time.perf_counter()
    for start in range(0, len(rows), 2000):
        chunk = rows[start : start + 2000]
        dedup_items(chunk, [None] * len(chunk), spec)
    items_rate = len(rows) / (time.perf_counter() - started)

    texts = [fold_chinese(normalize_text(r["text"])) for r in records]
    sets = shingle_sets(tokenize(texts), np.full(len(texts), 3))
    hasher = minhasher(128, 42)
    started = time.perf_counter()
    hasher.signatures(sets)
    ours_rate = len(records) / (time.perf_counter() - started)
    shingles = [[v.tobytes() for v in sets.of(i)] for i in range(len(records))]
    started = time.perf_counter()
    for values in shingles:
        MinHash(num_perm=128, seed=42).update_batch(values)
    theirs_rate = len(records) / (time.perf_counter() - started)
    print("signatures (one process, same texts, same shingles, 128 permutations):")
    print(
        f"  dedup_items (normalise, shingle, MinHash, bands), batches of 2,000: {items_rate:,.0f} docs/s"
    )
    print(
        f"  MinHash step alone: corpusgate vectorised {ours_rate:,.0f} docs/s; datasketch {theirs_rate:,.0f} docs/s"
    )
    # Estimates against the exact Jaccard of the shingle sets, on pairs (text, edited text)
    # with 3%, 10% and 25% of tokens replaced.
    rng = random.Random(seed)
    originals = [t for t in texts[:3000] if t]
    for rate in (0.03, 0.10, 0.25):
        edited = [mutate(t, rate, rng) for t in originals]
        both = shingle_sets(tokenize(originals + edited), np.full(2 * len(originals), 3))
        sigs = hasher.signatures(both)
        truth, ours, theirs = [], [], []
        for i in range(len(originals)):
            a, b = both.of(i), both.of(len(originals) + i)
            if not len(a) or not len(b):
                continue
            sa, sb = set(a.tolist()), set(b.tolist())
            true = len(sa & sb) / len(sa | sb)
            truth.append(true)
            ours.append(abs(float(np.mean(sigs[i] == sigs[len(originals) + i])) - true))
            sketches = []
            for values in (a, b):
                sketch = MinHash(num_perm=128, seed=42)
                sketch.update_batch([v.tobytes() for v in values])
                sketches.append(sketch)
            theirs.append(abs(sketches[0].jaccard(sketches[1]) - true))
        print(
            f"  {rate:.0%} of tokens replaced ({len(truth)} pairs, mean exact Jaccard "
            f"{np.mean(truth):.2f}): mean |estimate - exact| corpusgate {np.mean(ours):.4f}, "
            f"datasketch {np.mean(theirs):.4f}"
        )


def child_build(folder: Path, n: int, seed: int) -> dict[str, Any]:
    records, exact, near = corpus(pool(shared_data_dir()), n, seed)
    write_corpus(folder, records)
    return {"exact": exact, "near": len(near)}


def child_signatures(n: int, seed: int) -> None:
    records, _, _ = corpus(pool(shared_data_dir()), n, seed)
    signature_comparison(records, seed)


def _child(*args: str) -> dict[str, Any]:
    """Run this script as a child for one step. The parent stays small on purpose: Linux
    carries a parent's peak RSS into a forked child's, so a large parent would inflate
    every figure below."""
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"step {args[0]} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=20_000, help="records in the small corpus")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-datatrove", action="store_true", help="leave datatrove out")
    parser.add_argument(
        "--venvs",
        type=Path,
        default=VENVS,
        help="where the datatrove venv is made (default: $TMPDIR/corpusgate-bench-venvs)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, *rest = args.child
        if step == "build":
            print(json.dumps(child_build(Path(rest[0]), int(rest[1]), args.seed)))
        elif step == "signatures":
            child_signatures(args.n, args.seed)
        elif step == "corpusgate":
            print(json.dumps(child_corpusgate(Path(rest[0]))))
        elif step == "shape":
            from corpusgate.transforms.dedup import DedupSettings

            settings = DedupSettings()
            bands, rows = settings.band_shape()
            print(json.dumps({"bands": bands, "rows": rows, "threshold": settings.threshold}))
        return

    shared_data_dir()  # exits with a message when the data is absent
    python = None
    if not args.no_datatrove:
        python, said = datatrove_python(args.venvs)
        print(f"datatrove: {said}" if python else f"datatrove: skipped ({said})")
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--n",
            str(args.n),
            "--seed",
            str(args.seed),
            "--child",
            "signatures",
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"signature comparison failed:\n{done.stderr[-2000:]}")
    print(done.stdout.rstrip())
    shape = _child("--child", "shape")
    bands, rows = shape["bands"], shape["rows"]
    print(
        f"\nwhole dedup, one core each (corpusgate: FnApiRunner, 1 worker, threshold "
        f"{shape['threshold']}, {bands} bands x {rows} rows; datatrove: 1 worker, "
        f"{bands} buckets x {rows} hashes, 64-bit xxhash)"
    )
    print(
        f"{'system':>11} {'records':>9} {'seconds':>8} {'docs/s':>8} {'peak RSS':>9}  removed (planted exact+near)"
    )
    with tempfile.TemporaryDirectory(prefix="corpusgate-bench-dedup-") as tmp:
        for n in (args.n, 10 * args.n):
            folder = Path(tmp) / f"n{n}"
            planted = _child("--seed", str(args.seed), "--child", "build", str(folder), str(n))
            ours = _child("--child", "corpusgate", str(folder))
            print(
                f"{'corpusgate':>11} {n:>9,} {ours['whole']:>8.1f} {n / ours['whole']:>8,.0f} "
                f"{ours['peak_rss_mib']:>6.0f} MiB  {ours['removed']:,} "
                f"({planted['exact']:,}+{planted['near']:,})"
            )
            if python:
                theirs = run_datatrove(
                    python, folder / "corpus.jsonl", folder / "datatrove", bands, rows, n
                )
                if "error" in theirs:
                    print(f"{'datatrove':>11} {n:>9,} failed: {theirs['error']}")
                else:
                    print(
                        f"{'datatrove':>11} {n:>9,} {theirs['whole']:>8.1f} "
                        f"{n / theirs['whole']:>8,.0f} {theirs['peak_rss_mib']:>6.0f} MiB  "
                        f"{theirs['removed']:,} (signature step alone: "
                        f"{n / theirs['signatures']:,.0f} docs/s)"
                    )
    print("Times are wall-clock on a shared machine; each run is its own process (peak RSS is")
    print("that process's). corpusgate's time counts the whole Beam pipeline, start-up included.")


if __name__ == "__main__":
    main()
