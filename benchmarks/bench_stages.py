"""One run of `bench_run.py`'s corpus at N, every check on, on one worker: the wall time of each
fused Beam stage and the time spent in Python's cyclic garbage collector.

    .venv/bin/python benchmarks/bench_stages.py --n 200000
    .venv/bin/python benchmarks/bench_stages.py --n 20000 --no-freeze   # the collector as it was

Stages are timed around the local runner's bundle execution (`FnApiRunner._execute_bundle`, a
private method of Beam's: a measuring aid, not something the pipeline relies on); a stage's
name lists the transforms fused into it. `--no-freeze` leaves out `heap.freeze_long_lived` in
the checks' setup, so the two runs compare the collector with and without it. The machine's
speed drifts: compare runs made back to back.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import shared_data_dir
from bench_run import build, texts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=20_000, help="records (default 20,000)")
    parser.add_argument("--top", type=int, default=8, help="stages to print (default 8)")
    parser.add_argument(
        "--no-freeze", action="store_true", help="run without heap.freeze_long_lived"
    )
    args = parser.parse_args()

    from apache_beam.runners.portability.fn_api_runner import fn_runner

    from corpusgate.pipelines.config import load_config
    from corpusgate.pipelines.curate import run_curation
    from corpusgate.transforms.harm import stage as harm_stage
    from corpusgate.transforms.spine import check_stage

    if args.no_freeze:
        check_stage.freeze_long_lived = lambda: None  # type: ignore[assignment]
        harm_stage.freeze_long_lived = lambda: None  # type: ignore[assignment]

    seconds: Counter[str] = Counter()
    execute = fn_runner.FnApiRunner._execute_bundle

    def timed(self, context, manager, bundle):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(self, context, manager, bundle)
        finally:
            seconds[manager.stage.name] += time.perf_counter() - started

    fn_runner.FnApiRunner._execute_bundle = timed  # type: ignore[method-assign]

    collector = {"runs": 0, "full": 0, "seconds": 0.0}
    began = [0.0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
            return
        collector["runs"] += 1
        collector["full"] += info["generation"] == 2
        collector["seconds"] += time.perf_counter() - began[0]

    with tempfile.TemporaryDirectory(prefix="corpusgate-stages-") as tmp:
        config = build(Path(tmp) / f"n{args.n}", args.n, texts(shared_data_dir()))
        gc.callbacks.append(on_gc)
        started = time.perf_counter()
        result = run_curation(load_config(config), progress=lambda _: None, warn=lambda _: None)
        total = time.perf_counter() - started
        gc.callbacks.remove(on_gc)
    totals = result.manifest["totals"]
    print(
        f"{args.n:,} records, freeze {'off' if args.no_freeze else 'on'}: run {total:.1f}s, "
        f"{totals['written']:,} written / {totals['quarantined']:,} quarantined"
    )
    print(
        f"garbage collector: {collector['seconds']:.2f}s in {collector['runs']:,} collections "
        f"({collector['full']} full)"
    )
    print(f"Beam stages (wall seconds; {sum(seconds.values()):.1f}s in all):")
    for name, spent in seconds.most_common(args.top):
        print(f"  {spent:7.1f}s  {name[:110]}")


if __name__ == "__main__":
    main()
