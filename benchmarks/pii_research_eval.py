"""(b) Per-entity precision / recall / F1 on presidio-research's synthetic English spans.

    python benchmarks/pii_research_eval.py [--file synth_dataset_v2.json] [--misses N]

Runs the product detector (`PiiDetector`, language `en`, the packaged policy's thresholds,
windowing and overlap resolution: what the pipeline decides) over every sample and compares with the labelled spans, for
the entity types the detector claims. Our types are mapped onto the data's labels (URL onto
DOMAIN_NAME). Matching is by span overlap with the same label: a labelled span is found (TP) when
a prediction of its label overlaps it; a prediction overlapping no labelled span of its label is a
false positive. `exact` counts found spans whose boundaries also match exactly. Predictions of
types the data never labels (US_BANK_NUMBER, CRYPTO, ...) are listed separately: the data cannot
say whether they are right.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter, defaultdict

from _data import peak_rss_mib, shared_data_dir

from corpusgate.transforms.pii.detector import PiiDetector

# Our entity type -> the data's label.
LABEL_OF = {
    "CREDIT_CARD": "CREDIT_CARD",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "IBAN_CODE": "IBAN_CODE",
    "IP_ADDRESS": "IP_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "US_SSN": "US_SSN",
    "URL": "DOMAIN_NAME",
}
# The structured identifiers the target (recall >= 0.95, precision >= 0.95; issue 9) covers.
STRUCTURED = ("CREDIT_CARD", "EMAIL_ADDRESS", "IBAN_CODE", "IP_ADDRESS", "PHONE_NUMBER", "US_SSN")


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--file",
        default="synth_dataset_v2.json",
        help="file in pii-presidio-research (default: %(default)s)",
    )
    parser.add_argument(
        "--misses",
        type=int,
        default=3,
        help="examples of misses / false positives to print per label",
    )
    args = parser.parse_args()
    samples = json.loads((shared_data_dir() / "pii-presidio-research" / args.file).read_text())
    detector = PiiDetector()
    tp: Counter[str] = Counter()
    exact: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    unlabelled: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    # Which phone recognizer a kept PHONE_NUMBER came from (libphonenumber or the layouts).
    by_recognizer: Counter[str] = Counter()
    phone_tp: Counter[str] = Counter()
    start = time.perf_counter()
    for sample in samples:
        text = sample["full_text"]
        gold = [
            (s["entity_type"], (s["start_position"], s["end_position"])) for s in sample["spans"]
        ]
        preds = []
        for e in detector.detect(text, "en"):
            label = LABEL_OF.get(e.entity_type)
            if label is None:
                unlabelled[e.entity_type] += 1
            else:
                preds.append((label, (e.start, e.end)))
                if label == "PHONE_NUMBER":
                    by_recognizer[e.recognizer] += 1
                    phone_tp[e.recognizer] += any(
                        lab == label and overlaps((e.start, e.end), g) for lab, g in gold
                    )
        for label, span in gold:
            if label not in LABEL_OF.values():
                continue
            hits = [p for lab, p in preds if lab == label and overlaps(p, span)]
            if hits:
                tp[label] += 1
                exact[label] += span in hits
            else:
                fn[label] += 1
                if len(examples[f"miss {label}"]) < args.misses:
                    examples[f"miss {label}"].append(repr(text[span[0] : span[1]]))
        for label, span in preds:
            if not any(lab == label and overlaps(span, g) for lab, g in gold):
                fp[label] += 1
                if len(examples[f"false {label}"]) < args.misses:
                    got = [lab for lab, g in gold if overlaps(span, g)]
                    examples[f"false {label}"].append(
                        f"{text[span[0] : span[1]]!r} (labelled {got or 'nothing'})"
                    )
    elapsed = time.perf_counter() - start

    print(
        f"pii-presidio-research/{args.file}: {len(samples)} samples, detector `en`, "
        f"policy {detector.policy.version}"
    )
    header = (
        f"{'label':<14} {'gold':>5} {'TP':>5} {'FN':>4} {'FP':>4} {'exact':>6} "
        f"{'precision':>9} {'recall':>6} {'F1':>6}"
    )
    print(header)
    print("-" * len(header))
    totals = Counter()
    for ours, label in LABEL_OF.items():
        t, n, f = tp[label], fn[label], fp[label]
        p = t / (t + f) if t + f else float("nan")
        r = t / (t + n) if t + n else float("nan")
        f1 = 2 * p * r / (p + r) if t else 0.0
        print(
            f"{label:<14} {t + n:>5} {t:>5} {n:>4} {f:>4} {exact[label]:>6} {p:>9.3f} "
            f"{r:>6.3f} {f1:>6.3f}"
        )
        if ours in STRUCTURED:
            totals.update({"tp": t, "fn": n, "fp": f})
    t, n, f = totals["tp"], totals["fn"], totals["fp"]
    p, r = t / (t + f), t / (t + n)
    print(
        f"{'structured':<14} {t + n:>5} {t:>5} {n:>4} {f:>4} {'':>6} {p:>9.3f} {r:>6.3f} "
        f"{2 * p * r / (p + r):>6.3f}   (target: precision >= 0.95, recall >= 0.95)"
    )
    print(
        "PHONE_NUMBER predictions by recognizer (kept / overlapping a labelled phone): "
        + ", ".join(f"{name} {n} / {phone_tp[name]}" for name, n in sorted(by_recognizer.items()))
    )
    if unlabelled:
        print(f"predictions of types the data does not label: {dict(sorted(unlabelled.items()))}")
    for key in sorted(examples):
        print(f"{key}: {'; '.join(examples[key])}")
    print(f"{len(samples) / elapsed:.0f} samples/s, peak RSS {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
