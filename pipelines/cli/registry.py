"""`corpusgate registry validate|list|show`: check and read the source registry."""

from __future__ import annotations

import argparse
import json
from typing import Any

DESCRIPTION = """\
Check and read the source registry: a folder with one YAML entry per source (kind, languages,
origin, input location and format, field mapping, licence, evidence documents by path and
sha256). `validate` loads every entry, checks that its input files exist and that every
evidence document exists and matches its recorded sha256, and that each kind references the
evidence GB/T 45654 4.1.3 expects (crawl record; contract, commitment and review record;
authorization table)."""

EPILOG = """\
examples:
  corpusgate registry validate --registry demo/registry
  corpusgate registry list --registry demo/registry --json
  corpusgate registry show zh-wiki-cmrc2018 --registry demo/registry

exit codes: 0 valid / found; 1 validation found problems or unknown source id; 2 an entry
cannot be parsed (the message names the file, the field and what is expected)"""

DEFAULT_REGISTRY = "demo/registry"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "registry",
        help="validate, list and show registry entries",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, help_text in (
        ("validate", "check every entry, its inputs and evidence"),
        ("list", "one line per source"),
    ):
        p = actions.add_parser(name, help=help_text, description=help_text)
        _common(p)
        p.set_defaults(handler=handle)
    show = actions.add_parser("show", help="one entry in full", description="one entry in full")
    show.add_argument("source_id", metavar="ID")
    _common(show)
    show.set_defaults(handler=handle)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--registry",
        metavar="DIR",
        default=DEFAULT_REGISTRY,
        help=f"folder of entry files (default: {DEFAULT_REGISTRY})",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def entry_dict(entry: Any) -> dict[str, Any]:
    return {
        "source_id": entry.source_id,
        "title": entry.title,
        "kind": entry.kind,
        "modality": entry.modality,
        "languages": list(entry.languages),
        "origin": entry.origin,
        "paths": list(entry.paths),
        "format": entry.format,
        "fields": entry.fields,
        "licence": entry.licence,
        "evidence": [{"role": e.role, "path": e.path, "sha256": e.sha256} for e in entry.evidence],
        "file": str(entry.file),
        "sha256": entry.sha256,
        **entry.extra,
    }


def handle(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import EXIT_NEGATIVE, CliError
    from corpusgate.source_registry.entry import RegistryError
    from corpusgate.source_registry.registry import Registry, validate

    try:
        registry = Registry.load(args.registry)
    except RegistryError as err:
        raise CliError(str(err)) from err

    if args.action == "list":
        rows = [entry_dict(e) for e in registry]
        if args.json:
            print(
                json.dumps({"registry": str(registry.folder), "sources": rows}, ensure_ascii=False)
            )
        else:
            for e in registry:
                print(
                    f"{e.source_id:<28} {e.kind:<15} {e.origin:<9} {','.join(e.languages):<6} "
                    f"{e.title}"
                )
        return 0

    if args.action == "show":
        try:
            entry = registry.get(args.source_id)
        except KeyError as err:
            raise CliError(str(err).strip('"'), EXIT_NEGATIVE) from err
        data = entry_dict(entry)
        if args.json:
            print(json.dumps(data, ensure_ascii=False))
        else:
            for key, value in data.items():
                shown = (
                    json.dumps(value, ensure_ascii=False)
                    if isinstance(value, dict | list)
                    else value
                )
                print(f"{key + ':':<12} {shown}")
        return 0

    findings = validate(registry)
    if args.json:
        print(
            json.dumps(
                {
                    "registry": str(registry.folder),
                    "sources": len(registry.entries),
                    "valid": not findings,
                    "problems": [f.__dict__ for f in findings],
                },
                ensure_ascii=False,
            )
        )
    else:
        for finding in findings:
            print(finding)
        verdict = "valid" if not findings else f"{len(findings)} problem(s)"
        print(f"{len(registry.entries)} sources in {registry.folder}: {verdict}")
    return EXIT_NEGATIVE if findings else 0
