"""`corpusgate assess SOURCE_ID`: the pre-collection random-sampling assessment (4.1.1 a)."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from corpusgate.pipelines.cli.common import add_store_options, load_run_config, open_store

DESCRIPTION = """\
Assess a proposed source before collecting it (GB/T 45654-2025 4.1.1 a): draw a reproducible
random sample of its records, run the harm detectors on it and decide under the standard's
rule (reject when more than 5% of the sample is illegal or unhealthy content, A.1-A.4).

The sample is the SIZE records with the smallest keyed hash of (seed, record_id): an assessor
given the seed re-derives exactly the same sample, and `corpusgate run` verifies collected data
with the same sample, so both agree on the same records. The report gives the flagged count,
the rate, the exact (Clopper-Pearson) 95% interval and the decision; when the interval contains
5% the decision is marked inconclusive with the sample size that would settle it. For each
classifier with measured sensitivity and specificity it adds the error-corrected prevalence.

The assessment is appended to the store (it is never changed afterwards) and sets the source's
status to assessed_accepted or assessed_rejected. A source whose latest assessment rejected it
is not read by `corpusgate run`."""

EPILOG = """\
examples:
  corpusgate assess forum-spam-2024-06
  corpusgate assess forum-hobby-2024-06 --sample-size 1000 --seed audit-2024-q3 --json
  corpusgate assess my-source --config prod.yaml --actor "Li Lei (safety team)"

exit codes: 0 accepted; 1 rejected (also when inconclusive and --fail-inconclusive is given);
2 bad usage, unknown source or unreadable configuration"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "assess",
        help="pre-collection sampling assessment of a source (the 5%% gate)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source_id", metavar="SOURCE_ID", help="the registry entry to assess")
    parser.add_argument(
        "--sample-size",
        type=int,
        metavar="N",
        help="records to sample (default: the harm policy's, 4000; a smaller source is read whole)",
    )
    parser.add_argument("--seed", metavar="S", help="sample seed (default: the harm policy's)")
    parser.add_argument("--actor", help="who assessed (default: $USER)")
    parser.add_argument(
        "--fail-inconclusive",
        action="store_true",
        help="exit 1 when the interval cannot support an accept",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    add_store_options(parser)
    parser.set_defaults(handler=handle)


def harm_policy(config: Any, overrides: dict[str, Any]) -> Any:
    """The run config's harm policy (section `harm`) with command-line overrides."""
    from corpusgate.pipelines.cli import CliError
    from corpusgate.transforms.common.settings import parse_settings

    changes = {k: v for k, v in overrides.items() if v is not None}
    try:
        settings = parse_settings(
            type(config.harm), {**config.harm.model_dump(), **changes}, prefix="harm"
        )
        return settings.load_policy()
    except ValueError as err:
        raise CliError(str(err)) from err


def handle(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.assess import read_source_records
    from corpusgate.pipelines.cli import EXIT_NEGATIVE, CliError
    from corpusgate.source_registry.entry import RegistryError
    from corpusgate.source_registry.registry import Registry
    from corpusgate.source_registry.store import assessment_from_report
    from corpusgate.transforms.harm.detect import HarmDetector
    from corpusgate.transforms.harm.gate.assessment import assess_records

    config = load_run_config(args)
    policy = harm_policy(config, {"sample_size": args.sample_size, "seed": args.seed})
    try:
        entry = Registry.load(config.registry).get(args.source_id)
    except (RegistryError, KeyError) as err:
        raise CliError(str(err).strip('"')) from err
    store = open_store(args, config)
    detector = HarmDetector.load(policy)
    try:
        report = assess_records(
            read_source_records(entry),
            detector,
            source_type=entry.extra.get("content_type"),
        )
    except (OSError, ValueError) as err:
        raise CliError(f"{args.source_id}: {err}") from err
    actor = args.actor or os.environ.get("USER") or "unknown"
    assessment_id = store.add_assessment(
        assessment_from_report(
            entry.source_id,
            "assessment",
            report,
            actor=actor,
            extra_details={"entry_sha256": entry.sha256},
        )
    )
    status = "assessed_rejected" if report["decision"] == "reject" else "assessed_accepted"
    store.set_status(entry.source_id, status, entry_sha256=entry.sha256, note=report["action"])
    report = {
        "assessment_id": assessment_id,
        "source_id": entry.source_id,
        "actor": actor,
        "store": store.safe_url,
        **report,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(format_report(report))
    if report["decision"] == "reject":
        return EXIT_NEGATIVE
    if report["inconclusive"] and args.fail_inconclusive:
        return EXIT_NEGATIVE
    return 0


def format_report(report: dict[str, Any]) -> str:
    """The teaching text: what was sampled, what was found, what it means."""
    lines = [
        f"source {report['source_id']}: {report['decision'].upper()}"
        + (" (inconclusive)" if report["inconclusive"] else ""),
        f"  sample        {report['sample_size']} of {report['population']} records"
        + (" (the whole source)" if report["sampled_whole_source"] else "")
        + f", seed {report['seed']!r}",
        f"  flagged       {report['flagged']} ({report['rate']:.2%}); "
        + (
            "every record was read, so this is the source's rate, not an estimate"
            if report["sampled_whole_source"]
            else f"{report['confidence']:.0%} exact interval [{report['ci_low']:.2%}, "
            f"{report['ci_high']:.2%}]"
        )
        + f"; limit {report['threshold']:.0%}",
    ]
    if report["flagged_codes"]:
        codes = ", ".join(f"{c} {n}" for c, n in report["flagged_codes"].items())
        lines.append(f"  codes         {codes}")
    if report["inconclusive"]:
        settle = report["settling_sample_size"]
        lines.append(
            "  inconclusive  the interval contains the limit: this sample cannot support the "
            "decision; "
            + (
                f"about {settle} items at the same rate would settle it"
                if settle
                else "no sample size settles a rate equal to the limit"
            )
        )
    for name, row in report["corrected_prevalence"].items():
        if row.get("corrected_prevalence") is None:
            continue
        lines.append(
            f"  {name}: {row['reached_threshold']}/{row['scored']} over its threshold; "
            f"error-corrected prevalence {row['corrected_prevalence']:.2%} "
            f"(sens {row['sensitivity']}, spec {row['specificity']})"
        )
    lines += [
        f"  methods       {'; '.join(report['methods'])}",
        f"  action        {report['action']}",
        f"  recorded      assessment {report['assessment_id']} by {report['actor']} "
        f"in {report['store']}",
    ]
    return "\n".join(lines)
