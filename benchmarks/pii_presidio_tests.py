"""(a) Presidio's own recognizer test rows, run against the recognizers corpusgate ships.

    python benchmarks/pii_presidio_tests.py [--failures N]

Reads pii-presidio-tests/presidio_recognizer_cases.jsonl (rows extracted from Presidio's
test_*_recognizer.py files) and keeps the files of the recognizers the detector runs.
Each row's text goes through *our* instance of that recognizer (the offline e-mail check, the URL
recognizer without ellipsis matches, the card recognizer with the extra PAN ranges), called
directly as Presidio's tests do. A row passes when the number of results, their positions and
(when the row gives them) their scores match. Rows whose parameters are source expressions, and
rows testing a constructor option we do not ship (other phone regions, leniency), are counted
apart; failures are listed so each departure can be judged.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from typing import Any

from _data import shared_data_dir

from corpusgate.transforms.pii.analyzer import identifier_recognizers

# Presidio test file -> our recognizer's `name`.
FILES = {
    "test_credit_card_recognizer.py": "CreditCardRecognizer",
    "test_crypto_recognizer.py": "CryptoRecognizer",
    "test_email_recognizer.py": "EmailRecognizer",
    "test_iban_recognizer.py": "IbanRecognizer",
    "test_ip_recognizer.py": "IpRecognizer",
    "test_phone_recognizer.py": "PhoneRecognizer",
    "test_url_recognizer.py": "UrlRecognizer",
    "test_us_ssn_recognizer.py": "UsSsnRecognizer",
    "test_us_itin_recognizer.py": "UsItinRecognizer",
    "test_us_passport_recognizer.py": "UsPassportRecognizer",
    "test_us_bank_recognizer.py": "UsBankRecognizer",
    "test_uk_nhs_recognizer.py": "NhsRecognizer",
}


def check(row: dict[str, Any], recognizer: Any) -> str | None:
    """None when the row passes, else a short description of the difference."""
    p = row["params"]
    entities = p.get("entities") or row["fixtures"].get("entities") or recognizer.supported_entities
    results = sorted(
        recognizer.analyze(p["text"], list(dict.fromkeys(entities)), None),
        key=lambda r: (r.start, r.end),
    )
    got = [[r.start, r.end] for r in results]
    want_len = p.get("expected_len", len(p.get("expected_positions", [])))
    if len(results) != want_len:
        return f"{len(results)} results, expected {want_len} (got {got})"
    positions = p.get("expected_positions") or p.get("expected_res")
    if positions is not None and sorted(map(list, positions)) != got:
        return f"positions {got}, expected {positions}"
    scores = [r.score for r in results]
    if (
        "expected_score" in p
        and want_len
        and any(abs(s - p["expected_score"]) > 1e-6 for s in scores)
    ):
        return f"scores {scores}, expected {p['expected_score']}"
    ranges = p.get("expected_score_ranges")
    if ranges and any(not lo <= s <= hi for s, (lo, hi) in zip(scores, ranges, strict=False)):
        return f"scores {scores}, expected within {ranges}"
    if p.get("expected_scores") and any(
        abs(s - e) > 1e-6 for s, e in zip(scores, p["expected_scores"], strict=False)
    ):
        return f"scores {scores}, expected {p['expected_scores']}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--failures", type=int, default=10, help="failures to print per file")
    args = parser.parse_args()
    path = shared_data_dir() / "pii-presidio-tests" / "presidio_recognizer_cases.jsonl"
    ours = {r.name: r for r in identifier_recognizers("en")}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    failures: dict[str, list[str]] = defaultdict(list)
    for line in path.read_text("utf-8").splitlines():
        row = json.loads(line)
        fname = row["source"].rsplit("/", 1)[-1]
        if fname not in FILES:
            continue
        c = counts[fname]
        p = row["params"]
        ctor = next((v for k, v in row["fixtures"].items() if "recognizer" in k), "")
        if row.get("non_literal_params_as_source") or "text" not in p:
            c["skipped: non-literal"] += 1
            continue
        if "leniency" in p or (ctor and not ctor.endswith("()")):
            c["skipped: option not shipped"] += 1
            continue
        why = check(row, ours[FILES[fname]])
        c["pass" if why is None else "fail"] += 1
        if why is not None and len(failures[fname]) < args.failures:
            failures[fname].append(f"  {row['test']}[{row['row']}] {p['text'][:60]!r}: {why}")

    print(f"{'test file':<32} {'recognizer':<22} {'rows':>4} {'pass':>4} {'fail':>4} {'skip':>4}")
    total = Counter()
    for fname, name in FILES.items():
        c = counts.get(fname, Counter())
        skipped = sum(v for k, v in c.items() if k.startswith("skipped"))
        run = c["pass"] + c["fail"]
        print(
            f"{fname:<32} {name:<22} {run + skipped:>4} {c['pass']:>4} {c['fail']:>4} "
            f"{skipped:>4}" + ("" if fname in counts else "  (no rows in the data)")
        )
        total.update(c)
    run = total["pass"] + total["fail"]
    print(
        f"pass rate {total['pass']}/{run} = {total['pass'] / run:.3f} "
        f"(skipped: {total['skipped: non-literal']} non-literal, "
        f"{total['skipped: option not shipped']} testing an option we do not ship)"
    )
    for fname, lines in failures.items():
        print(f"{fname}:")
        print("\n".join(lines))


if __name__ == "__main__":
    main()
