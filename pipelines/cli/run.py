"""`corpusgate run`: the main curation job."""

from __future__ import annotations

import argparse
import json
import logging
import sys

DESCRIPTION = """\
Run the curation job on the sources of a registry.

Reads every input file of the selected sources, gives each record a deterministic id and a
lineage, and writes one run folder, OUTPUT/runs/RUN_ID/:
  shards/*.parquet      records that passed every check (one row each, with lineage)
  quarantine/*.parquet  records removed, each with its check, reason and raw bytes
  index/*.parquet       where every record id landed (used by `corpusgate audit`)
  files.parquet         every file of the run with its rows and sha256
  reports/              the per-source table (txt, json, html) and the evidence package
  manifest.json         the counts, languages and gate decisions of every source
The run is published only when, for every source, read = written + quarantined: then
OUTPUT/manifest.json, the pointer every reader follows, moves to it in one write. A failed
run publishes nothing and readers keep the previous run (`corpusgate runs list|gc`).

Any option not listed below is passed to Apache Beam unchanged, e.g.
--direct_running_mode=multi_processing --direct_num_workers=2, or --project/--region for
Dataflow. DirectRunner runs on Beam's FnApiRunner (no Prism download attempt).

The config's `profile` (local, dataflow, flink, or a YAML file of your own) sets the runner,
Beam options, `reshuffle_after_read` (spread each file's records over every worker) and
`split_jsonl_mb` (read plain JSON Lines files larger than this in ranges of about this size,
one worker each; 64 in dataflow and flink, 0 in local: files whole)."""

EPILOG = """\
examples:
  corpusgate run --config configs/demo.yaml
  corpusgate run --config configs/demo.yaml --output /tmp/out \\
      --direct_running_mode=multi_processing --direct_num_workers=2
  corpusgate run --config prod.yaml --runner DataflowRunner --output gs://bucket/run1 \\
      --project my-project --region europe-west4 --temp_location gs://bucket/tmp

exit codes: 0 published; 1 the run failed (nothing published); 2 bad configuration"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "run",
        help="run the curation job (read, check, write shards)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config",
        required=True,
        metavar="FILE",
        help="run configuration YAML (registry, store, output, profile)",
    )
    parser.add_argument("--output", metavar="DIR", help="output folder (overrides the config)")
    parser.add_argument(
        "--runner",
        metavar="NAME",
        help="Beam runner (overrides the profile): DirectRunner, FnApiRunner, "
        "DataflowRunner, FlinkRunner",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the manifest as one JSON document instead of the table",
    )
    parser.add_argument("--verbose", action="store_true", help="show Beam's own log messages")
    parser.add_argument(
        "--progress-seconds",
        type=float,
        default=30.0,
        metavar="S",
        help="every S seconds while records are read, print per source those read, kept by "
        "the checks so far (dedup decides at the end) and quarantined, with the rate and "
        "elapsed time (default 30; 0 or --json: quiet)",
    )
    parser.set_defaults(handler=handle, accepts_extra=True)


def handle(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import EXIT_NEGATIVE, CliError
    from corpusgate.pipelines.config import ConfigError, load_config
    from corpusgate.source_registry.entry import RegistryError
    from corpusgate.source_registry.store import StoreError

    logging.getLogger().setLevel(logging.INFO if args.verbose else logging.ERROR)
    from corpusgate.pipelines.runner import quick_check

    try:
        # Before Beam is imported: a bad Dataflow option or output is refused at once.
        quick_check(load_config(args.config, output=args.output, runner=args.runner), args.extra)
    except (ConfigError, RegistryError) as err:
        raise CliError(str(err)) from err
    from corpusgate.pipelines.curate import RunError, run_curation
    from corpusgate.transforms.output.manifest import format_table

    def progress(message: str) -> None:
        print(f"corpusgate: {message}", file=sys.stderr, flush=True)

    try:
        config = load_config(args.config, output=args.output, runner=args.runner)
        result = run_curation(
            config,
            args.extra,
            progress=progress,
            progress_interval=0 if args.json else args.progress_seconds,
        )
    except (ConfigError, RegistryError, StoreError, KeyError, ValueError) as err:
        # ValueError: a check refused its settings (a bad policy file, consent key, ...).
        raise CliError(str(err).strip('"')) from err
    except RunError as err:
        raise CliError(str(err), EXIT_NEGATIVE) from err
    if result.dry_run:
        return _print_dry_run(result.manifest, as_json=args.json)
    if args.json:
        print(json.dumps(result.manifest, ensure_ascii=False))
        return 0
    totals = result.manifest["totals"]
    print(
        f"run {result.run_id} published to {result.output} in {result.seconds:.1f}s "
        f"({totals['read'] / max(result.seconds, 1e-9):,.0f} records/s)"
    )
    print()
    print(format_table(result.manifest))
    print()
    print(f"manifest: {result.output}/manifest.json (run folder runs/{result.run_id})")
    if not result.current:
        print(f"note: a newer run was published meanwhile; this run stays in runs/{result.run_id}")
    example = _example_record(result.output)
    if example:
        print(f"audit a record: corpusgate audit {example} --output {result.output}")
    else:
        print(f"audit a record: corpusgate audit RECORD_ID --output {result.output}")
    return 0


def _example_record(output: str) -> str | None:
    """One published record id, so the next command the user copies works as printed."""
    import pyarrow.parquet as pq

    from corpusgate.transforms.common import files
    from corpusgate.transforms.output.published import OutputError, open_output

    try:
        published = open_output(output)
        shards = published.listed("shards")
    except OutputError:
        return None
    if not shards:
        return None
    with files.open_read(published.path(shards[0].path)) as handle:
        ids = pq.ParquetFile(handle).read_row_group(0, columns=["record_id"]).column(0)
    return str(ids[0]) if len(ids) else None


def _print_dry_run(summary: dict, *, as_json: bool) -> int:
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
        return 0
    print(f"dry run: {summary['runner']} job {summary['job_name']} translated, nothing submitted")
    print(f"  project {summary['project']}, region {summary['region']}, output {summary['output']}")
    print(f"  {summary['transforms']} transforms; steps: {', '.join(summary['steps'])}")
    print(f"  would stage: {', '.join(summary['staged']) or '-'}")
    return 0
