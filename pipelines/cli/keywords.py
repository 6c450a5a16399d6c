"""`corpusgate keywords stats|build|review|import|add|diff|suggest`: the B.1.1 keyword library.

B.1.1 as a workflow: candidates come from upstream lexicons (`build`) or labelled data
(`suggest`), a person decides term by term (`review export` / `review import`, or `add` and
`import --code` for a few terms), every change writes a new library version, and `diff` shows
what changed between two versions.
"""

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
the shared data folder, suggests Appendix A codes per term, prunes terms that fire on clean
Wikipedia text or non-toxic identity templates, and writes the rest as a review sheet,
DIR/candidates.tsv (every term a `mention` with a blank decision), plus build-report.yaml and
the licences. Nothing enters the library until a person decides it (`keywords review import`).
Prints, per upstream list, terms in / dropped / kept. Same inputs and --date, same bytes.

example:
  corpusgate keywords build --data ../shared/data --out /tmp/kw
  corpusgate keywords review import /tmp/kw/candidates.tsv --reviewer "Li Wei"   # after review
"""

REVIEW_EPILOG = """\
export writes one TSV row per term (term, codes, tier, weight, decision, reviewer, reviewed,
sources, evidence, note); --candidates FILE appends the rows of a `build` or `suggest` sheet
the library does not hold yet. Fill `decision` with keep or drop (blank: no decision), correct
codes, tier (expression: harmful wording, flags; mention: a person, event, institution,
substance or identity, never flags alone) and weight, then import it. Import writes the next
library version; rows without a reviewer take --reviewer, rows without a date take --date.
--replace makes the sheet the whole library (terms not kept in it are removed).

examples:
  corpusgate keywords review export --out review.tsv
  corpusgate keywords review import review.tsv --reviewer "Li Wei" --date 2026-12-01
  corpusgate keywords review import sheet.tsv --reviewer "Li Wei" --replace --json

exit status: 0 imported (or exported), 2 a bad row (named by file and line) or library.
"""

IMPORT_EPILOG = """\
Adds every line of FILE (one term per line, `#` comments) to --code with the given tier and
weight, reviewed by --reviewer on --date, as the next library version. A term the library
already holds under that code is updated.

example:
  corpusgate keywords import --code A.2.d regional-slurs.txt --reviewer "Li Wei" --tier expression
"""

ADD_EPILOG = """\
example:
  corpusgate keywords add 河南骗子 --code A.2.d --tier expression --reviewer "Li Wei"
  corpusgate keywords add 冰毒 --code A.1.h --tier mention --weight 1 --reviewer "Li Wei"
"""

DIFF_EPILOG = """\
Compares two versions of the library (the current one and those kept beside it as
manifest.vN.yaml): terms added, removed, or changed (tier, weight, review).

example:
  corpusgate keywords diff 1 2 --json | jq '.added | length'

exit status: 0 no difference, 1 differences listed, 2 a version not found.
"""

SUGGEST_EPILOG = """\
Mines candidate terms for one code from labelled data by the log-odds ratio with an
informative Dirichlet prior (Monroe et al. 2008) of character n-grams (2-4) in harmful rows of
the code's topic against the safe rows. Built in for COLD (race -> A.2.a/A.2.c, region ->
A.2.d, gender -> A.2.e) and SWSR (A.2.e); prints a review sheet of the top --top n-grams that
the library does not already hold (decision blank), for `keywords review import`.

example:
  corpusgate keywords suggest --code A.2.d --top 200 > a2d-candidates.tsv
"""


def _default_data_dir() -> Path:
    import os

    configured = os.environ.get("CORPUSGATE_SHARED_DATA")
    return Path(configured) if configured else Path("..") / "shared" / "data"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "keywords",
        help="the B.1.1 keyword library: quotas, term-by-term review, versions",
        description="Inspect, review and version the keyword library (GB/T 45654-2025 B.1.1).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "example:\n  corpusgate keywords stats\n  corpusgate keywords review export --out r.tsv\n"
            "  corpusgate keywords diff 2 3\n"
        ),
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
        help="candidate terms from the upstream lexicons, for review",
        description="Write candidate terms from the upstream lexicons as a review sheet.",
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
        default=Path("keyword-candidates"),
        help="output folder for candidates.tsv (default: ./keyword-candidates)",
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
    review = kw_sub.add_parser(
        "review",
        help="export the library as a review sheet, or import a reviewed sheet",
        description="Review the library term by term (B.1.1): export a TSV sheet, import it back.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=REVIEW_EPILOG,
    )
    review_sub = review.add_subparsers(dest="review_command", metavar="ACTION")
    export = review_sub.add_parser(
        "export",
        help="write the review sheet",
        description="Write the library (and candidates) as a review sheet.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=REVIEW_EPILOG,
    )
    export.add_argument("--library", type=Path, help="library folder (default: the shipped one)")
    export.add_argument("--candidates", type=Path, help="a build or suggest sheet to append")
    export.add_argument("--out", type=Path, help="file to write (default: stdout)")
    export.set_defaults(handler=_review_export)
    imp = review_sub.add_parser(
        "import",
        help="apply a reviewed sheet as the next library version",
        description="Apply the decisions of a review sheet as the next library version.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=REVIEW_EPILOG,
    )
    imp.add_argument("sheet", type=Path, metavar="FILE", help="the reviewed TSV sheet")
    _edit_arguments(imp)
    imp.add_argument(
        "--replace", action="store_true", help="the sheet is the whole library: drop the rest"
    )
    imp.set_defaults(handler=_review_import)
    review.set_defaults(handler=lambda args: _no_subcommand(review))

    imp_list = kw_sub.add_parser(
        "import",
        help="add a file of terms to one code",
        description="Add the terms of a plain list (one per line) to one Appendix A code.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=IMPORT_EPILOG,
    )
    imp_list.add_argument("file", type=Path, metavar="FILE", help="one term per line")
    imp_list.add_argument("--code", required=True, help="Appendix A code, e.g. A.2.d")
    _term_arguments(imp_list)
    _edit_arguments(imp_list)
    imp_list.set_defaults(handler=_import_list)

    add = kw_sub.add_parser(
        "add",
        help="add or update one term",
        description="Add (or update) one reviewed term under one or more codes.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=ADD_EPILOG,
    )
    add.add_argument("term", help="the term")
    add.add_argument("--code", required=True, action="append", help="Appendix A code (repeatable)")
    _term_arguments(add)
    _edit_arguments(add)
    add.set_defaults(handler=_add)

    diff = kw_sub.add_parser(
        "diff",
        help="what changed between two library versions",
        description="Terms added, removed and changed between two library versions.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=DIFF_EPILOG,
    )
    diff.add_argument("old", type=int, metavar="V1", help="older version number")
    diff.add_argument("new", type=int, metavar="V2", help="newer version number")
    diff.add_argument("--library", type=Path, help="library folder (default: the shipped one)")
    diff.add_argument("--json", action="store_true", help="print one JSON document")
    diff.set_defaults(handler=_diff)

    suggest = kw_sub.add_parser(
        "suggest",
        help="candidate terms for a code mined from labelled data",
        description="Mine candidate terms for one code from labelled data (log-odds ratio).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=SUGGEST_EPILOG,
    )
    suggest.add_argument("--code", required=True, help="Appendix A code, e.g. A.2.d")
    suggest.add_argument("--top", type=int, default=100, help="candidates to print (default 100)")
    suggest.add_argument(
        "--data",
        type=Path,
        default=None,
        help="shared data folder (default: $CORPUSGATE_SHARED_DATA or ../shared/data)",
    )
    suggest.add_argument("--library", type=Path, help="library folder (default: the shipped one)")
    suggest.set_defaults(handler=_suggest)
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
            f"({stats.age_days} days ago); quotas count reviewed terms only"
        )
        print(
            f"total unique reviewed terms: {stats.total_unique} (quota {KEYWORD_QUOTA_TOTAL}) "
            f"{mark}"
        )
        print("  code   reviewed  quota  short  expr. mention  unreviewed")
        for code, count in stats.per_code.items():
            quota = keyword_quota(code)
            flag = "SHORT" if code in stats.shortfalls else ("ok" if quota else "-")
            tiers = stats.tiers.get(code, {})
            print(
                f"  {code}  {count:6d}  {quota:5d}  {max(0, quota - count):5d}  "
                f"{tiers.get('expression', 0):5d} {tiers.get('mention', 0):7d}  "
                f"{stats.unreviewed.get(code, 0):10d}  {flag:5s}  {CODES[code].title_en}"
            )
        if stats.shortfalls:
            print("below B.1.1 b quota: " + ", ".join(stats.shortfalls))
    return 0 if stats.meets_quotas and not stats.stale else 1


def _build(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import CliError
    from corpusgate.transforms.harm import keyword_build

    data = args.data or _default_data_dir()
    if not data.is_dir():
        raise CliError(
            f"{data}: shared data folder not found; pass --data DIR or set CORPUSGATE_SHARED_DATA"
        )
    try:
        result = keyword_build.build(
            data,
            args.out,
            version=args.version or keyword_build.LIBRARY_VERSION,
            build_date=_parse_date(args.date),
            only=args.only,
            log=lambda msg: print(msg, file=sys.stderr),
        )
    except ValueError as err:
        raise CliError(str(err)) from None
    print(keyword_build.format_report(result))
    print(f"wrote {result.out_dir / keyword_build.CANDIDATES} (unreviewed candidates)")
    return 0


def _term_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tier",
        choices=["expression", "mention"],
        default="expression",
        help="expression (flags) or mention (never flags alone); default expression",
    )
    parser.add_argument("--weight", type=float, default=1.0, help="weight in (0, 1] (default 1)")
    parser.add_argument("--sources", default="manual", help="where the term came from")


def _edit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reviewer", help="who reviewed the terms (written with each term)")
    parser.add_argument("--date", help="review and build date, YYYY-MM-DD (default: today)")
    parser.add_argument("--library", type=Path, help="library folder (default: the shipped one)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def _load(folder: Path | None, version: int | None = None):  # type: ignore[no-untyped-def]
    from corpusgate.pipelines.cli import CliError
    from corpusgate.transforms.harm.library import KeywordLibrary

    try:
        return KeywordLibrary.load(folder, version)
    except (OSError, ValueError) as err:
        raise CliError(f"cannot read keyword library: {err}") from None


def _save(args: argparse.Namespace, library, terms, summary: dict[str, object]) -> int:  # type: ignore[no-untyped-def]
    from corpusgate.pipelines.cli import CliError
    from corpusgate.transforms.harm.library import default_library_dir, write_library

    folder = args.library or default_library_dir()
    day = _parse_date(args.date)
    try:
        manifest = write_library(folder, terms, version=library.version + 1, build_date=day)
    except ValueError as err:
        raise CliError(str(err)) from None
    doc = {"library": str(folder), "version": manifest["version"], **summary}
    if args.json:
        print(json.dumps(doc, ensure_ascii=False))
    else:
        details = ", ".join(f"{k} {v}" for k, v in summary.items())
        print(f"wrote keyword library v{manifest['version']} in {folder}: {details}")
    return 0


def _review_export(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import CliError
    from corpusgate.transforms.harm.review import Candidate, export_rows, read_review

    library = _load(args.library)
    candidates: list[Candidate] = []
    if args.candidates is not None:
        try:
            rows = read_review(args.candidates)
        except ValueError as err:
            raise CliError(str(err)) from None
        candidates = [Candidate(r.term, r.codes, r.tier, r.weight, r.sources, r.note) for r in rows]
    text = export_rows(library, candidates)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _review_import(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import CliError
    from corpusgate.transforms.harm.library import KeywordLibrary
    from corpusgate.transforms.harm.review import apply_review, read_review

    library = _load(args.library)
    try:
        rows = read_review(args.sheet)
        base = KeywordLibrary.from_terms({}, version=library.version) if args.replace else library
        outcome = apply_review(base, rows, reviewer=args.reviewer, today=_parse_date(args.date))
    except ValueError as err:
        message = str(err)
        raise CliError(
            message if str(args.sheet) in message else f"{args.sheet}: {message}"
        ) from None
    if outcome.undecided:
        print(
            f"corpusgate: warning: {outcome.undecided} row(s) have no decision and were not "
            "applied",
            file=sys.stderr,
        )
    return _save(
        args,
        library,
        outcome.terms,
        {
            "kept": outcome.kept,
            "added": outcome.added,
            "dropped": outcome.dropped,
            "undecided": outcome.undecided,
            "terms": len(outcome.terms),
        },
    )


def _edit_terms(args: argparse.Namespace, library, codes: list[str], terms: list[str]) -> list:  # type: ignore[no-untyped-def]
    from corpusgate.pipelines.cli import CliError
    from corpusgate.transforms.harm.library import Term

    if not args.reviewer:
        raise CliError("--reviewer is required: B.1.1 terms are reviewed, and say by whom")
    day = _parse_date(args.date)
    current = {(t.code, t.term): t for t in library.terms()}
    for term in terms:
        for code in codes:
            entry = Term(term, code, args.tier, args.weight, args.sources, args.reviewer, day)
            try:
                entry.check(f"term {term!r}")
            except ValueError as err:
                raise CliError(str(err)) from None
            current[(code, term)] = entry
    return [current[k] for k in sorted(current)]


def _import_list(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import CliError

    library = _load(args.library)
    try:
        lines = args.file.read_text(encoding="utf-8-sig").splitlines()
    except OSError as err:
        raise CliError(f"{args.file}: cannot read ({err.strerror})") from None
    terms = []
    for n, line in enumerate(lines, 1):
        term = line.strip()
        if not term or term.startswith("#"):
            continue
        if "\t" in term:
            raise CliError(f"{args.file}:{n}: one term per line, no tabs")
        terms.append(term)
    if not terms:
        raise CliError(f"{args.file}: no terms")
    new = _edit_terms(args, library, [args.code], sorted(set(terms)))
    return _save(args, library, new, {"code": args.code, "imported": len(set(terms))})


def _add(args: argparse.Namespace) -> int:
    library = _load(args.library)
    new = _edit_terms(args, library, args.code, [args.term.strip()])
    return _save(args, library, new, {"term": args.term.strip(), "codes": ",".join(args.code)})


def _diff(args: argparse.Namespace) -> int:
    from corpusgate.transforms.harm.library import diff_libraries

    old = _load(args.library, args.old)
    new = _load(args.library, args.new)
    diff = diff_libraries(old, new)
    if args.json:
        print(json.dumps(diff.to_json(), ensure_ascii=False))
    else:
        print(
            f"keyword library v{diff.old_version} -> v{diff.new_version}: "
            f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed"
        )
        for t in diff.added[:50]:
            print(f"  + {t.code}  {t.term}  {t.tier} {t.weight:g}  {t.reviewer or '-'}")
        for t in diff.removed[:50]:
            print(f"  - {t.code}  {t.term}  {t.tier} {t.weight:g}")
        for a, b in diff.changed[:50]:
            print(f"  ~ {b.code}  {b.term}  {a.tier} {a.weight:g} -> {b.tier} {b.weight:g}")
        shown = max(len(diff.added), len(diff.removed), len(diff.changed))
        if shown > 50:
            print("  (first 50 of each shown; --json lists all)")
    return 1 if diff.added or diff.removed or diff.changed else 0


def _suggest(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import CliError
    from corpusgate.transforms.harm.suggest import suggest_terms
    from corpusgate.transforms.harm.taxonomy import get_code

    try:
        get_code(args.code)
    except ValueError as err:
        raise CliError(str(err)) from None
    data = args.data or _default_data_dir()
    if not data.is_dir():
        raise CliError(
            f"{data}: shared data folder not found; pass --data DIR or set CORPUSGATE_SHARED_DATA"
        )
    library = _load(args.library)
    try:
        sheet = suggest_terms(data, args.code, library, top=args.top)
    except ValueError as err:
        raise CliError(str(err)) from None
    sys.stdout.write(sheet)
    return 0
