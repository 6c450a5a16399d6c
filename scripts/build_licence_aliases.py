"""Regenerate configs/policies/licence_aliases.yaml from the licence metadata in shared data.

    .venv/bin/python scripts/build_licence_aliases.py [--data DIR] [--output FILE]

DIR is the `licence-metadata` folder (default: ../shared/data/licence-metadata, or
$CORPUSGATE_SHARED_DATA/licence-metadata). The output is deterministic: same inputs, same bytes,
so tests/transforms/test_licence.py can check the shipped file against a fresh build.

What goes in (see configs/policies/LICENCE-DATA.md for sources and licences):
- aliases: alias_key(name) -> SPDX id or LicenseRef, from SPDX ids and names (SPDX licence list),
  ScanCode licence keys and deprecated SPDX ids (ScanCode LicenseDB), and the Data Provenance
  Initiative's licence names, paraphrases and custom-licence URLs. Where two names of the same
  rank claim one key for different licences, the key is dropped: a guess is worse than unknown.
- categories: SPDX id -> ScanCode category, the fallback for ids the policy does not list.
- dpi_classes: for DPI names without an SPDX id (LicenseRef-dpi-*), DPI's
  [use, attribution required, share-alike required] triple.
No licence texts are copied.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from corpusgate.transforms.provenance.licences import alias_key

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "configs" / "policies" / "licence_aliases.yaml"

SPDX_FILE = "spdx-license-list.spdx.json"
SCANCODE_FILE = "scancode-licensedb-index.json"
DPI_DIR = "data-provenance-initiative"
DPI_CLASSES = f"{DPI_DIR}/license_classes.json"
DPI_CUSTOM = f"{DPI_DIR}/custom_license_classes.json"
DPI_PARAPHRASES = f"{DPI_DIR}/license_paraphrases.json"
INPUTS = (SPDX_FILE, SCANCODE_FILE, DPI_CLASSES, DPI_CUSTOM, DPI_PARAPHRASES)

# DPI's canonical licence names with an SPDX id. Names missing here become LicenseRef-dpi-<slug>
# and are classed by DPI's own triple. GPL/LGPL without "or later" are read as "-only": the
# narrower reading; the class is the same either way.
DPI_TO_SPDX = {
    "Academic Free License v3.0": "AFL-3.0",
    "Apache License 2.0": "Apache-2.0",
    "Apache 2.0": "Apache-2.0",
    "Artistic License 2.0": "Artistic-2.0",
    "BSD 2-Clause License": "BSD-2-Clause",
    "BSD 3-Clause License": "BSD-3-Clause",
    "C-UDA": "C-UDA-1.0",
    "CC BY 2.0": "CC-BY-2.0",
    "CC BY 2.5": "CC-BY-2.5",
    "CC BY 3.0": "CC-BY-3.0",
    "CC BY 4.0": "CC-BY-4.0",
    "CC BY-NC 2.0": "CC-BY-NC-2.0",
    "CC BY-NC 3.0": "CC-BY-NC-3.0",
    "CC BY-NC 4.0": "CC-BY-NC-4.0",
    "CC BY-NC-ND 3.0": "CC-BY-NC-ND-3.0",
    "CC BY-NC-ND 4.0": "CC-BY-NC-ND-4.0",
    "CC BY-NC-SA 3.0": "CC-BY-NC-SA-3.0",
    "CC BY-NC-SA 4.0": "CC-BY-NC-SA-4.0",
    "CC BY-ND 4.0": "CC-BY-ND-4.0",
    "CC BY-SA 2.0": "CC-BY-SA-2.0",
    "CC BY-SA 3.0": "CC-BY-SA-3.0",
    "CC BY-SA 4.0": "CC-BY-SA-4.0",
    "CC0 1.0": "CC0-1.0",
    "CC0": "CC0-1.0",
    "CDLA Permissive 1.0": "CDLA-Permissive-1.0",
    "CDLA Permissive 2.0": "CDLA-Permissive-2.0",
    "CDLA Sharing 1.0": "CDLA-Sharing-1.0",
    "EPL 1.0": "EPL-1.0",
    "GNU General Public License v2.0": "GPL-2.0-only",
    "GNU General Public License v3.0": "GPL-3.0-only",
    "ISC License": "ISC",
    "LGPL 2.1": "LGPL-2.1-only",
    "LGPL 3.0": "LGPL-3.0-only",
    "MIT License": "MIT",
    "MIT": "MIT",
    "MPL 2.0": "MPL-2.0",
    "ODC BY 1.0": "ODC-By-1.0",
    "OGL 3.0": "OGL-UK-3.0",
    # SPDX's words for "nothing stated": the engine treats them as a missing licence.
    "No License": "NONE",
    "Unspecified": "NOASSERTION",
}

# Paraphrases DPI filed under the wrong canonical name, or under one that guesses: corrected to
# the licence the text names, or dropped (None) when the text could be several classes.
PARAPHRASE_OVERRIDES: dict[str, str | None] = {
    "GNU Affero General Public License v3.0": "AGPL-3.0-only",
    "agpl-3.0": "AGPL-3.0-only",
    "ms-pl": "MS-PL",
    "cc-by-2.0": "CC-BY-2.0",
    "Public Domain Mark 1.0": "CC-PDM-1.0",
    "Public domain": "LicenseRef-dpi-public-domain",
    "Modified MIT License": None,
    # "Creative Commons" alone may be BY-NC or BY-ND: not CC0, as DPI filed it.
    "## creative commons": None,
    "Creative Commons": None,
    "Creative Commons Legal Code": None,
    "Creative Commons Public License (CCPL)": None,
    "cc": None,
}

# Lower number wins when two sources give one key different targets.
# A DPI custom-licence URL carries its own class, so it beats the classless paraphrase "Custom".
RANK_SPDX_ID, RANK_SPDX_NAME, RANK_SCANCODE, RANK_DPI_NAME, RANK_URL, RANK_PARAPHRASE = range(6)


def default_data_dir() -> Path:
    shared = os.environ.get("CORPUSGATE_SHARED_DATA")
    base = Path(shared) if shared else REPO_ROOT.parent / "shared" / "data"
    return base / "licence-metadata"


def dpi_ref(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")
    return f"LicenseRef-dpi-{slug}"


def _load(data: Path, name: str) -> Any:
    path = data / name
    if not path.is_file():
        raise SystemExit(f"build_licence_aliases: {path} is missing (use --data DIR)")
    return json.loads(path.read_text(encoding="utf-8"))


class _Aliases:
    def __init__(self) -> None:
        self.best: dict[str, tuple[int, str]] = {}
        self.ambiguous: dict[str, int] = {}  # key -> rank at which it became ambiguous

    def add(self, name: str, target: str, rank: int) -> None:
        key = alias_key(name)
        if not key:
            return
        if key in self.ambiguous and self.ambiguous[key] <= rank:
            return
        current = self.best.get(key)
        if current is None or rank < current[0]:
            self.best[key] = (rank, target)
            self.ambiguous.pop(key, None)
        elif rank == current[0] and current[1] != target:
            del self.best[key]
            self.ambiguous[key] = rank

    def table(self) -> dict[str, str]:
        return {key: target for key, (_, target) in sorted(self.best.items())}


def build(data: Path) -> tuple[dict[str, Any], list[str]]:
    spdx: dict[str, Any] = _load(data, SPDX_FILE)
    scancode: list[dict[str, Any]] = _load(data, SCANCODE_FILE)
    dpi_classes: dict[str, list[str]] = _load(data, DPI_CLASSES)
    dpi_custom: dict[str, list[str]] = _load(data, DPI_CUSTOM)
    paraphrases: dict[str, list[str]] = _load(data, DPI_PARAPHRASES)

    # Deprecated SPDX ids ("GPL-3.0") point at their successor ("GPL-3.0-only") via ScanCode.
    successor: dict[str, str] = {}
    categories: dict[str, str] = {}
    for entry in scancode:
        current = entry["spdx_license_key"]
        if current not in spdx:
            continue
        for old in entry["other_spdx_license_keys"]:
            if old in spdx and old != current:
                successor[old] = current
        if not entry["is_exception"]:
            categories[current] = entry["category"]

    aliases = _Aliases()
    for spdx_id in sorted(spdx):
        aliases.add(spdx_id, successor.get(spdx_id, spdx_id), RANK_SPDX_ID)
    for spdx_id in sorted(spdx):
        aliases.add(spdx[spdx_id]["name"], successor.get(spdx_id, spdx_id), RANK_SPDX_NAME)
    for entry in sorted(scancode, key=lambda e: e["license_key"]):
        if entry["spdx_license_key"] in spdx:
            aliases.add(entry["license_key"], entry["spdx_license_key"], RANK_SCANCODE)

    dpi_refs: dict[str, list[str]] = {}

    def dpi_target(name: str) -> str:
        if name in DPI_TO_SPDX:
            return DPI_TO_SPDX[name]
        ref = dpi_ref(name)
        if name in dpi_classes:
            dpi_refs[ref] = dpi_classes[name]
        return ref

    for name in sorted(dpi_classes):
        aliases.add(name, dpi_target(name), RANK_DPI_NAME)
    for canonical in sorted(paraphrases):
        for text in sorted(paraphrases[canonical]):
            target: str | None = dpi_target(canonical)
            if text in PARAPHRASE_OVERRIDES:
                target = PARAPHRASE_OVERRIDES[text]
            if target is not None:
                aliases.add(text, target, RANK_PARAPHRASE)
    if any(t == "LicenseRef-dpi-public-domain" for t in PARAPHRASE_OVERRIDES.values()):
        dpi_refs.setdefault("LicenseRef-dpi-public-domain", dpi_classes["Public Domain"])
    for url in sorted(dpi_custom):
        digest = hashlib.sha1(url.encode("utf-8")).hexdigest()[:10]
        ref = f"LicenseRef-dpi-custom-{digest}"
        dpi_refs[ref] = dpi_custom[url]
        aliases.add(url, ref, RANK_URL)

    table = aliases.table()
    used_refs = set(table.values())
    doc = {
        "version": 1,
        "inputs": {name: hashlib.sha256((data / name).read_bytes()).hexdigest() for name in INPUTS},
        "aliases": table,
        "categories": dict(sorted(categories.items())),
        "dpi_classes": {ref: dpi_refs[ref] for ref in sorted(dpi_refs) if ref in used_refs},
    }
    dropped = [key for key, rank in sorted(aliases.ambiguous.items()) if key not in table]
    return doc, dropped


HEADER = """\
# GENERATED by scripts/build_licence_aliases.py from ../shared/data/licence-metadata: do not edit,
# regenerate. Sources, their licences and commits: LICENCE-DATA.md beside this file.
# aliases: alias_key(name seen in the wild) -> SPDX id or LicenseRef (see transforms/licence.py).
# categories: SPDX id -> ScanCode LicenseDB category (fallback when the policy lists no rule).
# dpi_classes: Data Provenance Initiative class [use, attribution, share-alike] of names with no
#   SPDX id; "?" means DPI could not tell.
"""


def render(doc: dict[str, Any]) -> str:
    body = yaml.safe_dump(
        doc, sort_keys=False, allow_unicode=True, width=1000, default_flow_style=None
    )
    return HEADER + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="licence-metadata folder")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    data = args.data or default_data_dir()
    doc, dropped = build(data)
    args.output.write_text(render(doc), encoding="utf-8")
    print(
        f"wrote {args.output}: {len(doc['aliases'])} aliases, {len(doc['categories'])} categories, "
        f"{len(doc['dpi_classes'])} DPI classes; {len(dropped)} ambiguous keys dropped",
        file=sys.stderr,
    )
    for key in dropped:
        print(f"  ambiguous: {key!r}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
