"""`curate`: the main job. Composition only: every step lives in `corpusgate.transforms`.

registry ─► ReadSource ─► (checks) ─► WriteShards ─┐
                └─► quarantine ─────► WriteQuarantine ─┼─► audit index ─► manifest
"""

from __future__ import annotations

import importlib
import logging
import os
import secrets
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from corpusgate.pipelines.config import RunConfig
from corpusgate.schemas.records import (
    QUARANTINE_SCHEMA,
    QUARANTINED,
    SHARD_SCHEMA,
    WRITTEN,
    shard_metadata,
)
from corpusgate.source_registry.entry import SourceEntry
from corpusgate.source_registry.registry import Registry
from corpusgate.source_registry.store import Store
from corpusgate.transforms.output import manifest as manifest_core
from corpusgate.transforms.output import publish as publishing
from corpusgate.transforms.output.report import report_files
from corpusgate.transforms.output.shards import (
    BUCKETS,
    FILES,
    INDEX_RUNS,
    OUTCOMES,
    FileWritten,
    WritePairs,
    WriteShards,
    merge_index_bucket,
)
from corpusgate.transforms.spine.checks import (
    CHECK_MODULES,
    PAIRS,
    QUARANTINE,
    RECORDS,
    SUMMARY,
    CheckContext,
    facts_of,
)
from corpusgate.transforms.spine.read_source import READ_COUNTS, ReadSource, ReadTask
from corpusgate.transforms.spine.readers.stored import is_remote
from corpusgate.transforms.spine.to_record import SourceContext

log = logging.getLogger("corpusgate.curate")

# Beam names a user may type for the local runner; all run on FnApiRunner (see configs/local.yaml).
LOCAL_RUNNER_ALIASES = {"direct": "FnApiRunner", "directrunner": "FnApiRunner"}


class RunError(RuntimeError):
    """The run could not complete; nothing was published."""


@dataclass(frozen=True)
class RunResult:
    output: str
    run_id: str
    manifest: dict[str, Any]
    seconds: float


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def plan_tasks(entries: list[SourceEntry], run_id: str, config_sha256: str) -> list[ReadTask]:
    """One task per input file; missing inputs fail here, before any pipeline starts."""
    tasks = []
    for entry in entries:
        context = SourceContext(
            source_id=entry.source_id,
            entry_sha256=entry.sha256,
            fields=tuple(sorted(entry.fields.items())),
            licence=entry.licence,
            evidence=tuple((e.role, e.path, e.sha256) for e in entry.evidence),
            run_id=run_id,
            config_sha256=config_sha256,
        )
        for path in entry.input_files():
            # Relative to the entry file, so ids keyed on file + line survive moving the tree;
            # a remote file (gs://…) is named by its URL.
            uri = (
                path if is_remote(path) else os.path.relpath(os.path.realpath(path), entry.base_dir)
            )
            tasks.append(ReadTask(context, path, entry.format_of(path), uri))
    return tasks


def _tag_files(kind: str):  # type: ignore[no-untyped-def]
    return lambda written: ("file", kind, written)


def build_pipeline(
    pipeline: beam.Pipeline,
    tasks: list[ReadTask],
    staging: str,
    *,
    run_id: str,
    config_sha256: str,
    max_rows: int,
    row_group_rows: int,
    reshuffle: bool,
    checks: list[tuple[str, beam.PTransform]] = (),  # type: ignore[assignment]
) -> None:
    """Read → each check in order → shards; every quarantine output → the quarantine files."""
    meta = shard_metadata(run_id, config_sha256)
    read = pipeline | "ReadSource" >> ReadSource(tasks, reshuffle=reshuffle)
    records = read["records"]
    quarantined = [read[QUARANTINE]]
    summaries = []
    pairs = []
    for label, check in checks:
        out = records | label >> check
        records = out[RECORDS]
        quarantined.append(out[QUARANTINE])
        if out.get(SUMMARY) is not None:
            summaries.append(out[SUMMARY])
        if out.get(PAIRS) is not None:
            pairs.append(out[PAIRS])
    if pairs:
        pair_files = (
            pairs
            | "AllPairs" >> beam.Flatten()
            | "WritePairs" >> WritePairs(staging)
            | "TagPairFiles" >> beam.MapTuple(lambda kind, written: ("pair_file", kind, written))
        )
        summaries.append(pair_files)

    kept = records | "WriteShards" >> WriteShards(
        staging,
        "shards",
        SHARD_SCHEMA,
        meta,
        WRITTEN,
        max_rows=max_rows,
        row_group_rows=row_group_rows,
    )
    held = (
        quarantined
        | "FlattenQuarantine" >> beam.Flatten()
        | "WriteQuarantine"
        >> WriteShards(
            staging,
            "quarantine",
            QUARANTINE_SCHEMA,
            meta,
            QUARANTINED,
            max_rows=max_rows,
            row_group_rows=row_group_rows,
        )
    )
    index_files = (
        (kept[INDEX_RUNS], held[INDEX_RUNS])
        | "AllIndexRuns" >> beam.Flatten()
        | "RunPaths" >> beam.Map(lambda run: run.path)
        | "CollectRuns" >> beam.combiners.ToList()
        | "PerBucket" >> beam.FlatMap(lambda runs: [(bucket, runs) for bucket in BUCKETS])
        | "SpreadBuckets" >> beam.Reshuffle()
        | "MergeIndex"
        >> beam.MapTuple(lambda bucket, runs: merge_index_bucket(staging, bucket, runs))
        | "SkipEmpty" >> beam.Filter(lambda written: written is not None)
    )
    outcomes = (
        (kept[OUTCOMES], held[OUTCOMES])
        | "AllOutcomes" >> beam.Flatten()
        | "CountOutcomes" >> beam.CombinePerKey(sum)
        | "TagOutcomes" >> beam.Map(lambda kv: ("outcome", kv[0], kv[1]))
    )
    read_counts = (
        read[READ_COUNTS]
        | "CountRead" >> beam.CombinePerKey(sum)
        | "TagRead" >> beam.Map(lambda kv: ("read", kv[0], kv[1]))
    )
    _ = (
        (
            kept[FILES] | "TagShards" >> beam.Map(_tag_files("shards")),
            held[FILES] | "TagQuarantine" >> beam.Map(_tag_files("quarantine")),
            index_files | "TagIndex" >> beam.Map(_tag_files("index")),
            outcomes,
            read_counts,
            *summaries,
        )
        | "Summary" >> beam.Flatten()
        | "CollectSummary" >> beam.combiners.ToList()
        | "WriteSummary" >> beam.Map(_write_summary, staging)
    )


def _write_summary(items: list[tuple[str, Any, Any]], staging: str) -> None:
    summary: dict[str, Any] = {
        "files": [],
        "outcomes": [],
        "read": [],
        "checks": {},
        "pair_indexes": {},
    }
    for tag, key, value in items:
        if tag == "file":
            summary["files"].append([key, value.__dict__])
        elif tag == "outcome":
            summary["outcomes"].append([list(key), value])
        elif tag == "read":
            summary["read"].append([key, value])
        elif tag == "pair_file":
            summary["pair_indexes"].setdefault(key, []).append(value.__dict__)
        else:  # a check's own summary: (kind, key, JSON-able value)
            summary["checks"].setdefault(tag, []).append([key, value])
    publishing.write_json(publishing.join(staging, "_run", "summary.json"), summary)


def beam_options(config: RunConfig, extra_args: list[str]) -> PipelineOptions:
    runner = LOCAL_RUNNER_ALIASES.get(config.runner.lower(), config.runner)
    args = [f"--runner={runner}"]
    for key, value in config.beam_options.items():
        if isinstance(value, bool):
            args.append(f"--{key}" if value else "")
        elif isinstance(value, list):
            args.extend(f"--{key}={item}" for item in value)
        else:
            args.append(f"--{key}={value}")
    # The command line comes last so it overrides the profile.
    return PipelineOptions([a for a in args if a] + list(extra_args))


def entry_summary(entry: SourceEntry) -> dict[str, Any]:
    """What the manifest keeps of a registry entry, so `audit` answers from the output alone."""
    return {
        "file": str(entry.file),
        "sha256": entry.sha256,
        "kind": entry.kind,
        "title": entry.title,
        "origin": entry.origin,
        "languages": list(entry.languages),
        "licence": entry.licence,
    }


def build_checks(
    config: RunConfig, entries: list[SourceEntry], run_id: str
) -> list[tuple[str, beam.PTransform]]:
    """The checks of this run, in pipeline order (DESIGN §1), configured from the run config."""
    checks = []
    for label, _key, module, ctx in check_contexts(config, entries, run_id):
        transform = importlib.import_module(module).make_check(ctx)
        if transform is not None:
            checks.append((label, transform))
    return checks


def check_contexts(config: RunConfig, entries: list[SourceEntry], run_id: str):  # type: ignore[no-untyped-def]
    """(label, config key, module, CheckContext) of every enabled check, in pipeline order."""
    facts = {entry.source_id: facts_of(entry) for entry in entries}
    for label, key, module in CHECK_MODULES:
        settings = config.settings.get(key) or {}
        if not isinstance(settings, dict):
            raise RunError(f"{config.path}: key '{key}' must be a mapping of settings")
        if settings.get("enabled", True) is False:
            continue
        ctx = CheckContext(
            run_id=run_id,
            config_dir=str(config.path.parent),
            store_url=config.store_url,
            settings=settings,
            facts=facts,
        )
        yield label, key, module, ctx


def run_after_hooks(
    config: RunConfig,
    entries: list[SourceEntry],
    run_id: str,
    store: Store,
    manifest: dict[str, Any],
) -> None:
    summaries = manifest.get("checks") or {}
    for _label, _key, module, ctx in check_contexts(config, entries, run_id):
        hook = getattr(importlib.import_module(module), "after_run", None)
        if hook is not None:
            hook(ctx, summaries, store, manifest)


def rejected_before_collection(
    store: Store, entries: list[SourceEntry]
) -> dict[str, dict[str, Any]]:
    """Sources whose latest pre-collection assessment rejected them (4.1.1 a): not read at all."""
    skipped = {}
    for entry in entries:
        latest = store.latest_assessment(entry.source_id, "assessment")
        if latest and latest["decision"] == "reject":
            skipped[entry.source_id] = {
                "reason": f"rejected before collection by assessment {latest['assessment_id']} "
                f"({latest['flagged']}/{latest['sample_size']} flagged, rate {latest['rate']:.2%})",
                "assessment_id": latest["assessment_id"],
                "rate": latest["rate"],
            }
    return skipped


def select_entries(registry: Registry, wanted: tuple[str, ...] | None) -> list[SourceEntry]:
    if wanted is None:
        return list(registry)
    return [registry.get(source_id) for source_id in wanted]


def run_curation(
    config: RunConfig, extra_args: list[str] | None = None, *, progress=print
) -> RunResult:  # type: ignore[no-untyped-def]
    """Run the pipeline, check the balance, publish. Raises RunError with nothing published."""
    started = time.monotonic()
    started_at = datetime.now(UTC)
    run_id = new_run_id(started_at)
    registry = Registry.load(config.registry)
    entries = select_entries(registry, config.sources)
    config_sha256 = config.sha256()
    store = Store(config.store_url)
    not_collected = rejected_before_collection(store, entries)
    to_read = [e for e in entries if e.source_id not in not_collected]
    tasks = plan_tasks(to_read, run_id, config_sha256)
    options = beam_options(config, extra_args or [])
    output = config.output
    if not publishing.is_remote(output):
        Path(output).mkdir(parents=True, exist_ok=True)
    staging = publishing.staging_dir(output, run_id)
    store.log_run(run_id, "started", config_sha256=config_sha256, output=output)
    progress(
        f"run {run_id}: {len(entries)} sources, {len(tasks)} input files, "
        f"runner {options.get_all_options()['runner']}"
    )
    try:
        pipeline = beam.Pipeline(options=options)
        build_pipeline(
            pipeline,
            tasks,
            staging,
            run_id=run_id,
            config_sha256=config_sha256,
            max_rows=config.max_rows_per_shard,
            row_group_rows=config.row_group_rows,
            reshuffle=config.reshuffle_after_read,
            checks=build_checks(config, to_read, run_id),
        )
        try:
            state = pipeline.run().wait_until_finish()
        except Exception as err:  # a worker error surfaces here, wrapped by the runner
            first_line = (
                str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            )
            raise RunError(f"the pipeline failed, nothing was published: {first_line}") from err
        if str(state) not in ("DONE", "PipelineState.DONE"):
            raise RunError(f"the pipeline ended in state {state}, nothing was published")
        summary = publishing.read_json(publishing.join(staging, "_run", "summary.json"))
        manifest = manifest_core.build_manifest(
            run_id=run_id,
            config_sha256=config_sha256,
            runner=str(options.get_all_options()["runner"]),
            started_at=started_at.isoformat(),
            finished_at=datetime.now(UTC).isoformat(),
            registry_entries={e.source_id: entry_summary(e) for e in entries},
            read_counts=[tuple(r) for r in summary["read"]],
            outcomes=[(tuple(key), n) for key, n in summary["outcomes"]],
            files=[(kind, FileWritten(**f)) for kind, f in summary["files"]],
            extra={
                "config_path": str(config.path),
                "registry": str(config.registry),
                "checks": summary["checks"],
                "not_collected": not_collected,
                "pair_indexes": {
                    kind: sorted(files, key=lambda f: f["path"])
                    for kind, files in summary["pair_indexes"].items()
                },
            },
        )
        problems = manifest_core.balance_problems(manifest)
        if problems:
            raise RunError(
                "the run does not balance, nothing was published: " + "; ".join(problems)
            )
        # A new run's report has no spot checks yet: those are made on its output afterwards.
        publishing.publish(output, staging, manifest, report_files(manifest, spotchecks=[]))
    except BaseException as err:
        publishing.discard_staging(staging)
        store.log_run(
            run_id,
            "failed",
            config_sha256=config_sha256,
            output=output,
            detail=f"{type(err).__name__}: {err}",
        )
        raise
    store.log_run(run_id, "published", config_sha256=config_sha256, output=output)
    for entry in to_read:
        store.set_status(entry.source_id, "collected", entry_sha256=entry.sha256, run_id=run_id)
    # After `collected`: hooks record what verification decided (verified_accepted / _rejected).
    run_after_hooks(config, to_read, run_id, store, manifest)
    return RunResult(output, run_id, manifest, time.monotonic() - started)


if __name__ == "__main__":  # pragma: no cover - `corpusgate run` is the entry point
    sys.exit("use: corpusgate run --config FILE")
