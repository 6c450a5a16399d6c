"""The `corpusgate` command line.

Each command lives in its own module under `corpusgate.pipelines` and exposes
`register(subparsers)`; registering must stay cheap (argparse only), so heavy imports
(Beam, Presidio, pyarrow) happen inside the handlers and `corpusgate robots check` starts fast.

Exit codes (stable, scripted against): 0 success; 1 a negative answer (unknown record id,
validation found problems, a check failed); 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from corpusgate.schemas import PIPELINE_VERSION

# Modules registering subcommands, in the order `--help` lists them.
COMMAND_MODULES = [
    "corpusgate.pipelines.cli.run",
    "corpusgate.pipelines.cli.registry",
    "corpusgate.pipelines.cli.audit",
    "corpusgate.pipelines.cli.report",
    "corpusgate.pipelines.cli.robots",
    "corpusgate.pipelines.cli.pii",
    "corpusgate.pipelines.cli.harm",
    "corpusgate.pipelines.cli.keywords",
    "corpusgate.pipelines.cli.classifier",
    "corpusgate.pipelines.cli.assess",
    "corpusgate.pipelines.cli.spotcheck",
    "corpusgate.pipelines.cli.evidence",
    "corpusgate.pipelines.cli.consent",
    "corpusgate.pipelines.cli.forget",
    "corpusgate.pipelines.cli.takedown",
    "corpusgate.pipelines.cli.runs",
]

EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_USAGE = 2


class CliError(Exception):
    """An error the user can fix; printed without a traceback."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corpusgate",
        description=(
            "Curate training corpora you can defend in a GB/T 45654-2025 safety assessment: "
            "read registered sources, check provenance, personal information and harmful content, "
            "and write Parquet shards whose every row carries its lineage. Nothing is dropped "
            "silently: every removed record lands in the quarantine with its reason."
        ),
        epilog="Run `corpusgate COMMAND --help` for each command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"corpusgate {PIPELINE_VERSION}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # A crash in native code (fastText, Arrow, gRPC) then leaves a Python traceback on stderr.
    with contextlib.suppress(AttributeError, OSError, ValueError):
        faulthandler.enable(sys.__stderr__)
    # Beam and Presidio log warnings at import (missing optional cloud clients, ...) that say
    # nothing about the user's run; commands raise the level when asked (`run --verbose`).
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if extra and not getattr(args, "accepts_extra", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    try:
        return int(args.handler(args) or 0)
    except CliError as err:
        print(f"corpusgate: error: {err}", file=sys.stderr)
        return err.exit_code
    except BrokenPipeError:
        # The reader went away (`| head`); nothing left to say, and no traceback to show.
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("corpusgate: interrupted; no output was published", file=sys.stderr)
        return 130


def entry() -> None:
    """The `corpusgate` console command: `main`, then leave without running C++ static
    destructors. Arrow's thread pools can abort the process while they are torn down at exit
    (`terminate called without an active exception`, apache/arrow#34314): a 150,000-record
    run published its output and then exited 134. Everything the command writes is closed
    and flushed before it returns, so nothing is lost by skipping them."""
    code = main()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
