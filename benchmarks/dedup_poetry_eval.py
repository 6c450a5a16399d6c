"""Precision and recall of dedup's decisions on real near-duplicates: Tang poetry.

Reads ../shared/data/zh-poetry-chinese-poetry (or CORPUSGATE_SHARED_DATA), builds one corpus of
three sources and runs the pipeline's decision (`FindDuplicates` on the local runner, default
settings unless flags say otherwise; 全唐诗 preferred as keeper):

- `quantangshi`: 全唐诗 poet.tang, 57,607 poems (955 exact duplicate texts inside it, and many
  textual variants of one poem under two attributions);
- `tangshi300`: 全唐诗's copy of 唐诗三百首 (366 poems, 363 identical to a poet.tang poem);
- `mengxue`: 蒙学's edition of 唐詩三百首 (320 poems; variant characters, other readings,
  editorial notes such as "(顰 一作：蹙)");
- `yuding`: 御定全唐詩, the Qing imperial edition, when the data folder has it (withheld from
  this project's copy): reported like the 蒙学 edition.

Three ground truths, none taken from dedup itself:
1. exact: identical text (paragraphs joined);
2. same work, for the 蒙学 edition: a poet.tang poem with the same author or the same title
   (its first two characters, traditional/simplified folded) whose character-bigram Jaccard
   with the poem is >= 0.3, or any poet.tang poem sharing >= 0.7 of its character bigrams
   (全唐诗 lists one poem under several names: 登鸛雀樓 is also 朱斌's 登樓), found by brute
   force over all of poet.tang (319 of 320 have one; 長信怨 is two poems joined here);
3. exact Jaccard of the very shingles dedup uses, computed by brute force (inverted index)
   for every pair involving a random sample of poet.tang: how well signatures, bands,
   verification and clustering approximate the definition.

    .venv/bin/python benchmarks/dedup_poetry_eval.py
    .venv/bin/python benchmarks/dedup_poetry_eval.py --threshold 0.6 --sample 3000
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import peak_rss_mib, shared_data_dir
from _dedup import find_duplicates, sign

from corpusgate.schemas.reasons import EXACT_DUPLICATE, NEAR_DUPLICATE
from corpusgate.transforms.dedup import DedupSettings, DedupSpec, DupDecision
from corpusgate.transforms.dedup.normalize import normalize_text
from corpusgate.transforms.dedup.shingles import fold_chinese, shingle_sets, tokenize

KEEPER = "quantangshi"


def _text_of(poem: dict[str, Any]) -> str:
    body = poem.get("paragraphs", poem.get("content", poem.get("text", "")))
    return "\n".join(body) if isinstance(body, list) else str(body or "")


def load(folder: Path) -> list[dict[str, Any]]:
    records = []
    with gzip.open(folder / "quantangshi_poet_tang.jsonl.gz", "rt", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            poem = json.loads(line)
            records.append(_record(f"qts-{i:05d}", KEEPER, poem["author"], poem["title"], poem))
    anthology = json.loads((folder / "quantangshi_tangshi_sanbaishou.json").read_text())
    for i, poem in enumerate(anthology):
        records.append(_record(f"tsb-{i:03d}", "tangshi300", poem["author"], poem["title"], poem))
    edition = json.loads((folder / "mengxue_tangshisanbaishou.json").read_text())
    poems = [p for section in edition["content"] for p in section["content"]]
    for i, poem in enumerate(poems):
        records.append(_record(f"mx-{i:03d}", "mengxue", poem["author"], poem["chapter"], poem))
    # The Qing imperial edition, when this copy of the data has it (it is withheld from some).
    imperial = folder / "yuding_quantangshi.jsonl.gz"
    if imperial.exists():
        with gzip.open(imperial, "rt", encoding="utf-8") as handle:
            for i, line in enumerate(handle):
                poem = json.loads(line)
                poem["paragraphs"] = _text_of(poem).split("\n")
                author, title = str(poem.get("author") or ""), str(poem.get("title") or "")
                records.append(_record(f"yd-{i:05d}", "yuding", author, title, poem))
    return records


def _record(rid: str, source: str, author: str, title: str, poem: dict[str, Any]) -> dict:
    return {
        "record_id": rid,
        "source_id": source,
        "text": "\n".join(poem["paragraphs"]),
        "lineage": {"language": "zh"},
        "author": author,
        "title": title,
    }


def _fold(text: str) -> str:
    return fold_chinese(unicodedata.normalize("NFKC", text))


def _bigrams(text: str) -> set[str]:
    chars = re.findall(r"\w", _fold(text))
    return {chars[i] + chars[i + 1] for i in range(len(chars) - 1)} or set(chars)


def _title_core(title: str) -> str:
    head = re.split(r"[·・ ]", _fold(title))[0]
    return re.sub(r"[一二三四五六七八九十首其之]+$", "", head)[:2]


def same_work(a: dict[str, Any], b: dict[str, Any], bigrams: dict[str, set[str]]) -> bool:
    """Truth 2: same author or same title with character-bigram Jaccard >= 0.3, or the same
    text under another attribution (bigram Jaccard >= 0.7)."""
    x, y = bigrams[a["record_id"]], bigrams[b["record_id"]]
    similarity = len(x & y) / len(x | y) if x | y else 0.0
    if similarity < 0.3:
        return False
    if similarity >= 0.7 or _fold(a["author"]) == _fold(b["author"]):
        return True
    ca, cb = _title_core(a["title"]), _title_core(b["title"])
    return bool(ca) and (ca in _fold(b["title"]) or cb in _fold(a["title"]))


def _joined(record: dict[str, Any]) -> str:
    return record["text"].replace("\n", "")


def exact_report(
    records: list[dict], by_id: dict[str, dict], found: dict[str, DupDecision]
) -> None:
    print("\nexact duplicates (truth: identical text)")
    groups: dict[str, list[str]] = defaultdict(list)
    for r in records:
        groups[_joined(r)].append(r["record_id"])
    inside = [g for g in (v for v in groups.values()) if sum(x.startswith("qts") for x in g) > 1]
    redundant = sum(sum(x.startswith("qts") for x in g) - 1 for g in inside)
    removed = Counter()
    caught = whole = 0
    for group in inside:
        members = [x for x in group if x.startswith("qts")]
        gone = [x for x in members if x in found and found[x].removed]
        for x in gone:
            removed[found[x].reason] += 1
        # A group of k copies is done when k - 1 go; all k go when their keeper is a near
        # copy elsewhere (then the group's text is still published once, as that keeper).
        caught += min(len(gone), len(members) - 1)
        whole += len(gone) == len(members)
    print(
        f"  poet.tang internal: {redundant} redundant copies in {len(inside)} groups; "
        f"{caught} removed (recall {caught / redundant:.4f}); decisions on the groups' records: "
        f"{removed[EXACT_DUPLICATE]} exact_duplicate, {removed[NEAR_DUPLICATE]} near_duplicate "
        f"({whole} groups went whole into a near copy's cluster)"
    )
    anthology = [r for r in records if r["source_id"] == "tangshi300"]
    copies = [r for r in anthology if any(x.startswith("qts") for x in groups[_joined(r)])]
    gone = [r for r in copies if r["record_id"] in found and found[r["record_id"]].removed]
    print(
        f"  唐诗三百首 (全唐诗 copy) identical to a poet.tang poem: {len(copies)}/{len(anthology)}; "
        f"removed {len(gone)}: recall {len(gone) / len(copies):.4f}"
    )
    exact = [d for d in found.values() if d.reason == EXACT_DUPLICATE]
    raw_equal = sum(_joined(by_id[d.record_id]) == _joined(by_id[d.keeper_id]) for d in exact)
    norm_equal = sum(
        normalize_text(by_id[d.record_id]["text"]) == normalize_text(by_id[d.keeper_id]["text"])
        for d in exact
    )
    print(
        f"  exact_duplicate decisions: {len(exact)}; text identical to the keeper's: "
        f"{raw_equal} (precision {raw_equal / max(len(exact), 1):.4f}); identical after "
        f"normalisation: {norm_equal}"
    )


def _quantiles(label: str, values: list[float], at: tuple[float, ...]) -> None:
    if values:
        print(f"  {label}: " + " / ".join(f"{q:.2f}" for q in np.quantile(values, at)))


# Candidate counterparts come from the rarer bigrams only (a bigram in more than this many
# poems, such as 不知, finds nothing a rarer one would not), then the best few are checked.
_POSTING_CAP = 300
_CHECKED = 25


def edition_report(
    records: list[dict],
    by_id: dict[str, dict],
    found: dict[str, DupDecision],
    source: str = "mengxue",
    label: str = "蒙学 edition of 唐詩三百首",
) -> None:
    print(f"\nnear duplicates, truth 2 (same work): {label} against 全唐诗")
    bigrams = {r["record_id"]: _bigrams(r["text"]) for r in records}
    postings: dict[str, list[str]] = defaultdict(list)
    for r in records:
        if r["source_id"] == KEEPER:
            for g in bigrams[r["record_id"]]:
                postings[g].append(r["record_id"])

    def works_of(poem: dict[str, Any]) -> dict[str, float]:
        """Same-work counterparts in poet.tang, with their bigram Jaccard."""
        rid = poem["record_id"]
        shared = Counter(
            x
            for g in bigrams[rid]
            if len(postings.get(g, ())) <= _POSTING_CAP
            for x in postings.get(g, ())
        )
        out = {}
        for x, _ in shared.most_common(_CHECKED):
            if same_work(poem, by_id[x], bigrams):
                out[x] = len(bigrams[rid] & bigrams[x]) / len(bigrams[rid] | bigrams[x])
        return out

    edition = [r for r in records if r["source_id"] == source]
    # Each cluster's members, to ask whether a counterpart shares the poem's cluster.
    clusters: dict[str, set[str]] = defaultdict(set)
    for rid, d in found.items():
        clusters[d.cluster_id].add(rid)
    with_counterpart = hit = removed = correct = 0
    missed: list[float] = []
    for poem in edition:
        rid = poem["record_id"]
        works = works_of(poem)
        decision = found.get(rid)
        if decision is not None and decision.removed:
            removed += 1
            correct += decision.keeper_id in works or same_work(
                poem, by_id[decision.keeper_id], bigrams
            )
        if works:
            with_counterpart += 1
            together = decision is not None and bool(set(works) & clusters[decision.cluster_id])
            hit += together
            if not together:
                missed.append(max(works.values()))
    print(f"  poems with a counterpart in poet.tang: {with_counterpart}/{len(edition)}")
    print(
        f"  removed as duplicates: {removed}; of them with a keeper of the same work: {correct} "
        f"(precision {correct / max(removed, 1):.4f})"
    )
    print(
        f"  clustered with their counterpart: {hit}/{with_counterpart} "
        f"(recall {hit / max(with_counterpart, 1):.4f})"
    )
    _quantiles(
        f"missed {len(missed)}: their best counterpart's bigram Jaccard, quartiles",
        missed,
        (0.25, 0.5, 0.75),
    )


def sample_report(
    records: list[dict], found: dict[str, DupDecision], spec: DedupSpec, size: int, seed: int
) -> None:
    threshold = spec.settings.threshold
    print(
        f"\nnear duplicates, truth 3 (exact Jaccard of dedup's own shingles >= {threshold}, brute "
        f"force): every pair involving {size} poet.tang poems sampled with seed {seed}"
    )
    poet = [r for r in records if r["source_id"] == KEEPER]
    options = spec.settings.shingles
    texts = [normalize_text(r["text"]) for r in poet]
    texts = [fold_chinese(t) for t in texts] if options.fold_chinese else texts
    sets = shingle_sets(tokenize(texts), np.full(len(texts), options.chars))
    shingles = [set(sets.of(i).tolist()) for i in range(len(poet))]
    postings: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(shingles):
        for h in s:
            postings[h].append(i)
    sample = random.Random(seed).sample(range(len(poet)), size)
    index = {r["record_id"]: i for i, r in enumerate(poet)}

    def jaccard(i: int, j: int) -> float:
        a, b = shingles[i], shingles[j]
        return len(a & b) / len(a | b) if a | b else 1.0

    truth_pairs = 0
    together = 0
    for i in sample:
        shared = Counter(j for h in shingles[i] for j in postings[h] if j != i)
        for j, count in shared.items():
            union = len(shingles[i]) + len(shingles[j]) - count
            if union and count / union >= threshold:
                truth_pairs += 1
                a, b = found.get(poet[i]["record_id"]), found.get(poet[j]["record_id"])
                together += a is not None and b is not None and a.cluster_id == b.cluster_id
    decided = [
        found[poet[i]["record_id"]]
        for i in sample
        if poet[i]["record_id"] in found and found[poet[i]["record_id"]].removed
    ]
    true_j = [
        jaccard(index[d.record_id], index[d.keeper_id]) for d in decided if d.keeper_id in index
    ]
    good = sum(j >= threshold for j in true_j)
    print(
        f"  pairs with exact Jaccard >= {threshold}: {truth_pairs}; in one cluster: {together} "
        f"(pair recall {together / max(truth_pairs, 1):.4f})"
    )
    print(
        f"  sampled poems removed: {len(decided)}; exact Jaccard to their keeper >= {threshold}: "
        f"{good} (decision precision {good / max(len(true_j), 1):.4f}); >= {threshold - 0.1:.1f}: "
        f"{sum(j >= threshold - 0.1 for j in true_j)}"
    )
    _quantiles("exact Jaccard to the keeper, 5th/25th/50th percentile", true_j, (0.05, 0.25, 0.5))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threshold", type=float, help="dedup threshold (default: the setting's)")
    parser.add_argument("--sample", type=int, default=5000, help="poems for truth 3 (5,000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    folder = shared_data_dir() / "zh-poetry-chinese-poetry"
    if not folder.is_dir():
        sys.exit(f"skipped: {folder} is absent")
    overrides: dict[str, Any] = {"keeper_sources": [KEEPER, "tangshi300"]}
    if args.threshold is not None:
        overrides["threshold"] = args.threshold
    settings = DedupSettings(**overrides)
    spec = DedupSpec(settings)
    records = load(folder)
    by_id = {r["record_id"]: r for r in records}
    counts = Counter(r["source_id"] for r in records)
    bands, rows = settings.band_shape()
    print(
        f"corpus: {len(records):,} records ({', '.join(f'{s} {n:,}' for s, n in counts.items())})"
    )
    print(
        f"settings: threshold {settings.threshold}, character {settings.shingles.chars}-grams, "
        f"fold_chinese {settings.shingles.fold_chinese}, num_perm {settings.minhash.num_perm}, "
        f"{bands} bands x {rows} rows, keeper: {', '.join(settings.keeper_sources)} first"
    )
    items = sign(records, spec)
    found, seconds = find_duplicates(items, spec)
    reasons = Counter(d.reason for d in found.values())
    print(
        f"FindDuplicates (FnApiRunner): {seconds:.1f} s, {len(records) / seconds:,.0f} records/s; "
        f"keepers {reasons[None]:,}, exact_duplicate {reasons[EXACT_DUPLICATE]:,}, "
        f"near_duplicate {reasons[NEAR_DUPLICATE]:,}; peak RSS {peak_rss_mib():.0f} MiB"
    )
    exact_report(records, by_id, found)
    edition_report(records, by_id, found)
    if counts.get("yuding"):
        edition_report(records, by_id, found, "yuding", "御定全唐詩 (Qing imperial edition)")
    sample_report(records, found, spec, args.sample, args.seed)


if __name__ == "__main__":
    main()
