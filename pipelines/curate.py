"""`curate`: the main job. Composition only: every step lives in `corpusgate.transforms`.

    registry ─► ReadSource ─► Provenance ─► Harm (two passes, the 5% gate) ─► PII ─► pieces ─┐
                   └────────── every quarantine output ──────────────────────────► pieces ─┤
               shard pieces' dedup items ─► FindDuplicates ─► notes on rows ──────────────┤
        finalize: shards + quarantine files (duplicates moved out) ─► audit index ─► manifest

The launcher reads the registry, verifies evidence, imports consent, loads policies and
settles each stage's inputs (`*Spec.settle`) before the graph is built; workers see only those
specs, side inputs and the run's own folder. Nothing touches the store while the pipeline is
built or run: the store is read before and written after.
"""

from __future__ import annotations

import functools
import logging
import secrets
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from corpusgate.pipelines import runner
from corpusgate.pipelines.config import RunConfig
from corpusgate.schemas.reasons import DEDUP
from corpusgate.schemas.records import (
    QUARANTINE_SCHEMA,
    QUARANTINED,
    SHARD_SCHEMA,
    WRITTEN,
    shard_metadata,
)
from corpusgate.source_registry.consent import (
    ConsentKeyError,
    ConsentStore,
    check_key_use,
    read_consent_file,
    read_key,
)
from corpusgate.source_registry.entry import SourceEntry
from corpusgate.source_registry.registry import Registry
from corpusgate.source_registry.store import Store
from corpusgate.transforms.common import files
from corpusgate.transforms.common.hashing import sha256_bytes
from corpusgate.transforms.dedup.incremental import PublishSignatures, ReadSignatures
from corpusgate.transforms.dedup.item import DupDecision
from corpusgate.transforms.dedup.settings import DedupSpec
from corpusgate.transforms.dedup.signatures import dedup_items
from corpusgate.transforms.dedup.stage import FindDuplicates
from corpusgate.transforms.harm.stage import (
    GATE,
    ChooseSample,
    HarmSpec,
    HarmStage,
    library_warning,
)
from corpusgate.transforms.language.stage import LanguageSpec, language_key
from corpusgate.transforms.output import manifest as manifest_core
from corpusgate.transforms.output.buckets import MergeBuckets, WritePairRuns
from corpusgate.transforms.output.filelist import FileWritten, write_file_list
from corpusgate.transforms.output.finalize import (
    INDEX_REFS,
    OUTCOME_DELTAS,
    SHARD_FILES,
    USAGE_DELTAS,
    RowNote,
    WriteShards,
)
from corpusgate.transforms.output.layout import (
    FILES_TABLE,
    SHARDS,
    SIGNATURES,
    IndexSettings,
    RunLayout,
    ShardSettings,
)
from corpusgate.transforms.output.layout import (
    QUARANTINE as QUARANTINE_KIND,
)
from corpusgate.transforms.output.pieces import (
    IDS,
    OUTCOMES,
    PIECES,
    SIGNED,
    RowRef,
    WritePieces,
)
from corpusgate.transforms.output.publish import (
    claim_run,
    discard_run,
    publish,
    read_json,
    write_json,
)
from corpusgate.transforms.output.published import OutputError, open_output, signature_files
from corpusgate.transforms.output.report import report_files
from corpusgate.transforms.output.unique_ids import (
    PARTITIONS,
    UniqueIds,
    UniqueIdSpec,
    entries_folder,
)
from corpusgate.transforms.pii.consent import ConsentIndex
from corpusgate.transforms.pii.stage import PiiSpec
from corpusgate.transforms.provenance.stage import CONSUMES, ProvenanceSpec
from corpusgate.transforms.spine.check_stage import CheckStage
from corpusgate.transforms.spine.checks import PAIRS, QUARANTINE, RECORDS, SourceFacts
from corpusgate.transforms.spine.plan import ReadTask, plan_tasks
from corpusgate.transforms.spine.read_source import READ_COUNTS, SKIPPED, PlanReads, ReadSource

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
    current: bool = True  # False: a newer run was published meanwhile; this one is kept aside
    dry_run: bool = False  # True: `manifest` is the translated job's summary; nothing ran


@dataclass(frozen=True)
class Stages:
    """The checks of one run, in pipeline order, each settled on the launcher."""

    language: LanguageSpec | None = None
    provenance: ProvenanceSpec | None = None
    harm: HarmSpec | None = None
    pii: PiiSpec | None = None
    dedup: DedupSpec | None = None
    # Signature files of the published outputs named by `dedup.against` (incremental dedup).
    dedup_previous: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    library: dict[str, Any] = field(default_factory=dict)


def new_run_id(now: datetime | None = None) -> str:
    """Sortable by start time: the pointer only ever moves to a later run."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}Z-{secrets.token_hex(3)}"


def facts_of(entry: SourceEntry) -> SourceFacts:
    return SourceFacts(
        source_id=entry.source_id,
        kind=entry.kind,
        languages=tuple(entry.languages),
        origin=entry.origin,
        licence=entry.licence,
        entry_file=str(entry.file),
        entry_sha256=entry.sha256,
        evidence=tuple((e.role, str(e.resolved), e.sha256) for e in entry.evidence),
        extra=dict(entry.extra),
    )


def consent_for(config: RunConfig, store_url: str) -> tuple[bytes, ConsentIndex, list[str]]:
    """The consent key and index a run uses, after importing the config's consent files.

    With no `pii` section and no key anywhere, no consent can be shown: every identifier is
    handled as without consent (redacted or dropped) and no subject index is written —
    stricter than with a key, never laxer; the run says so on stderr."""
    settings = config.pii
    explicit = "pii" in config.file.model_fields_set
    try:
        found = read_key(
            config_key_file=str(settings.consent_key_file) if settings.consent_key_file else None
        )
    except ConsentKeyError:
        if explicit:
            raise
        return (
            b"",
            ConsentIndex(),
            [
                "no consent key: personal information is handled as without consent "
                "(set CORPUSGATE_CONSENT_KEY or pii.consent_key_file)"
            ],
        )
    # The public demo key is refused for any registry but the demo's (exit 2).
    warnings = check_key_use(found, config.registry)
    key = found.value
    if not settings.consent_files and not key:
        return key, ConsentIndex(), warnings
    store = ConsentStore(store_url)
    for path in settings.consent_files:
        store.add_grants(read_consent_file(path, key))
    return key, store.load_index(), warnings


def settle_stages(
    config: RunConfig, entries: list[SourceEntry], run_id: str, folder: str | None
) -> Stages:
    """Every enabled check of the run with what its workers need, read now on the launcher."""
    facts = {entry.source_id: facts_of(entry) for entry in entries}
    warnings: list[str] = []
    language = provenance = harm = pii = None
    library: dict[str, Any] = {}
    if config.language.enabled and facts:
        language = LanguageSpec(
            config.language.core(), {sid: f.languages for sid, f in facts.items()}
        )
    if config.provenance.enabled and facts:
        provenance = ProvenanceSpec.settle(config.provenance, facts, folder)
    if config.harm.enabled and facts:
        harm = HarmSpec(
            config.harm.load_policy(),
            None,
            run_id,
            {sid: f.extra.get("content_type") for sid, f in facts.items()},
        )
        detector = harm.detector()  # a bad policy, model or library fails here, not on a worker
        lib = detector.matcher.library
        today = datetime.now(UTC).date()
        warning = library_warning(lib, today)
        if warning:
            warnings.append(warning)
        library = {
            "version": lib.version,
            "build_date": lib.build_date.isoformat(),
            "age_days": (today - lib.build_date).days,
            "stale": lib.is_stale(today),
            "warning": warning,
        }
    if config.pii.enabled and facts:
        key, index, pii_warnings = consent_for(config, config.store_url)
        warnings.extend(pii_warnings)
        pii = PiiSpec.settle(
            config.pii,
            key=key,
            index=index,
            languages={sid: f.languages for sid, f in facts.items()},
            folder=folder,
        )
    dedup = None
    previous: list[str] = []
    if config.dedup.enabled and facts:
        dedup = DedupSpec(config.dedup, {sid: f.kind for sid, f in facts.items()})
        previous = previous_signatures(config.dedup_against())
    return Stages(
        language,
        provenance,
        harm,
        pii,
        dedup,
        tuple(previous),
        tuple(warnings),
        library,
    )


def previous_signatures(outputs: list[str]) -> list[str]:
    """The signature files of the current run of each output in `dedup.against`."""
    found: list[str] = []
    for output in outputs:
        try:
            published = open_output(output)
            locations = signature_files(published)
        except OutputError as err:
            raise RunError(f"dedup.against: {err}") from None
        if not locations:
            raise RunError(
                f"dedup.against: run {published.run_id} of {output} was published without "
                "dedup signatures (dedup was off); it cannot be deduplicated against"
            )
        found.extend(locations)
    return found


def sign_rows(spec: DedupSpec, rows: list[dict[str, Any]], refs: list[RowRef]) -> list[Any]:
    """Dedup's items of the rows of one row group, where the piece writer holds them."""
    return dedup_items(rows, refs, spec)


def dedup_note(element: tuple[str, DupDecision]) -> tuple[RowRef, RowNote]:
    """A dedup decision as a note on its row: removed rows move to the quarantine."""
    _, found = element
    return found.ref, RowNote(DEDUP, found.cluster_id, found.reason, found.detail)


def signature_file(run_dir: str, element: tuple[str, int]) -> FileWritten:
    location, rows = element
    data = files.read_bytes(location)
    relative = location[len(run_dir) :].lstrip("/")
    return FileWritten(SIGNATURES, relative, rows, len(data), sha256_bytes(data))


LANGUAGES = "languages"  # the summary's per-source language counts (records read)
USAGE = "usage"  # records written per (source, language)
DEDUP_LOST = "dedup_lost"  # ((source, keeper's source), duplicates removed)


def _cause_prefix(
    records: beam.PCollection, stages: Stages, label: str, *, identify: bool = True
) -> dict[str, Any]:
    """The steps before the gate (language, provenance), the same way in every pass.
    `identify=False` leaves out language identification, which never removes a record: a
    pass that only needs to know which records reach the gate does without it."""
    identified = records
    if stages.language is not None and identify:
        identified = (records | f"{label}LanguageId" >> CheckStage(stages.language))[RECORDS]
    if stages.provenance is None:
        return {RECORDS: identified, QUARANTINE: None, PAIRS: None, LANGUAGES: identified}
    out = identified | f"{label}Provenance" >> CheckStage(stages.provenance, consumes=CONSUMES)
    return {**out, LANGUAGES: identified}


def build_pipeline(
    pipeline: beam.Pipeline,
    tasks: list[ReadTask],
    layout: RunLayout,
    *,
    stages: Stages,
    config_sha256: str,
    shards: ShardSettings,
    index: IndexSettings,
    reshuffle: bool = False,
    progress_interval: float = 0,
    split_bytes: int = 0,
) -> None:
    """Read → checks in order → pieces → shards, quarantine, index → the run's summary."""
    run_dir = layout.run_dir
    # Progress lines (read, kept, quarantined per source) from the main read and its writers.
    progress = (layout.run_id, progress_interval) if progress_interval > 0 else None
    # Files (and ranges of large JSON Lines files) are planned once for every pass that reads.
    planned = pipeline | "PlanReads" >> PlanReads(tasks, split_bytes)
    read = pipeline | "ReadSource" >> ReadSource(planned, reshuffle=reshuffle, progress=progress)
    quarantined = [read[QUARANTINE]]
    pairs = []
    summary: list[beam.PCollection] = []
    prefix = _cause_prefix(read[RECORDS], stages, "")
    records = prefix[RECORDS]
    if stages.language is not None:
        declared = dict(stages.language.declared)
        summary.append(
            prefix[LANGUAGES]
            | "LanguageOf" >> beam.Map(lambda r: (language_key(r, declared), 1))
            | "CountLanguages" >> beam.CombinePerKey(sum)
            | "TagLanguages" >> beam.MapTuple(lambda key, n: (LANGUAGES, list(key), n))
        )
    if prefix[QUARANTINE] is not None:
        quarantined.append(prefix[QUARANTINE])
    if stages.harm is not None:
        # Pass 1 reads the sources twice more: once for each source's k sample ids (ids
        # only, whatever the bundles), once for the texts of those ids. The records of pass 2
        # stream to the writers instead of waiting, in memory, for the gate.
        rank_read = pipeline | "RankRead" >> ReadSource(planned)
        ranked = _cause_prefix(rank_read[RECORDS], stages, "Rank", identify=False)[RECORDS]
        choices = ranked | "ChooseSample" >> ChooseSample(stages.harm.policy)
        # The chosen ids only: every other record of the read stops at its id.
        wanted = choices | "ChosenIds" >> beam.MapTuple(lambda sid, choice: (sid, choice.ids))
        chosen = (pipeline | "GateRead" >> ReadSource(planned, only=wanted))[RECORDS]
        sample = _cause_prefix(chosen, stages, "Gate")[RECORDS]
        out = records | "Harm" >> HarmStage(stages.harm, sample_records=sample, choices=choices)
        records = out[RECORDS]
        quarantined.append(out[QUARANTINE])
        summary.append(out[GATE] | "TagGate" >> beam.MapTuple(lambda sid, rep: (GATE, sid, rep)))
    if stages.pii is not None:
        out = records | "PersonalInformation" >> CheckStage(stages.pii)
        records = out[RECORDS]
        quarantined.append(out[QUARANTINE])
        pairs.append(out[PAIRS])

    # What the shards will hold per (source, language): the report's diversity counts.
    summary.append(
        records
        | "WrittenLanguage"
        >> beam.Map(lambda r: ((r["source_id"], r["lineage"].get("language") or "und"), 1))
        | "CountWritten" >> beam.CombinePerKey(sum)
        | "TagUsage" >> beam.MapTuple(lambda key, n: (USAGE, list(key), n))
    )
    sizes = {
        "roll_rows": shards.max_rows,
        "roll_bytes": shards.target_bytes,
        "group_rows": shards.row_group_rows,
        "group_bytes": shards.row_group_bytes,
    }
    sign = functools.partial(sign_rows, stages.dedup) if stages.dedup is not None else None
    # Sources that map a native id can repeat one; only their rows need the unique-id pass.
    native = frozenset(t.context.source_id for t in tasks if t.context.field("id"))
    # Ids are partitioned like the index: a corpus small enough for 16 buckets gets 16.
    id_parts = min(PARTITIONS, index.buckets)
    ids = UniqueIdSpec(entries_folder(run_dir), native, id_parts) if native else None
    kept = records | "WriteShardPieces" >> WritePieces(
        run_dir, SHARDS, SHARD_SCHEMA, WRITTEN, **sizes, sign=sign, ids=ids, progress=progress
    )
    # One writer per stage that quarantines, each fused with its stage: a Flatten of the rows
    # first would be a barrier on the local runner (FnApiRunner buffers every input of a
    # multi-input Flatten in memory), holding every quarantined record and its raw bytes.
    held_writes = [
        rows
        | f"WriteQuarantinePieces{i}"
        >> WritePieces(
            run_dir,
            QUARANTINE_KIND,
            QUARANTINE_SCHEMA,
            QUARANTINED,
            **sizes,
            ids=ids,
            progress=progress,
        )
        for i, rows in enumerate(quarantined)
    ]
    held = {
        tag: [w[tag] for w in held_writes] | f"AllQuarantine{tag.title()}" >> beam.Flatten()
        for tag in (PIECES, OUTCOMES, IDS)
    }
    meta = shard_metadata(layout.run_id, config_sha256)
    pieces = (kept[PIECES], held[PIECES]) | "AllPieces" >> beam.Flatten()
    notes: list[beam.PCollection] = []
    extra_files: list[beam.PCollection] = []
    if ids is not None:
        # A native id repeated in a source: the copy read first is the record (unique_ids).
        notes.append(
            (kept[IDS], held[IDS]) | "AllIdEntries" >> beam.Flatten() | "UniqueIds" >> UniqueIds()
        )
    if stages.dedup is not None:
        # After every check that removes records for cause, so a duplicate never stands in
        # for a record removed for cause; items come from the piece writer, which holds the
        # rows anyway: no step reads the text again.
        dedup = _deduplicate(pipeline, kept[SIGNED], run_dir, stages)
        notes.append(dedup["notes"])
        extra_files.append(dedup["files"])
        summary.append(dedup["lost"])
    final = (pieces, *notes) | (
        "Finalize"
        >> WriteShards(
            run_dir,
            {
                SHARDS: (SHARD_SCHEMA.with_metadata(meta), WRITTEN),
                QUARANTINE_KIND: (QUARANTINE_SCHEMA.with_metadata(meta), QUARANTINED),
            },
            shards,
            index.digits,
        )
    )
    # Rows dedup moved out of the shards: their (source, language) counts leave `usage`.
    summary.append(
        final[USAGE_DELTAS]
        | "CountMoved" >> beam.CombinePerKey(sum)
        | "TagMoved" >> beam.MapTuple(lambda key, n: (USAGE, list(key), n))
    )
    index_refs = [final[INDEX_REFS]]
    if pairs:
        index_refs.append(
            pairs
            | "AllPairs" >> beam.Flatten()
            | "PairRuns" >> WritePairRuns(run_dir, index.digits)
        )
    index_files = (
        index_refs | "AllIndexRefs" >> beam.Flatten() | "BuildIndex" >> MergeBuckets(run_dir)
    )
    outcomes = (
        (kept[OUTCOMES], held[OUTCOMES], final[OUTCOME_DELTAS])
        | "AllOutcomes" >> beam.Flatten()
        | "CountOutcomes" >> beam.CombinePerKey(sum)
        | "TagOutcomes" >> beam.Map(lambda kv: ("outcome", kv[0], kv[1]))
    )
    read_counts = (
        read[READ_COUNTS]
        | "CountRead" >> beam.CombinePerKey(sum)
        | "TagRead" >> beam.Map(lambda kv: ("read", kv[0], kv[1]))
    )
    skipped = (
        read[SKIPPED]
        | "CountSkipped" >> beam.CombinePerKey(sum)
        | "TagSkipped" >> beam.Map(lambda kv: ("skipped", kv[0], kv[1]))
    )
    _ = (
        (
            final[SHARD_FILES] | "TagShards" >> beam.Map(lambda f: ("file", f.kind, f)),
            *(
                files_ | f"TagExtraFiles{i}" >> beam.Map(lambda f: ("file", f.kind, f))
                for i, files_ in enumerate(extra_files)
            ),
            index_files | "TagIndex" >> beam.Map(lambda f: ("file", f.kind, f)),
            outcomes,
            read_counts,
            skipped,
            *summary,
        )
        | "Summary" >> beam.Flatten()
        | "CollectSummary" >> beam.combiners.ToList()
        | "WriteSummary" >> beam.Map(_write_summary, layout.summary)
    )


def _deduplicate(
    pipeline: beam.Pipeline, items: beam.PCollection, run_dir: str, stages: Stages
) -> dict[str, beam.PCollection]:
    """Items of the written rows -> notes on the rows (keepers and removed duplicates), the
    signature files of the kept records, and what each source lost to which other source."""
    assert stages.dedup is not None
    settings = stages.dedup.settings
    work = files.join(run_dir, "_tmp")
    previous = None
    if stages.dedup_previous:
        previous = pipeline | "PublishedSignatures" >> ReadSignatures(
            list(stages.dedup_previous), stages.dedup
        )
    decisions = items | "FindDuplicates" >> FindDuplicates(settings, work, previous=previous)
    signatures = (items, decisions) | "PublishSignatures" >> PublishSignatures(
        settings, files.join(run_dir, SIGNATURES), work
    )
    lost = (
        decisions
        | "Removed" >> beam.Filter(lambda kv: kv[1].removed)
        | "LostTo" >> beam.Map(lambda kv: ((kv[1].source_id, kv[1].keeper_source), 1))
        | "CountLost" >> beam.CombinePerKey(sum)
        | "TagLost" >> beam.MapTuple(lambda key, n: (DEDUP_LOST, list(key), n))
    )
    return {
        "notes": decisions | "DedupNotes" >> beam.Map(dedup_note),
        "files": signatures | "SignatureFiles" >> beam.Map(lambda e: signature_file(run_dir, e)),
        "lost": lost,
    }


def _write_summary(items: list[tuple[str, Any, Any]], location: str) -> None:
    summary: dict[str, Any] = {
        "files": [],
        "outcomes": [],
        "read": [],
        "skipped": [],
        GATE: [],
        LANGUAGES: [],
        USAGE: [],
        DEDUP_LOST: [],
    }
    for tag, key, value in items:
        if tag == "file":
            summary["files"].append(value.as_dict())
        elif tag == "outcome":
            summary["outcomes"].append([list(key), value])
        elif tag == "skipped":
            summary["skipped"].append([list(key), value])
        elif tag == "read":
            summary["read"].append([key, value])
        else:
            summary[tag].append([key, value])
    write_json(location, summary)


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
        "modality": entry.modality,
        "languages": list(entry.languages),
        "licence": entry.licence,
    }


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


def record_verifications(store: Store, run_id: str, gate: list[list[Any]]) -> None:
    """Append one verification row per source and set its status (append-only store)."""
    for source_id, report in gate:
        store.add_gate_report(
            source_id,
            "verification",
            report,
            actor=f"corpusgate run {run_id}",
            run_id=run_id,
            assessment_id=report["assessment_id"],
        )
        status = "verified_rejected" if report["decision"] == "reject" else "verified_accepted"
        store.set_status(source_id, status, run_id=run_id, note=report["action"])


def _runner_name(options: PipelineOptions) -> str:
    return str(options.get_all_options()["runner"])


def run_curation(
    config: RunConfig,
    extra_args: list[str] | None = None,
    *,
    progress: Callable[[str], None] = print,
    warn: Callable[[str], None] | None = None,
    progress_interval: float = 0,
) -> RunResult:
    """Run the pipeline, check the balance, publish. Raises RunError with nothing published.

    With `--dry_run=True` (Dataflow) the job is only translated: nothing is written anywhere,
    and the result carries a summary of what would run instead of a manifest."""
    warn = warn or (lambda message: print(f"corpusgate: warning: {message}", file=sys.stderr))
    started = time.monotonic()
    started_at = datetime.now(UTC)
    run_id = new_run_id(started_at)
    extra_args = list(extra_args or [])
    target = runner.quick_check(config, extra_args)
    runner.check_extra_args(extra_args)
    options = beam_options(config, extra_args)
    FileSystems.set_options(options)  # the launcher reaches remote outputs as workers will
    dry_run = target.dry_run
    registry = Registry.load(config.registry)
    entries = select_entries(registry, config.sources)
    config_sha256 = config.sha256()
    store = Store(config.store_url)
    not_collected = rejected_before_collection(store, entries)
    to_read = [e for e in entries if e.source_id not in not_collected]
    tasks = plan_tasks(to_read, run_id, config_sha256)
    local = sorted({t.path for t in tasks if not files.is_remote(t.path)})
    if local and target.cloud:
        message = (
            f"{len(local)} input file(s) are on this machine (e.g. {local[0]}), which "
            f"{target.runner} workers cannot read: put them in gs:// or s3:// "
            "and point the registry there"
        )
        if not dry_run:
            raise RunError(message)
        warn(message)
    elif (local or not files.is_remote(config.output)) and not target.local:
        warn(
            f"{target.runner} workers must reach the input files and the output folder on "
            "this machine's file system (a shared disk), or use gs:// / s3:// locations"
        )
    if target.local:
        idle = runner.idle_workers_warning(options, len(tasks), config.split_bytes)
        if idle:
            warn(idle)
    with tempfile.TemporaryDirectory(prefix="corpusgate-wheel-") as build:
        package = runner.worker_package_args(options, Path(build))
        if package:
            options = beam_options(config, [*extra_args, *package])
        if dry_run:
            return _dry_run(config, options, tasks, run_id, config_sha256, to_read, warn, started)
        return _real_run(
            config,
            options,
            tasks,
            run_id,
            config_sha256,
            entries,
            to_read,
            not_collected,
            store,
            started,
            started_at,
            progress,
            warn,
            progress_interval,
        )


def _dry_run(
    config: RunConfig,
    options: PipelineOptions,
    tasks: list[ReadTask],
    run_id: str,
    config_sha256: str,
    to_read: list[SourceEntry],
    warn: Callable[[str], None],
    started: float,
) -> RunResult:
    """Translate the job without writing anywhere: settled values ride inline."""
    stages = settle_stages(config, to_read, run_id, None)
    for message in stages.warnings:
        warn(message)
    layout = RunLayout(config.output, run_id)
    pipeline = beam.Pipeline(options=options)
    build_pipeline(
        pipeline,
        tasks,
        layout,
        stages=stages,
        config_sha256=config_sha256,
        shards=config.shards,
        index=config.index,
        reshuffle=config.reshuffle_after_read,
        split_bytes=config.split_bytes,
    )
    result = pipeline.run()
    summary = runner.dry_run_summary(result)
    summary.update(runner=_runner_name(options), output=config.output, dry_run=True)
    return RunResult(config.output, run_id, summary, time.monotonic() - started, False, True)


def _real_run(
    config: RunConfig,
    options: PipelineOptions,
    tasks: list[ReadTask],
    run_id: str,
    config_sha256: str,
    entries: list[SourceEntry],
    to_read: list[SourceEntry],
    not_collected: dict[str, Any],
    store: Store,
    started: float,
    started_at: datetime,
    progress: Callable[[str], None],
    warn: Callable[[str], None],
    progress_interval: float,
) -> RunResult:
    layout = RunLayout(config.output, run_id)
    claim_run(layout)
    try:
        stages = settle_stages(config, to_read, run_id, layout.settled)
    except BaseException:
        discard_run(layout)
        raise
    for message in stages.warnings:
        warn(message)
    try:
        store.log_run(run_id, "started", config_sha256=config_sha256, output=config.output)
    except BaseException:
        discard_run(layout)
        raise
    progress(
        f"run {run_id}: {len(entries)} sources, {len(tasks)} input files, "
        f"runner {_runner_name(options)}"
    )
    try:
        summary = _run_and_check(
            config, options, tasks, layout, stages, config_sha256, progress_interval
        )
        usage: Counter[tuple[str, str]] = Counter()
        for (source, language), n in summary[USAGE]:  # written, less what dedup moved out
            usage[(source, language)] += n
        usage = Counter({key: n for key, n in usage.items() if n})
        manifest = _finish_manifest(
            summary, layout, entries, not_collected, stages, started_at, config, options
        )
        problems = manifest_core.balance_problems(manifest)
        if problems:
            raise RunError(
                "the run does not balance, nothing was published: " + "; ".join(problems)
            )
        # The store hears of the run before it is published: a store that went away fails
        # the run here, with nothing published and the store's own error in the message.
        store.log_run(run_id, "publishing", config_sha256=config_sha256, output=config.output)
        # A new run's report has no spot checks yet: those are made on its output afterwards.
        current = publish(layout, manifest, report_files(manifest, spotchecks=[], usage=usage))
    except BaseException as err:
        discard_run(layout)
        try:
            store.log_run(
                run_id,
                "failed",
                config_sha256=config_sha256,
                output=config.output,
                detail=f"{type(err).__name__}: {err}",
            )
        except Exception as store_err:  # never hide the run's own error behind the store's
            log.error("could not record the failed run in the store: %s", store_err)
        raise
    store.log_run(run_id, "published", config_sha256=config_sha256, output=config.output)
    for entry in to_read:
        store.set_status(entry.source_id, "collected", entry_sha256=entry.sha256, run_id=run_id)
    # After `collected`: what verification decided (verified_accepted / _rejected).
    record_verifications(store, run_id, (manifest.get("checks") or {}).get(GATE, []))
    return RunResult(config.output, run_id, manifest, time.monotonic() - started, current)


def _run_and_check(
    config: RunConfig,
    options: PipelineOptions,
    tasks: list[ReadTask],
    layout: RunLayout,
    stages: Stages,
    config_sha256: str,
    progress_interval: float,
) -> dict[str, Any]:
    pipeline = beam.Pipeline(options=options)
    build_pipeline(
        pipeline,
        tasks,
        layout,
        stages=stages,
        config_sha256=config_sha256,
        shards=config.shards,
        index=config.index,
        reshuffle=config.reshuffle_after_read,
        progress_interval=progress_interval,
        split_bytes=config.split_bytes,
    )
    try:
        result = pipeline.run()
        state = result.wait_until_finish() or result.state
    except Exception as err:  # a worker error surfaces here, wrapped by the runner
        text = str(err).strip()
        first_line = text.splitlines()[0] if text else type(err).__name__
        raise RunError(f"the pipeline failed, nothing was published: {first_line}") from err
    if str(state) not in ("DONE", "PipelineState.DONE"):
        raise RunError(f"the pipeline ended in state {state}, nothing was published")
    return read_json(layout.summary)


def _finish_manifest(
    summary: dict[str, Any],
    layout: RunLayout,
    entries: list[SourceEntry],
    not_collected: dict[str, Any],
    stages: Stages,
    started_at: datetime,
    config: RunConfig,
    options: PipelineOptions,
) -> dict[str, Any]:
    written = [FileWritten(**f) for f in summary["files"]]
    size, sha = write_file_list(layout.files_table, written)
    skipped: dict[str, dict[str, dict[str, int]]] = {}
    for (source_id, uri, record_type), n in summary["skipped"]:
        skipped.setdefault(source_id, {}).setdefault(uri, {})[record_type] = n
    manifest = manifest_core.build_manifest(
        run_id=layout.run_id,
        config_sha256=config.sha256(),
        runner=_runner_name(options),
        started_at=started_at.isoformat(),
        finished_at=datetime.now(UTC).isoformat(),
        registry_entries={e.source_id: entry_summary(e) for e in entries},
        read_counts=[tuple(r) for r in summary["read"]],
        outcomes=[(tuple(key), n) for key, n in summary["outcomes"]],
        written=written,
        files_table={"table": FILES_TABLE, "sha256": sha, "bytes": size, "count": len(written)},
        extra={
            "config_path": str(config.path),
            "registry": str(config.registry),
            "shards_cut": {
                "num_shards": config.shards.num_shards,
                "target_mb": config.shards.target_mb,
                "max_rows": config.shards.max_rows,
                "note": "shards hold equal row ranges of the runner's pieces; which rows share "
                "a file depends on how the runner cut bundles, never which rows are kept",
            },
            "index": {"buckets": config.index.buckets, "digits": config.index.digits},
            "checks": {GATE: summary[GATE], "harm_library": stages.library},
            "languages": _language_table(summary[LANGUAGES]),
            "skipped_records": skipped,
            "not_collected": not_collected,
            "pair_indexes": {"pii_subjects": {"digits": config.index.digits}}
            if stages.pii is not None
            else {},
            "dedup": _dedup_summary(summary, stages, config),
        },
    )
    return manifest


def _dedup_summary(
    summary: dict[str, Any], stages: Stages, config: RunConfig
) -> dict[str, Any] | None:
    """The manifest's `dedup`: the settings used, what was read of earlier outputs, and per
    source how many of its records were removed in favour of which source's copy."""
    if stages.dedup is None:
        return None
    lost: dict[str, dict[str, int]] = {}
    for (source, keeper_source), n in sorted(summary[DEDUP_LOST]):
        lost.setdefault(source, {})[keeper_source] = n
    return {
        "settings": stages.dedup.settings.model_dump(mode="json"),
        "band_shape": list(stages.dedup.settings.band_shape()),
        "against": {
            "outputs": config.dedup_against(),
            "signature_files": len(stages.dedup_previous),
        },
        "lost_to": lost,
    }


def _language_table(rows: list[list[Any]]) -> dict[str, dict[str, Any]]:
    """Per source: records per language, and how many are not a declared language."""
    table: dict[str, dict[str, Any]] = {}
    for (source_id, language, mismatch), n in rows:
        entry = table.setdefault(source_id, {"records": {}, "not_declared": 0})
        entry["records"][language] = entry["records"].get(language, 0) + n
        if mismatch:
            entry["not_declared"] += n
    for entry in table.values():
        entry["records"] = dict(sorted(entry["records"].items(), key=lambda kv: (-kv[1], kv[0])))
    return dict(sorted(table.items()))


if __name__ == "__main__":  # pragma: no cover - `corpusgate run` is the entry point
    sys.exit("use: corpusgate run --config FILE")
