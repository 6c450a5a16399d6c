"""The labelled harm corpora by name (COLD, SWSR, Davidson; train and dev), as the models'
recipes split them: what calibration, term suggestion and the quality benchmark read.

Kept apart from `corpora` (the clean sets) because it needs the training recipes, which in
turn need the clean sets: one direction of import each.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from corpusgate.transforms.harm.corpora import LabelledText, _read
from corpusgate.transforms.harm.training import RECIPES, recipe_rows

__all__ = ["LABELLED_SETS", "labelled_texts"]


LABELLED_SETS = (
    "cold_train",
    "cold_dev",
    "swsr_train",
    "swsr_dev",
    "davidson_train",
    "davidson_dev",
)


def labelled_texts(data: Path, name: str) -> list[LabelledText]:
    """A labelled set by name; the SWSR and Davidson dev splits are the model recipes' own."""
    if name not in LABELLED_SETS:
        raise ValueError(f"unknown labelled set {name!r}; known: {', '.join(LABELLED_SETS)}")
    corpus, split = name.rsplit("_", 1)
    if corpus == "cold":
        rows = csv.DictReader(io.StringIO(_read(data / "cold" / f"{split}.csv")))
        return [
            LabelledText(name, r["TEXT"], int(r["label"]), "zh", r.get("topic", "")) for r in rows
        ]
    recipe = {
        "swsr": RECIPES["zh_sexism_swsr_v2"],
        "davidson": RECIPES["en_hate_offensive_davidson_v3"],
    }[corpus]
    language = recipe.language
    return [LabelledText(name, r.text, r.label, language) for r in recipe_rows(recipe, data, split)]
