"""Training recipes for the shipped fastText harm classifiers, and the function that runs one.

A recipe fixes everything that decides the model: data files, label mapping, train/dev split,
tokeniser, hyperparameters, quantisation. Training uses one thread and a fixed seed, so the
same recipe on the same data rebuilds the same bytes (tests check the metrics). The card
written beside the model records the recipe, the data's sha256 and upstream commit, the dev
metrics and the false-positive rates on identity templates and clean Wikipedia text.

Never log or print training text: these corpora hold offensive comments and real handles.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from corpusgate.transforms.harm import taxonomy
from corpusgate.transforms.harm.classifier import (
    CARD_SUFFIX,
    MODEL_SUFFIX,
    HarmClassifier,
    LabelledRow,
    evaluate,
    load_labelled,
    model_input,
    read_table,
    tokenize,
)
from corpusgate.transforms.harm.gate.statistics import RANK_BITS, bottom_k_rank

__all__ = [
    "RECIPES",
    "Recipe",
    "default_data_dir",
    "recipe_rows",
    "train_isolated",
    "train_model",
]

CARD_FORMAT = 1
REPO_ROOT = Path(__file__).resolve().parents[2]


# False-positive sets: text that is not harmful, so any positive is a false positive.
_FPR_SETS: dict[str, dict[str, str]] = {
    "zh": {
        "templates": "bias-templates-conversationai/zh-cn_sentence_templates.csv",
        "wiki": "zh-wiki-cmrc2018",
    },
    "en": {
        "templates": "bias-templates-conversationai/en_sentence_templates.csv",
        "wiki": "en-wikitext2",
    },
}


@dataclass(frozen=True)
class HashSplit:
    """dev = rows whose keyed hash of their NFKC text falls in the lowest `dev_fraction`.

    Hashing the text (not the row number) keeps duplicate comments on one side of the split.
    """

    seed: str
    dev_fraction: float

    def is_dev(self, text: str) -> bool:
        rank = bottom_k_rank(self.seed, unicodedata.normalize("NFKC", text).strip())
        return rank < self.dev_fraction * 2**RANK_BITS

    def describe(self) -> dict[str, Any]:
        return {
            "method": "keyed_hash",
            "seed": self.seed,
            "dev_fraction": self.dev_fraction,
            "rule": (
                "dev when blake2b(NFKC(text).strip(), key=seed, digest_size=8) read big-endian "
                f"is below {self.dev_fraction} * 2**64 (corpusgate.transforms.harm.gate.statistics."
                "bottom_k_rank); duplicates of a text share a side"
            ),
        }


@dataclass(frozen=True)
class Recipe:
    name: str
    version: int
    language: str  # zh | en, also picks the identity templates and wiki text used for FPR
    description: str
    appendix_a: tuple[str, ...]
    appendix_a_note: str
    dataset: str  # folder under the shared data dir
    train_file: str
    dev_file: str | None  # None: dev is carved out of train_file by `split`
    text_column: str
    label_column: str
    label_map: Mapping[str, int] | None
    licence: str  # SPDX
    licence_file: str
    split: HashSplit | None = None
    tokenizer: str = "chars"
    threshold: float = 0.5
    # Training lines are ordered by a keyed hash of their source line: SWSR's file lists all
    # sexist rows first, and fastText's SGD on a label-sorted file learns almost nothing
    # (measured: dev F1 0.02 unshuffled, 0.69 shuffled).
    order_seed: str = "corpusgate-train-order-v1"
    limitations: str = ""
    # What changed from the previous version and what that was measured to do (card `changes`).
    changes: str = ""
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    quantize: Mapping[str, Any] = field(default_factory=dict)
    # Multi-class recipes: a harmful row's class is its value in `class_column` (COLD's topic)
    # or its label (`class_map`), and `class_codes` says which Appendix A codes each class
    # means, so a hit names its code instead of every code the model covers.
    class_column: str | None = None
    class_map: Mapping[str, str] | None = None
    class_codes: Mapping[str, tuple[str, ...]] | None = None
    # Clean text (`corpora.CLEAN_SETS`, their `fit` part only) added as negatives, at most
    # `clean_cap` texts per set, and the clean sets whose `calibrate` part sets the threshold.
    clean_negatives: tuple[str, ...] = ()
    clean_cap: int = 8000
    # Sets whose negatives are repeated: modern prose is scarce beside 28,000 poems, and a
    # model that has seen too little of it flags encyclopedic text about crime or war.
    clean_repeat: Mapping[str, int] = field(default_factory=dict)
    calibration_sets: tuple[str, ...] = ()
    fpr_target: float = 0.002
    # The lowest threshold calibration may choose (the grid starts here).
    min_threshold: float = 0.5
    # The card's `input`: "folded" models read `fold.normalize` output (traditional folded
    # to simplified, evasion separators cut), the same pass the keyword matcher reads.
    input: str = "raw"

    def __post_init__(self) -> None:
        for code in self.appendix_a:
            try:
                taxonomy.get_code(code)
            except (KeyError, ValueError):
                raise ValueError(f"recipe {self.name}: unknown Appendix A code {code!r}") from None
        if (self.dev_file is None) == (self.split is None):
            raise ValueError(f"recipe {self.name}: give exactly one of dev_file and split")
        if self.language not in _FPR_SETS:
            raise ValueError(f"recipe {self.name}: no FPR sets for language {self.language!r}")


# Chosen on COLD dev (train 25,726 / dev 6,431, thread=1, seed=1, before quantising):
# chars + word 2-grams 0.8905 acc; chars + word 3-grams 0.8972; CJK runs + char n-grams
# minn=1 maxn=3 0.8960, minn=2 maxn=4 0.8880. Char tokens with 3-grams win narrowly and
# train faster, so every recipe uses them.
_HYPERPARAMETERS: dict[str, Any] = {
    "loss": "softmax",
    "dim": 32,
    "epoch": 10,
    "lr": 0.5,
    "wordNgrams": 3,
    "minn": 0,
    "maxn": 0,
    "minCount": 1,
    "bucket": 200000,
    "seed": 1,
    "thread": 1,
}
# Keeps each .ftz under 2 MB: the 100,000 most important rows of the input matrix, product-
# quantised 4 dimensions per byte, then retrained on the pruned vocabulary. Measured on COLD
# dev: dim 50/cutoff 50k/dsub 2 -> 1.76 MB, acc 0.8894; dim 32/cutoff 150k/dsub 4 -> 2.62 MB,
# acc 0.8955; dim 50/cutoff 100k/dsub 4 -> 2.27 MB, acc 0.8944.
_QUANTIZE: dict[str, Any] = {"cutoff": 100000, "dsub": 4, "qnorm": True, "retrain": True}

TOKENISATION_COMPARISON = {
    "data": "COLD train -> COLD dev, unquantised, dim 50, epoch 10, lr 0.5, thread 1, seed 1",
    "chars_wordNgrams2": 0.8905,
    "chars_wordNgrams3": 0.8972,
    "runs_minn1_maxn3": 0.8960,
    "runs_minn2_maxn4": 0.8880,
    "chosen": "chars_wordNgrams3",
}

_ZH_CLEAN = ("poet_tang", "tang300", "cmrc2018", "cmrc2018_questions", "templates_zh")
# Measured on COLD dev with the calibrated threshold (quantised): no repeat, threshold 0.90,
# F1 0.865; modern sets x3, threshold 0.65, F1 0.884.
_ZH_REPEAT = {"cmrc2018": 3, "cmrc2018_questions": 3}
_ZH_CALIBRATION = (
    "poet_tang",
    "tang300",
    "cmrc2018",
    "cmrc2018_traditional",
    "cmrc2018_questions",
)
# Davidson is tweets, 83% of them harmful, and paragraphs plus identity templates taught v2 no
# ordinary short English: it flagged 6.8% of presidio-research's synthetic chat messages ("My
# brother just turned 35", 0.80). Short sentences cut out of the same clean text are negatives
# twice over and calibration sets, so the threshold answers for short text too. Measured on
# Davidson dev over 7 trainings (fastText seeds 1-3, four training orders), the sentences once
# gave a specificity of 0.87-0.90 in some trainings, twice 0.93-0.95 in all, three times or
# with WikiText's `<unk>` sentences added 0.87-0.96 (the quantisation moves short text most).
_EN_CLEAN = (
    "wikitext2",
    "web_pages",
    "templates_en",
    "wikitext2_sentences",
    "web_sentences",
)
_EN_REPEAT = {"wikitext2_sentences": 2, "web_sentences": 2}
_EN_CALIBRATION = ("wikitext2", "web_pages", "wikitext2_sentences", "web_sentences")

RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe(
            name="zh_offensive_cold_v2",
            version=2,
            language="zh",
            description=(
                "Chinese offensive comments on race, gender and region (COLD), with clean "
                "encyclopedic, classical and identity-template text as negatives"
            ),
            appendix_a=("A.2.a", "A.2.c", "A.2.d", "A.2.e"),
            appendix_a_note=(
                "One class per COLD topic: race -> A.2.a ethnicity and A.2.c nationality (its "
                "race comments target ethnic groups and foreign nationals alike), region -> "
                "A.2.d, gender -> A.2.e. The most probable harmful class names the codes."
            ),
            dataset="cold",
            train_file="train.csv",
            dev_file="dev.csv",
            text_column="TEXT",
            label_column="label",
            label_map=None,
            licence="Apache-2.0",
            licence_file="LICENSE",
            hyperparameters=_HYPERPARAMETERS,
            quantize=_QUANTIZE,
            class_column="topic",
            class_codes={
                "race": ("A.2.a", "A.2.c"),
                "region": ("A.2.d",),
                "gender": ("A.2.e",),
            },
            clean_negatives=_ZH_CLEAN,
            clean_repeat=_ZH_REPEAT,
            calibration_sets=_ZH_CALIBRATION,
            input="folded",
        ),
        Recipe(
            name="zh_sexism_swsr_v2",
            version=2,
            language="zh",
            description="Chinese sexist Weibo comments (SWSR SexComment), clean text as negatives",
            appendix_a=("A.2.e",),
            appendix_a_note="SWSR labels sexism: A.2.e gender discrimination.",
            dataset="swsr",
            train_file="SexComment.csv",
            dev_file=None,
            split=HashSplit(seed="corpusgate-swsr-dev-v1", dev_fraction=0.2),
            text_column="comment_text",
            label_column="label",
            label_map=None,
            licence="MIT",
            licence_file="LICENSE",
            hyperparameters=_HYPERPARAMETERS,
            quantize=_QUANTIZE,
            class_codes={"1": ("A.2.e",)},
            clean_negatives=_ZH_CLEAN,
            clean_repeat=_ZH_REPEAT,
            calibration_sets=_ZH_CALIBRATION,
            input="folded",
        ),
        Recipe(
            name="en_hate_offensive_davidson_v3",
            version=3,
            language="en",
            description=(
                "English hate speech or offensive tweets (Davidson et al. 2017), with clean "
                "Wikipedia, web pages, short sentences of both and non-toxic identity templates "
                "as negatives"
            ),
            appendix_a=("A.2.i", "A.4.c"),
            appendix_a_note=(
                "Classes: 'hate' (annotators' majority class 0) -> A.2.i other discrimination, "
                "narrowed by the detector to the code of an identity mention in the text "
                "(A.2.a race, A.2.b religion, A.2.c nationality, A.2.e gender) when there is "
                "one; 'offensive' (class 1: insults aimed at people) -> A.4.c reputation; "
                "'neither' (2) is negative. Appendix A.1 has no general 'insult' code."
            ),
            dataset="davidson-hate-offensive",
            train_file="labeled_data.csv",
            dev_file=None,
            split=HashSplit(seed="corpusgate-davidson-dev-v1", dev_fraction=0.2),
            text_column="tweet",
            label_column="class",
            label_map={"0": 1, "1": 1, "2": 0},
            licence="MIT",
            licence_file="LICENSE",
            # lr 0.5 diverges (fastText: "Encountered NaN") on the shuffled tweets.
            hyperparameters={**_HYPERPARAMETERS, "lr": 0.2},
            quantize=_QUANTIZE,
            class_map={"0": "hate", "1": "offensive", "2": "0"},
            # 83% of Davidson is harmful, a prior no real source has, so a score of 0.5 is
            # not evidence enough on ordinary prose (v1 measured: wiki FPR 0.214 at 0.5,
            # 0.062 at 0.8, for 0.004 of dev accuracy): calibration starts at 0.8.
            min_threshold=0.8,
            class_codes={"hate": ("A.2.i",), "offensive": ("A.4.c",)},
            limitations=(
                "Learnt English from tweets, most of them offensive: a short ordinary message "
                'made of words tweets use can still score high ("I\'m a white male aged 50" '
                '0.99, "Hey girl what\'s up" 0.98). The harm policy lets it flag alone only '
                "from 0.9; between 0.8 and 0.9 it needs a keyword of its codes."
            ),
            changes=(
                "v3 (from v2): short sentences (3-40 words) cut out of the WikiText-2 paragraphs "
                "and web pages added as negatives, twice over (their fit part), and as "
                "calibration sets (their calibrate part); the threshold stays 0.8. v2 had "
                "seen no ordinary short English and flagged 6.8% of presidio-research's "
                "synthetic chat and form messages. Measured with the harm decision "
                "(benchmarks/harm_quality.py, policy harm_policy_v3 with v2 -> harm_policy_v4 "
                "with v3 and alone_threshold 0.9): Davidson dev recall 0.962 -> 0.953, "
                "precision 0.979 -> 0.985, F1 0.970 -> 0.969; holdout share flagged WikiText-2 "
                "0.29% -> 0.00%, web pages 0% -> 0%, WikiText-2 sentences 2.06% -> 0.13%, web "
                "sentences 3.80% -> 0.00%; presidio-research synth_dataset_v2 (never trained "
                "or tuned on) 102/1500 -> 8/1500. Other trainings of this recipe (fastText "
                "seeds 2 and 3) gave the same figures within 0.1 point of F1 and 8/1500."
            ),
            clean_negatives=_EN_CLEAN,
            clean_repeat=_EN_REPEAT,
            calibration_sets=_EN_CALIBRATION,
            input="folded",
        ),
    )
}


def default_data_dir() -> Path | None:
    """`$CORPUSGATE_SHARED_DATA`, else `../shared/data` beside the repo; None when absent."""
    configured = os.environ.get("CORPUSGATE_SHARED_DATA")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"
    return path if path.is_dir() else None


def recipe_rows(recipe: Recipe, data_dir: Path, split: str) -> list[LabelledRow]:
    """The recipe's `train` or `dev` rows."""
    if split not in ("train", "dev"):
        raise ValueError(f"split must be 'train' or 'dev', got {split!r}")
    folder = data_dir / recipe.dataset
    if recipe.dev_file is not None:
        path = folder / (recipe.train_file if split == "train" else recipe.dev_file)
        return load_labelled(path, recipe.text_column, recipe.label_column, recipe.label_map)
    assert recipe.split is not None
    rows = load_labelled(
        folder / recipe.train_file, recipe.text_column, recipe.label_column, recipe.label_map
    )
    want_dev = split == "dev"
    return [r for r in rows if recipe.split.is_dev(r.text) == want_dev]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_UPSTREAM = re.compile(r"Source:\s*(\S+)\s*@\s*([0-9a-f]{40})")


def _provenance(folder: Path) -> dict[str, str]:
    path = folder / "PROVENANCE.md"
    if not path.is_file():
        raise ValueError(f"{path}: missing; training data must carry its provenance")
    match = _UPSTREAM.search(path.read_text(encoding="utf-8"))
    if match is None:
        raise ValueError(f"{path}: no 'Source: owner/repo @ <40-hex commit>' line")
    return {"repository": f"https://github.com/{match.group(1)}", "commit": match.group(2)}


def _template_texts(path: Path) -> list[tuple[str, str]]:
    """(template, phrase) of the non-toxic identity-template rows."""
    out = []
    for line, row in read_table(path):
        if "toxicity" not in row or "phrase" not in row:
            raise ValueError(f"{path}:{line}: expected columns template,toxicity,phrase")
        if row["toxicity"] == "nontoxic":
            out.append((str(row.get("template", "")), str(row["phrase"])))
    return out


def _wiki_texts(folder: Path) -> list[str]:
    """Clean encyclopedic paragraphs: CMRC 2018 contexts (zh) or WikiText-2 paragraphs (en)."""
    if folder.name == "zh-wiki-cmrc2018":
        seen: dict[str, str] = {}
        for name in ("cmrc2018_dev.json", "cmrc2018_trial.json"):
            for entry in json.loads((folder / name).read_text(encoding="utf-8")):
                seen.setdefault(entry["context_id"], entry["context_text"])
        return [seen[k] for k in sorted(seen)]
    texts = []
    for name in ("valid.txt", "test.txt"):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("="):  # skip blank lines and " = Heading = "
                texts.append(line)
    return texts


def _positive_rate(model: HarmClassifier, texts: list[str]) -> float:
    flagged = sum(label for label, _ in model.predict(texts))
    return round(flagged / len(texts), 4) if texts else 0.0


def false_positive_rates(model: HarmClassifier, language: str, data_dir: Path) -> dict[str, Any]:
    sets = _FPR_SETS[language]
    templates_path = data_dir / sets["templates"]
    rows = _template_texts(templates_path)
    by_template: dict[str, list[str]] = {}
    for template, phrase in rows:
        by_template.setdefault(template, []).append(phrase)
    wiki = _wiki_texts(data_dir / sets["wiki"])
    return {
        "identity_templates_nontoxic": {
            "data": sets["templates"],
            "n": len(rows),
            "fpr": _positive_rate(model, [p for _, p in rows]),
            "by_template": {
                t: {"n": len(p), "fpr": _positive_rate(model, p)}
                for t, p in sorted(by_template.items())
            },
        },
        "clean_wiki": {
            "data": sets["wiki"],
            "n": len(wiki),
            "fpr": _positive_rate(model, wiki),
        },
    }


def _codes(recipe: Recipe) -> dict[str, tuple[str, ...]]:
    return dict(recipe.class_codes or {"1": recipe.appendix_a})


def _prepare(recipe: Recipe, text: str) -> str:
    return model_input(text) if recipe.input == "folded" else text


def _class_rows(recipe: Recipe, data_dir: Path, split: str) -> list[tuple[LabelledRow, str, str]]:
    """(row, class label, text) of a split: `0` for a negative, else the row's class."""
    rows = recipe_rows(recipe, data_dir, split)
    if recipe.class_column is None and recipe.class_map is None:
        return [(r, str(r.label), r.text) for r in rows]
    path = (
        data_dir / recipe.dataset / recipe.train_file
        if split == "train" or recipe.dev_file is None
        else None
    )
    if path is None:
        path = data_dir / recipe.dataset / str(recipe.dev_file)
    raw = {line: row for line, row in read_table(path)}
    out = []
    for r in rows:
        source = raw[r.line]
        if recipe.class_map is not None:
            value = str(source[recipe.label_column]).strip()
            if value not in recipe.class_map:
                raise ValueError(f"{path}:{r.line}: label {value!r} has no class in the recipe")
            label = recipe.class_map[value]
        elif r.label == 0:
            label = "0"
        else:
            assert recipe.class_column is not None
            label = str(source.get(recipe.class_column, "")).strip()
            if label not in _codes(recipe):
                raise ValueError(
                    f"{path}:{r.line}: {recipe.class_column} {label!r} is not one of "
                    f"{sorted(_codes(recipe))}"
                )
        out.append((r, label, r.text))
    return out


def clean_negatives(recipe: Recipe, data_dir: Path) -> list[str]:
    """The `fit` part of the recipe's clean sets, at most `clean_cap` texts each, repeated as
    `clean_repeat` says."""
    from corpusgate.transforms.harm import corpora

    texts: list[str] = []
    for name in recipe.clean_negatives:
        rows = corpora.clean_texts(data_dir, name, ("fit",))
        texts += [r.text for r in rows[: recipe.clean_cap]] * recipe.clean_repeat.get(name, 1)
    return texts


def calibration_texts(sets: tuple[str, ...], data_dir: Path) -> dict[str, list[str]]:
    """The `calibrate` part of clean sets; `<set>_traditional` is its OpenCC s2t twin."""
    from corpusgate.transforms.harm import corpora

    out: dict[str, list[str]] = {}
    for name in sets:
        base = name.removesuffix("_traditional")
        texts = [r.text for r in corpora.clean_texts(data_dir, base, ("calibrate",))]
        out[name] = corpora.to_traditional(texts) if name != base else texts
    return out


_GRID = [round(0.5 + 0.01 * i, 2) for i in range(50)]


def calibrate_threshold(model: HarmClassifier, recipe: Recipe, data_dir: Path) -> dict[str, Any]:
    """The smallest threshold in 0.50, 0.51 ... 0.99 whose false-positive rate on every
    calibration set is at most `fpr_target` (else 0.99), with the rates it gives."""
    sets = calibration_texts(recipe.calibration_sets, data_dir)
    scores = {name: model.scores(texts) for name, texts in sets.items()}
    grid = [t for t in _GRID if t >= recipe.min_threshold]
    chosen = grid[-1]
    for t in grid:
        if all(sum(s >= t for s in ss) <= recipe.fpr_target * len(ss) for ss in scores.values()):
            chosen = t
            break
    return {
        "method": (
            f"smallest of {recipe.min_threshold:.2f}..0.99 (step 0.01) with FPR <= "
            f"{recipe.fpr_target} on the "
            "'calibrate' part (corpora.clean_part) of every set below; the 'holdout' part is "
            "left for benchmarks/harm_quality.py"
        ),
        "fpr_target": recipe.fpr_target,
        "threshold": chosen,
        "sets": {
            name: {
                "n": len(ss),
                "fpr_at_threshold": round(sum(s >= chosen for s in ss) / len(ss), 5) if ss else 0,
                "fpr_at_0.5": round(sum(s >= 0.5 for s in ss) / len(ss), 5) if ss else 0,
            }
            for name, ss in scores.items()
        },
    }


def train_isolated(name: str, data_dir: Path, out_dir: Path) -> dict[str, Any]:
    """`train_model` in a fresh process. fastText keeps some state between trainings in one
    process (measured: the Davidson model trained after COLD and SWSR differed from the one
    trained alone), so each recipe gets its own interpreter and rebuilds are byte-identical.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(_train_by_name, name, data_dir, out_dir).result()


def _train_by_name(name: str, data_dir: Path, out_dir: Path) -> dict[str, Any]:
    return train_model(RECIPES[name], data_dir, out_dir)


def train_model(recipe: Recipe, data_dir: Path, out_dir: Path) -> dict[str, Any]:
    """Train, quantise, evaluate and write `<out>/<name>.ftz` + its card; return the card."""
    import fasttext  # heavy native module; imported only when training

    folder = data_dir / recipe.dataset
    if not folder.is_dir():
        raise ValueError(f"{folder}: training data for {recipe.name} not found")
    train_rows = recipe_rows(recipe, data_dir, "train")
    dev_rows = recipe_rows(recipe, data_dir, "dev")
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / f"{recipe.name}{MODEL_SUFFIX}"

    with tempfile.TemporaryDirectory(prefix="corpusgate-train-") as tmp:
        train_txt = Path(tmp) / "train.txt"
        lines = [
            (bottom_k_rank(recipe.order_seed, str(row.line)), label, text)
            for row, label, text in _class_rows(recipe, data_dir, "train")
        ]
        negatives = clean_negatives(recipe, data_dir)
        lines += [
            (bottom_k_rank(recipe.order_seed, f"clean:{i}"), "0", text)
            for i, text in enumerate(negatives)
        ]
        with train_txt.open("w", encoding="utf-8") as fh:
            for _, label, text in sorted(lines):
                fh.write(f"__label__{label} {tokenize(_prepare(recipe, text), recipe.tokenizer)}\n")
        try:
            ft = fasttext.train_supervised(
                input=str(train_txt), verbose=0, **recipe.hyperparameters
            )
            ft.quantize(
                input=str(train_txt),
                thread=recipe.hyperparameters["thread"],
                verbose=0,
                **recipe.quantize,
            )
        except RuntimeError as err:  # fastText reports divergence this way
            raise ValueError(
                f"{recipe.name}: fastText training failed ({err}); try a lower lr in the recipe"
            ) from None
        ft.save_model(str(model_path))

    data_files = [recipe.train_file] + ([recipe.dev_file] if recipe.dev_file else [])
    card: dict[str, Any] = {
        "card_format": CARD_FORMAT,
        "name": recipe.name,
        "version": recipe.version,
        "description": recipe.description,
        "language": recipe.language,
        "appendix_a": list(recipe.appendix_a),
        "appendix_a_note": recipe.appendix_a_note,
        "labels": {"0": "not harmful", **{c: f"harmful: {c}" for c in _codes(recipe)}},
        "class_codes": {c: list(v) for c, v in _codes(recipe).items()},
        "input": recipe.input,
        "tokenizer": recipe.tokenizer,
        "threshold": recipe.threshold,
        "limitations": recipe.limitations or None,
        **({"changes": recipe.changes} if recipe.changes else {}),
        "training_data": {
            "dataset": recipe.dataset,
            "upstream": _provenance(folder),
            "licence": recipe.licence,
            "licence_copy": f"licences/{recipe.dataset}-{recipe.licence_file}",
            "files": [
                {"path": f"{recipe.dataset}/{name}", "sha256": _sha256(folder / name)}
                for name in data_files
            ],
            "text_column": recipe.text_column,
            "label_column": recipe.label_column,
            "label_map": dict(recipe.label_map) if recipe.label_map else None,
            "train_rows": len(train_rows),
            "train_positive": sum(r.label for r in train_rows),
            "clean_negatives": {
                "sets": list(recipe.clean_negatives),
                "part": "fit (corpora.clean_part)",
                "cap_per_set": recipe.clean_cap,
                "repeat": dict(recipe.clean_repeat),
                "rows": len(negatives),
            },
        },
        "split": (
            recipe.split.describe()
            if recipe.split
            else {"method": "upstream_files", "train": recipe.train_file, "dev": recipe.dev_file}
        ),
        "training_order": (
            f"rows sorted by bottom_k_rank({recipe.order_seed!r}, str(source line number))"
        ),
        "hyperparameters": dict(recipe.hyperparameters),
        "quantize": dict(recipe.quantize),
        "tokenisation_comparison": TOKENISATION_COMPARISON,
        "rebuild_command": (
            f"corpusgate classifier train --model {recipe.name} --data ../shared/data "
            "--out configs/models"
        ),
    }
    classifier = HarmClassifier(fasttext.load_model(str(model_path)), card, model_path)
    if recipe.calibration_sets:
        calibration = calibrate_threshold(classifier, recipe, data_dir)
        card["threshold"] = calibration["threshold"]
        card["calibration"] = calibration
        classifier = HarmClassifier(classifier._model, card, model_path)
    dev = evaluate(classifier, dev_rows)
    card["metrics"] = {
        "dev": {**dev.as_dict(), "positive": sum(r.label for r in dev_rows)},
        "sensitivity": round(dev.sensitivity, 4),
        "specificity": round(dev.specificity, 4),
        "threshold": card["threshold"],
    }
    card["false_positive_rates"] = false_positive_rates(classifier, recipe.language, data_dir)
    card["model_file"] = {"size_bytes": model_path.stat().st_size, "sha256": _sha256(model_path)}

    licences = out_dir / "licences"
    licences.mkdir(exist_ok=True)
    shutil.copyfile(
        folder / recipe.licence_file, licences / f"{recipe.dataset}-{recipe.licence_file}"
    )
    card_path = out_dir / f"{recipe.name}{CARD_SUFFIX}"
    card_path.write_text(
        yaml.safe_dump(card, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8"
    )
    return card
