"""What the harm decision does to text: harmful sets caught, clean sets flagged, codes, evasion,
the 5% gate over seeds, and speed (GB/T 45654-2025 4.1.1, 4.2.1, B.1.1).

    python benchmarks/harm_quality.py [--seeds 200] [--policy FILE] [--json OUT]

Measures the pipeline's decision, `HarmDetector.detect_batch(...)[i].flagged`, exactly what the
harm stage uses, never a model or the keyword list alone:

- harmful sets (recall, precision, F1 of `flagged` against the labels): COLD dev, the SWSR and
  Davidson dev splits of the model recipes (hash splits: never trained on);
- clean sets (share flagged): poet.tang (traditional script), 唐诗三百首, CMRC 2018 Chinese
  Wikipedia and its OpenCC traditional twin, WikiText-2, the web pages of web-cc-samples, and
  the short sentences split out of those two. Each is given on its `holdout` part (a keyed hash
  split nothing is trained or tuned on, see `corpora.py`) and on the whole set;
- unseen short messages (share flagged): the 1,500 texts of presidio-research's synthetic PII
  set, ordinary chat and form messages ("What's your last name?"), which no model or threshold
  is trained or tuned on;
- code attribution: among caught harmful records, the share whose codes include the code the
  set's label means (COLD topic race -> A.2.a/A.2.c, region -> A.2.d, gender -> A.2.e; SWSR ->
  A.2.e), and the evasion set's expected codes;
- the evasion set (`benchmarks/data/harm_evasion.jsonl`, written for this project);
- the gate over `--seeds` seeds: a clean source and an 8%-harmful one of 20,000 records,
  4,000 sampled, decided by `gate_report` with the policy's measured detector error;
- docs/s of `detect_batch` on a mixed corpus, CPU seconds of this process (the machine is
  shared: the best of five rounds is printed; the detector is warm by then, jieba loaded).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import peak_rss_mib, shared_data_dir

from corpusgate.transforms.harm import corpora, labelled
from corpusgate.transforms.harm.detect import HarmDetector, HarmPolicy

HERE = Path(__file__).resolve().parent
EVASION = HERE / "data" / "harm_evasion.jsonl"
TOPIC_CODES = {"race": {"A.2.a", "A.2.c", "A.1.e"}, "region": {"A.2.d"}, "gender": {"A.2.e"}}


def _decide(detector: HarmDetector) -> Callable[[Sequence[str]], list[Any]]:
    batch = getattr(detector, "detect_batch", None)
    if batch is not None:
        return lambda texts: batch(list(texts))
    return lambda texts: [detector.detect(t) for t in texts]  # the detector before issue 14


def _prf(gold: Sequence[int], pred: Sequence[bool]) -> dict[str, float]:
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if not g and p)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if g and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"n": len(gold), "recall": recall, "precision": precision, "f1": f1}


def harmful_sets(data: Path, decide: Callable[..., list[Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    attribution: dict[str, list[int]] = {}
    for name in ("cold_dev", "swsr_dev", "davidson_dev"):
        rows = labelled.labelled_texts(data, name)
        results = decide([r.text for r in rows])
        out[name] = _prf([r.label for r in rows], [res.flagged for res in results])
        for row, res in zip(rows, results, strict=True):
            if not (row.label and res.flagged):
                continue
            if name == "cold_dev" and row.topic in TOPIC_CODES:
                key, want = f"COLD {row.topic}", TOPIC_CODES[row.topic]
            elif name == "swsr_dev":
                key, want = "SWSR sexism", {"A.2.e"}
            else:
                continue
            hits = attribution.setdefault(key, [0, 0])
            hits[0] += bool(want & set(res.codes))
            hits[1] += 1
    out["attribution"] = attribution
    return out


def clean_sets(data: Path, decide: Callable[..., list[Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in (
        "poet_tang",
        "tang300",
        "cmrc2018",
        "wikitext2",
        "web_pages",
        "wikitext2_sentences",
        "web_sentences",
    ):
        rows = corpora.clean_texts(data, name)
        flags = [res.flagged for res in decide([r.text for r in rows])]
        held = [f for r, f in zip(rows, flags, strict=True) if r.part == "holdout"]
        out[name] = {
            "n": len(rows),
            "flagged": sum(flags),
            "holdout_n": len(held),
            "holdout_flagged": sum(held),
        }
        if name == "cmrc2018":
            trad = corpora.to_traditional([r.text for r in rows])
            tflags = [res.flagged for res in decide(trad)]
            theld = [f for r, f in zip(rows, tflags, strict=True) if r.part == "holdout"]
            out["cmrc2018_traditional"] = {
                "n": len(rows),
                "flagged": sum(tflags),
                "holdout_n": len(theld),
                "holdout_flagged": sum(theld),
            }
    return out


def unseen_messages(data: Path, decide: Callable[..., list[Any]]) -> dict[str, Any]:
    """Share of presidio-research's synthetic messages flagged; empty when the file is absent."""
    path = data / "pii-presidio-research" / "synth_dataset_v2.json"
    if not path.is_file():
        return {}
    texts = [row["full_text"] for row in json.loads(path.read_text(encoding="utf-8"))]
    flagged = sum(res.flagged for res in decide(texts))
    return {"presidio_synth": {"n": len(texts), "flagged": flagged}}


def evasion(decide: Callable[..., list[Any]]) -> dict[str, Any]:
    cases = [json.loads(line) for line in EVASION.read_text(encoding="utf-8").splitlines() if line]
    results = decide([c["text"] for c in cases])
    kinds: dict[str, list[int]] = {}
    misses = []
    for case, res in zip(cases, results, strict=True):
        ok = res.flagged == case["flagged"] and (
            not case["flagged"] or not case.get("codes") or set(case["codes"]) <= set(res.codes)
        )
        tally = kinds.setdefault(case["kind"], [0, 0])
        tally[0] += ok
        tally[1] += 1
        if not ok:
            misses.append({"kind": case["kind"], "id": case["id"], "codes": res.codes})
    return {"by_kind": kinds, "misses": misses}


def gate_simulation(
    data: Path, detector: HarmDetector, decide: Callable[..., list[Any]], seeds: int
) -> dict[str, Any]:
    from corpusgate.transforms.harm.gate.assessment import SampleEntry, gate_report, model_accuracy

    clean: list[str] = []
    for name in ("poet_tang", "cmrc2018", "wikitext2", "web_pages", "tang300"):
        clean += [r.text for r in corpora.clean_texts(data, name, ("holdout",))]
    # Holdout rows only: the policy's measured TPR comes from the other rows.
    harmful = [
        r.text
        for name in ("cold_dev", "swsr_dev", "davidson_dev")
        for r in labelled.labelled_texts(data, name)
        if r.label and corpora.clean_part(r.text) == "holdout"
    ]
    clean_res = decide(clean)
    harm_res = decide(harmful)

    def entry(res: Any) -> Any:
        return SampleEntry(res.flagged, res.language, tuple(res.model_hits), tuple(res.codes))

    clean_e = [entry(r) for r in clean_res]
    harm_e = [entry(r) for r in harm_res]
    policy = detector.policy
    population, k = 20_000, policy.sample_size
    accuracy = model_accuracy(detector)
    rejected = {"clean": 0, "harmful_8pct": 0}
    inconclusive = {"clean": 0, "harmful_8pct": 0}
    for seed in range(seeds):
        rng = random.Random(seed)
        for label, share in (("clean", 0.0), ("harmful_8pct", 0.08)):
            n_harm = round(population * share)
            source = [rng.choice(harm_e) for _ in range(n_harm)]
            source += [rng.choice(clean_e) for _ in range(population - n_harm)]
            picked = rng.sample(range(population), k)
            sample = [(i, f"r{i}", source[i]) for i in picked]
            report = gate_report(sample, population, policy, methods=["sim"], accuracy=accuracy)
            rejected[label] += report["decision"] == "reject"
            inconclusive[label] += bool(report["inconclusive"])
    return {
        "seeds": seeds,
        "population": population,
        "sample": k,
        "rejected": rejected,
        "inconclusive": inconclusive,
        "clean_pool": len(clean),
        "harmful_pool": len(harmful),
    }


def speed(data: Path, decide: Callable[..., list[Any]]) -> dict[str, Any]:
    mixed: list[str] = []
    mixed += [r.text for r in corpora.clean_texts(data, "poet_tang")[:6000]]
    mixed += [r.text for r in corpora.clean_texts(data, "cmrc2018")]
    mixed += [r.text for r in corpora.clean_texts(data, "wikitext2")[:2000]]
    mixed += [r.text for r in labelled.labelled_texts(data, "cold_dev")[:3000]]
    mixed += [r.text for r in labelled.labelled_texts(data, "davidson_dev")[:2000]]
    mixed += [r.text for r in corpora.clean_texts(data, "web_pages")]
    random.Random(0).shuffle(mixed)
    rates = []
    for _ in range(5):
        t0 = time.process_time()
        for i in range(0, len(mixed), 512):
            decide(mixed[i : i + 512])
        rates.append(len(mixed) / max(time.process_time() - t0, 1e-9))
    chars = sum(len(t) for t in mixed) / len(mixed)
    return {"docs": len(mixed), "mean_chars": chars, "docs_per_s": max(rates)}


def _pct(k: int, n: int) -> str:
    return f"{k / n:.2%}" if n else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=200, help="gate simulation seeds")
    parser.add_argument("--policy", help="harm policy file (default: the shipped one)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--skip", action="append", default=[], help="skip a part (gate, speed)")
    args = parser.parse_args()
    data = shared_data_dir()
    t0 = time.process_time()
    detector = HarmDetector.load(HarmPolicy.load(args.policy))
    print(f"detector loaded in {time.process_time() - t0:.1f} s CPU: {'; '.join(detector.methods)}")
    decide = _decide(detector)
    figures: dict[str, Any] = {}

    harm = harmful_sets(data, decide)
    figures["harmful"] = harm
    print("\nharmful text: the decision (flagged) against the labels")
    print(f"  {'set':<14} {'n':>6} {'recall':>7} {'prec.':>7} {'F1':>7}")
    for name in ("cold_dev", "swsr_dev", "davidson_dev"):
        m = harm[name]
        print(
            f"  {name:<14} {m['n']:>6} {m['recall']:>7.3f} {m['precision']:>7.3f} {m['f1']:>7.3f}"
        )

    clean = clean_sets(data, decide)
    figures["clean"] = clean
    print("\nclean text: share flagged (target <= 0.50%)")
    print(f"  {'set':<22} {'holdout':>16} {'whole set':>18}")
    for name, c in clean.items():
        print(
            f"  {name:<22} {c['holdout_flagged']:>5}/{c['holdout_n']:<5} "
            f"{_pct(c['holdout_flagged'], c['holdout_n']):>6} "
            f"{c['flagged']:>6}/{c['n']:<6} {_pct(c['flagged'], c['n']):>6}"
        )

    unseen = unseen_messages(data, decide)
    figures["unseen"] = unseen
    if unseen:
        print("\nunseen short messages (never trained or tuned on): share flagged")
        for name, u in unseen.items():
            print(f"  {name:<22} {u['flagged']:>5}/{u['n']:<5} {_pct(u['flagged'], u['n']):>6}")

    print("\ncode attribution: caught harmful records whose codes include the label's code")
    for key, (right, total) in harm["attribution"].items():
        print(f"  {key:<16} {right:>5}/{total:<5} {_pct(right, total):>7}")

    if EVASION.is_file():
        ev = evasion(decide)
        figures["evasion"] = ev
        print("\nevasion set: expected decision (and codes) reached")
        for kind, (right, total) in sorted(ev["by_kind"].items()):
            print(f"  {kind:<22} {right:>3}/{total:<3}")
        if ev["misses"]:
            print("  missed: " + ", ".join(f"{m['id']}" for m in ev["misses"]))

    if "gate" not in args.skip:
        gate = gate_simulation(data, detector, decide, args.seeds)
        figures["gate"] = gate
        print(
            f"\ngate simulation: {gate['seeds']} seeds, sources of {gate['population']} records, "
            f"{gate['sample']} sampled"
        )
        for label in ("clean", "harmful_8pct"):
            print(
                f"  {label:<14} rejected in {gate['rejected'][label]:>4}/{gate['seeds']} seeds "
                f"({gate['rejected'][label] / gate['seeds']:.1%}), inconclusive in "
                f"{gate['inconclusive'][label]}"
            )

    if "speed" not in args.skip:
        sp = speed(data, decide)
        figures["speed"] = sp
        print(
            f"\nspeed: {sp['docs_per_s']:,.0f} docs/s per core (best of 5, CPU time) on "
            f"{sp['docs']} mixed docs of {sp['mean_chars']:.0f} chars on average"
        )
    print(f"peak RSS: {peak_rss_mib():.0f} MiB")
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
