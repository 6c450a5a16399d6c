"""(c) The Chinese vectors in pii-cn-vectors: every valid ID found, every invalid one rejected.

    python benchmarks/pii_cn_vectors.py

Each resident ID is scanned bare and embedded in a Chinese sentence without spaces; the reason
column is `normalize.check_resident_id`'s. Mobile numbers are scanned the same way, grouped by the
dataset's type; `reserved` numbers are the negatives.
"""

from __future__ import annotations

import json
from collections import Counter

from _data import shared_data_dir

from corpusgate.transforms.pii.detector import PiiDetector
from corpusgate.transforms.pii.identifiers import check_resident_id, mobile_operator


def found(detector: PiiDetector, text: str, value: str, entity: str) -> bool:
    return any(
        e.entity_type == entity and text[e.start : e.end] == value
        for e in detector.detect(text, "zh")
    )


def main() -> None:
    data = shared_data_dir() / "pii-cn-vectors"
    detector = PiiDetector()
    print("Resident identity numbers (GB 11643)")
    print(
        f"{'id_number':<20} {'upstream':<8} {'ours':<8} {'reason':<18} {'bare':<5} "
        f"{'in text':<7} verdict"
    )
    agree = total = 0
    for line in (data / "cn_resident_id_vectors.jsonl").read_text().splitlines():
        row = json.loads(line)
        value, expected = row["id_number"], row["expected_valid"]
        reason = check_resident_id(value)
        bare = found(detector, value, value, "CN_RESIDENT_ID")
        in_text = found(detector, f"他的身份证号码是{value}，请核对。", value, "CN_RESIDENT_ID")
        ours = reason is None and bare and in_text
        if expected is None:
            verdict = "not asserted upstream"
        else:
            total += 1
            agree += ours == expected
            verdict = "ok" if ours == expected else "DIFFERS"
        print(
            f"{value:<20} {expected!s:<8} {ours!s:<8} {reason or '-':<18} {bare!s:<5} "
            f"{in_text!s:<7} {verdict}"
        )
    print(f"agreement with upstream validity: {agree}/{total}")
    print()

    print("Mobile numbers (ChinaMobilePhoneNumberRegex test data)")
    groups = json.loads((data / "china_mobile_phone_test_data.json").read_text())
    tp = fn = fp = tn = 0
    misses: Counter[str] = Counter()
    print(f"{'group':<16} {'numbers':>7} {'found':>6}")
    for group, by_op in groups.items():
        n = hits = 0
        for op, numbers in by_op.items():
            for number in map(str, numbers):
                n += 1
                hit = found(detector, f"请致电{number}联系", number, "CN_MOBILE")
                hits += hit
                if group == "reserved":
                    fp += hit
                    tn += not hit
                    if hit:
                        misses[f"{number[:3]} now {mobile_operator(number)}"] += 1
                else:
                    tp += hit
                    fn += not hit
                    if not hit:
                        misses[f"{group}/{op} {number[:4]}"] += 1
        print(f"{group:<16} {n:>7} {hits:>6}")
    recall = tp / (tp + fn)
    precision = tp / (tp + fp) if tp + fp else 0.0
    print(
        f"positives found {tp}/{tp + fn} (recall {recall:.3f}); reserved accepted {fp}/{fp + tn} "
        f"(precision {precision:.3f})"
    )
    if misses:
        print("differences:", dict(sorted(misses.items())))


if __name__ == "__main__":
    main()
