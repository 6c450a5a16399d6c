"""`corpusgate keywords stats|build`: the B.1.1 keyword library."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

STATS_EPILOG = """\
B.1.1 asks for >= 10,000 keywords in total, >= 200 for each A.1 risk and >= 100 for each
A.2 risk, and an update at least once a week. This command counts the shipped library (or
--library DIR) against those quotas and names every code that falls short.

example:
  corpusgate keywords stats
  corpusgate keywords stats --json | jq .shortfalls

exit status: 0 all quotas met and library fresh, 1 a quota missed or library stale,
2 library unreadable.
"""

BUILD_EPILOG = """\
Reads the upstream lexicons (houbb, konsheng, fwwdn, SWSR SexHateLex, Davidson n-grams) from
the shared data folder, maps each list to Appendix A codes, prunes terms that fire on clean
Wikipedia text or non-toxic identity templates, and writes one versioned file per code plus
manifest.yaml and the licences. Prints, per upstream list, terms in / dropped / kept.
The same inputs, --version and --date give byte-identical output.

example:
  corpusgate keywords build --data ../shared/data
  corpusgate keywords build --out /tmp/kw --date 2026-01-05 --only swsr-sexhatelex
"""


def _default_data_dir() -> Path:
    import os

    configured = os.environ.get("CORPUSGATE_SHARED_DATA")
    return Path(configured) if configured else Path("..") / "shared" / "data"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "keywords",
        help="the B.1.1 keyword library: quota stats and rebuild",
        description="Inspect and rebuild the keyword library (GB/T 45654-2025 B.1.1).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  corpusgate keywords stats\n  corpusgate keywords build --help\n",
    )
    kw_sub = parser.add_subparsers(dest="keywords_command", metavar="SUBCOMMAND")

    stats = kw_sub.add_parser(
        "stats",
        help="total and per-code counts against B.1.1's quotas",
        description="Count the keyword library against B.1.1's quotas and its weekly update.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=STATS_EPILOG,
    )
    stats.add_argument("--library", type=Path, help="library folder (default: the shipped one)")
    stats.add_argument("--today", help="date to judge staleness against (default: today)")
    stats.add_argument("--json", action="store_true", help="print one JSON document")
    stats.set_defaults(handler=_stats)

    build = kw_sub.add_parser(
        "build",
        help="regenerate the library from the upstream lexicons",
        description="Regenerate configs/keywords/ deterministically from the upstream lexicons.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=BUILD_EPILOG,
    )
    build.add_argument(
        "--data",
        type=Path,
        default=None,
        help="shared data folder (default: $CORPUSGATE_SHARED_DATA or ../shared/data)",
    )
    build.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: the package's configs/keywords)",
    )
    build.add_argument("--date", help="build date written to the manifest (default: today)")
    build.add_argument("--version", type=int, default=None, help="library version number")
    build.add_argument(
        "--only",
        action="append",
        metavar="LIST_ID",
        help="build from these upstream lists only (repeatable; for tests)",
    )
    build.set_defaults(handler=_build)
    parser.set_defaults(handler=lambda args: _no_subcommand(parser))


def _no_subcommand(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _parse_date(value: str | None) -> dt.date:
    from corpusgate.pipelines.cli import CliError

    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CliError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _stats(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import CliError
    from corpusgate.transforms.harm.keywords import KeywordLibrary
    from corpusgate.transforms.harm.taxonomy import CODES, KEYWORD_QUOTA_TOTAL, keyword_quota

    today = _parse_date(args.today)
    try:
        library = KeywordLibrary.load(args.library)
    except (OSError, ValueError) as err:
        raise CliError(f"cannot read keyword library: {err}") from None
    stats = library.stats(today)
    if stats.stale:
        print(
            f"corpusgate: warning: keyword library built {stats.build_date} is {stats.age_days} "
            "days old; B.1.1 c expects a weekly update",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(stats.to_json(), ensure_ascii=False, indent=2))
    else:
        mark = "ok" if stats.meets_total else "SHORT"
        print(
            f"keyword library v{stats.version}, built {stats.build_date} "
            f"({stats.age_days} days ago), newest upstream snapshot {stats.sources_date}"
        )
        print(f"total unique terms: {stats.total_unique} (quota {KEYWORD_QUOTA_TOTAL}) {mark}")
        for code, count in stats.per_code.items():
            quota = keyword_quota(code)
            flag = "SHORT" if code in stats.shortfalls else ("ok" if quota else "-")
            print(f"  {code}  {count:6d}  quota {quota:4d}  {flag:5s}  {CODES[code].title_en}")
        if stats.shortfalls:
            print("below B.1.1 b quota: " + ", ".join(stats.shortfalls))
    return 0 if stats.meets_quotas and not stats.stale else 1


def _build(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import CliError
    from corpusgate.transforms.harm import keyword_build
    from corpusgate.transforms.harm.keywords import default_library_dir

    data = args.data or _default_data_dir()
    if not data.is_dir():
        raise CliError(
            f"{data}: shared data folder not found; pass --data DIR or set CORPUSGATE_SHARED_DATA"
        )
    try:
        result = keyword_build.build(
            data,
            args.out or default_library_dir(),
            version=args.version or keyword_build.LIBRARY_VERSION,
            build_date=_parse_date(args.date),
            only=args.only,
            log=lambda msg: print(msg, file=sys.stderr),
        )
    except ValueError as err:
        raise CliError(str(err)) from None
    print(keyword_build.format_report(result))
    print(f"wrote {result.out_dir}")
    return 0
