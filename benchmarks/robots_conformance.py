"""RFC 9309 conformance of corpusgate's robots matcher, with Protego measured side by side.

Reads `robotstxt-conformance/` (see its PROVENANCE.md) and prints, per file and per
`semantics`, how many allow/disallow rows each library gets right. `rfc9309+google` is the
reference: every row of Google's spec suite (correctness group) and of robots_test.cc must
pass; the Google-specific rows are shown apart. The `protego` and `python-urllib.robotparser`
rows encode other libraries' behaviour (see the notes printed at the end). Also checks the
helper tables: URL -> path (GetPathParamsQuery), pattern escaping, valid user agents.

    cd /work/main && .venv/bin/python benchmarks/robots_conformance.py [--show-failures]
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import shared_data_dir

from corpusgate.transforms.provenance.robots import (
    escape_pattern,
    is_valid_user_agent,
    parse_robots,
    path_from_url,
)

FILES = [
    "google_robotstxt_spec_test.jsonl",
    "google_robotstxt_robots_test.jsonl",
    "protego_tests.jsonl",
    "cpython_test_robotparser.jsonl",
]


def read_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def ours(row: dict) -> bool:
    body = base64.b64decode(row["robots_txt_base64"])
    return parse_robots(body).verdict(row["url"], row["user_agent"]).allowed


def protego(row: dict) -> bool:
    from protego import Protego

    return bool(Protego.parse(row["robots_txt"]).can_fetch(row["url"], row["user_agent"]))


def category(row: dict) -> str:
    sem = row["semantics"]
    if sem == "rfc9309+google":
        return f"{sem} ({'google-specific' if row['google_specific'] else 'RFC'})"
    if row.get("rfc9309_may_differ"):
        return f"{sem} (rfc9309_may_differ)"
    return sem


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-failures", action="store_true", help="list corpusgate's misses")
    args = parser.parse_args()
    folder = shared_data_dir() / "robotstxt-conformance"

    reference_failures = 0
    by_semantics: dict[str, Counter] = {}
    print(f"{'file / semantics':62} {'rows':>5} {'corpusgate':>11} {'protego':>8}")
    for name in FILES:
        rows = read_rows(folder / name)
        per_cat: dict[str, Counter] = {}
        for row in rows:
            got, theirs = ours(row), protego(row)
            want = row["expected_allowed"]
            for c in (
                per_cat.setdefault(category(row), Counter()),
                by_semantics.setdefault(row["semantics"], Counter()),
            ):
                c["rows"] += 1
                c["ours"] += got == want
                c["protego"] += theirs == want
            if got != want:
                if row["semantics"] == "rfc9309+google":
                    reference_failures += 1
                if args.show_failures:
                    print(
                        f"  MISS {row['id']} {row['test']} ua={row['user_agent']!r} "
                        f"url={row['url'][:80]!r} expected_allowed={want}"
                    )
        total = Counter()
        for cat, c in sorted(per_cat.items()):
            total.update(c)
            print(f"  {name[:-6] + ' / ' + cat:60} {c['rows']:5} {c['ours']:11} {c['protego']:8}")
        print(
            f"  {name[:-6] + ' / all':60} {total['rows']:5} {total['ours']:11} {total['protego']:8}"
        )
    print("per semantics (all files):")
    for sem, c in sorted(by_semantics.items()):
        print(f"  {sem:60} {c['rows']:5} {c['ours']:11} {c['protego']:8}")

    helpers = [
        (
            "google_robotstxt_path_params_query.jsonl",
            lambda r: path_from_url(r["input"]) == r["expected"],
        ),
        (
            "google_robotstxt_escape_pattern.jsonl",
            lambda r: escape_pattern(r["input"].encode("utf-8").decode("latin-1")) == r["expected"],
        ),
        (
            "google_robotstxt_valid_user_agent.jsonl",
            lambda r: is_valid_user_agent(r["user_agent"]) == r["expected_valid"],
        ),
    ]
    print("helper tables (corpusgate):")
    for name, check in helpers:
        rows = read_rows(folder / name)
        passed = sum(bool(check(r)) for r in rows)
        reference_failures += len(rows) - passed
        print(f"  {name[:-6]:60} {len(rows):5} {passed:11}")
    print(f"reference (rfc9309+google) failures: {reference_failures}")
    return 1 if reference_failures else 0


if __name__ == "__main__":
    sys.exit(main())
