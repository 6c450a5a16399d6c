"""`corpusgate runs list|gc`: the runs of an output, and cleaning up after dead ones."""

from __future__ import annotations

import argparse
import sys

from corpusgate.pipelines.cli.common import add_output_option, add_store_options, print_json

DESCRIPTION = """\
Every run writes under OUTPUT/runs/RUN_ID/ and is published by moving the pointer
OUTPUT/manifest.json to it, so earlier runs stay readable (`corpusgate audit --run RUN_ID`).

  list   every run of the output: published (with totals and the gate's decision per
         source), unfinished (still running, or killed), or damaged; the current one marked
  gc     remove what dead runs left behind (a run killed mid-way leaves its folder) and mark
         them `abandoned` in the store. A run is dead when its process on this machine is
         gone, or when it started more than --older-than hours ago. Published runs are kept."""

EPILOG = """\
examples:
  corpusgate runs list --output out/demo
  corpusgate runs gc --output out/demo --config configs/demo.yaml --dry-run
  corpusgate runs gc --output gs://bucket/corpus --store postgresql+psycopg://... --older-than 48

exit codes: 0 done; 1 the output holds no runs; 2 bad usage"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "runs",
        help="list the runs of an output; clean up after dead runs",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    inner = parser.add_subparsers(dest="action", metavar="ACTION")
    listing = inner.add_parser(
        "list",
        help="every run of the output",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_output_option(listing)
    listing.add_argument("--json", action="store_true", help="print one JSON document")
    listing.set_defaults(handler=lambda args: print_runs(args.output, as_json=args.json))
    gc = inner.add_parser(
        "gc",
        help="remove dead runs' leftovers",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_output_option(gc)
    add_store_options(gc)
    gc.add_argument(
        "--older-than",
        type=float,
        default=24.0,
        metavar="HOURS",
        help="an unfinished run older than this is dead (default 24)",
    )
    gc.add_argument("--dry-run", action="store_true", help="say what would be removed")
    gc.add_argument("--json", action="store_true", help="print one JSON document")
    gc.set_defaults(handler=_gc)

    def _usage(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    parser.set_defaults(handler=_usage)


def _with_writes(output: str, runs: list[dict]) -> list[dict]:
    """Each published run with the records it wrote per source (from its own manifest)."""
    from corpusgate.transforms.output.published import OutputError, open_output

    out = []
    for run in runs:
        if run["state"] == "published":
            try:
                sources = open_output(output, run["run_id"]).manifest["sources"]
            except OutputError:
                sources = {}
            run = {**run, "written": {sid: row["written"] for sid, row in sources.items()}}
        out.append(run)
    return out


def print_runs(output: str, *, as_json: bool) -> int:
    from corpusgate.transforms.output.history import list_runs
    from corpusgate.transforms.output.report.history import source_history

    runs = _with_writes(output, list_runs(output))
    history = source_history(r for r in runs if r["state"] == "published")
    if as_json:
        print_json(
            {
                "output": output,
                "runs": runs,
                "sources": [h.as_dict() for h in history],
                "rejected_sources_used": sorted(h.source_id for h in history if h.breaches),
            }
        )
        return 0 if runs else 1
    if not runs:
        print(f"{output}: no runs (run `corpusgate run` first)", file=sys.stderr)
        return 1
    for run in runs:
        mark = "*" if run["current"] else " "
        if run["state"] != "published":
            print(f"{mark} {run['run_id']}  {run['state']}")
            continue
        totals = run["totals"]
        rejected = sorted(s for s, d in run["gate"].items() if d == "reject")
        print(
            f"{mark} {run['run_id']}  published {run['finished_at']}  read {totals['read']:,}  "
            f"written {totals['written']:,}  quarantined {totals['quarantined']:,}"
            + (f"  gate rejected: {', '.join(rejected)}" if rejected else "")
        )
    print("(* the current publication)")
    if history:
        published = sum(1 for r in runs if r["state"] == "published")
        print(f"\nper source, over {published} published run(s) (B.2.1.1.1 b):")
        width = max(len(h.source_id) for h in history)
        for h in history:
            print(
                f"  {h.source_id:<{width}}  rejected in {len(h.rejected_in)}  "
                f"written in {len(h.written_in)}  {h.answer}"
            )
    return 0


def _gc(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from corpusgate.pipelines.cli.common import load_run_config, open_store
    from corpusgate.transforms.output.history import dead_runs, remove_dead

    dead = dead_runs(args.output, older_than=timedelta(hours=args.older_than))
    if not args.dry_run and dead:
        remove_dead(dead)
        if args.config or args.store:
            store = open_store(args, load_run_config(args))
            for run in dead:
                store.log_run(run.run_id, "abandoned", output=args.output, detail=run.why)
    if args.json:
        print_json(
            {
                "output": args.output,
                "dry_run": args.dry_run,
                "removed": [
                    {"run_id": r.run_id, "location": r.location, "why": r.why} for r in dead
                ],
            }
        )
        return 0
    verb = "would remove" if args.dry_run else "removed"
    for run in dead:
        print(f"{verb} {run.location} ({run.why})")
    if not dead:
        print("nothing to remove: no dead runs")
    return 0
