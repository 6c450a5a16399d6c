"""Helpers every command shares: the run config, the store, the consent key, --output, --json.

Registering a command must stay cheap (argparse only), so the heavy imports happen inside the
functions that need them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Any


def default_config() -> Path:
    return Path(str(resources.files("corpusgate.configs") / "demo.yaml"))


def add_store_options(parser: argparse.ArgumentParser, *, key: bool = False) -> None:
    """--config (run config: registry, store, key file) and --store; --key-file when asked."""
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="run configuration naming the registry, store and consent key file "
        "(default: the shipped demo.yaml)",
    )
    parser.add_argument(
        "--store", metavar="URL", help="store URL (overrides the config and $CORPUSGATE_STORE_URL)"
    )
    if key:
        parser.add_argument(
            "--key-file",
            metavar="FILE",
            help="consent key file (default: $CORPUSGATE_CONSENT_KEY, then the "
            "run config's pii.consent_key_file)",
        )


def add_output_option(parser: argparse.ArgumentParser, *, default: str | None = "out/demo") -> None:
    parser.add_argument(
        "--output",
        metavar="DIR",
        default=default,
        help="the run's output: a folder, gs://bucket/prefix or s3://bucket/prefix"
        + (f" (default: {default})" if default else ""),
    )


def load_run_config(args: argparse.Namespace, *, required: bool = False) -> Any:
    """The run config of --config (the shipped demo's when absent, unless `required`)."""
    from corpusgate.pipelines.cli import CliError
    from corpusgate.pipelines.config import ConfigError, load_config

    if not getattr(args, "config", None) and required:
        return None
    path = Path(args.config) if getattr(args, "config", None) else default_config()
    try:
        return load_config(path)
    except ConfigError as err:
        raise CliError(str(err)) from err


def store_url(args: argparse.Namespace, config: Any) -> str:
    from corpusgate.pipelines.cli import CliError

    url = (
        getattr(args, "store", None)
        or os.environ.get("CORPUSGATE_STORE_URL")
        or (config.store_url if config else None)
    )
    if not url:
        raise CliError("no store: give --store URL or --config FILE, or set CORPUSGATE_STORE_URL")
    return str(url)


def open_store(args: argparse.Namespace, config: Any) -> Any:
    from corpusgate.pipelines.cli import CliError
    from corpusgate.source_registry.store import Store, StoreError

    try:
        return Store(store_url(args, config))
    except StoreError as err:
        raise CliError(str(err)) from err


def resolve_store_and_key(
    args: argparse.Namespace, anchor: Path | None = None
) -> tuple[str, bytes, Any]:
    """(store URL, consent key, run config or None) from the options; CliError (exit 2) when
    one is missing or the key may not be used for the run config's registry (without a run
    config, for `anchor`: what the command works on). Warnings about the key go to stderr."""
    from corpusgate.pipelines.cli import CliError
    from corpusgate.source_registry.consent import ConsentKeyError, check_key_use, read_key

    config = load_run_config(args, required=True)
    url = store_url(args, config)
    config_key = None
    if config is not None and config.pii.consent_key_file:
        config_key = str(config.pii.consent_key_file)
    try:
        key = read_key(getattr(args, "key_file", None), config_key_file=config_key)
        warnings = check_key_use(key, config.registry if config is not None else anchor)
    except ConsentKeyError as err:
        raise CliError(str(err), 2) from err
    for warning in warnings:
        print(f"corpusgate: warning: {warning}", file=sys.stderr)
    return url, key.value, config


def print_json(value: Any) -> None:
    """Exactly one JSON document on stdout (the --json contract)."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")
