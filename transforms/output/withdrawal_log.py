"""The withdrawal log: one JSON-lines file per `forget` or `takedown` request, under the run's
folder.

Each line is one withdrawn record: when, why, which request, the subject keys (forget) or the
complaint and how the record matched it (takedown), where the record was and its lineage
(never its text). The audit index points a withdrawn record at its line,
so `audit` explains a withdrawal from the output alone. One file per request, because object
stores cannot append: a request's log is written whole, once.
"""

from __future__ import annotations

import json
from typing import Any

from corpusgate.transforms.output.published import OutputError, Published

FOLDER = "withdrawals"
KIND = "withdrawals"


def log_path(request_id: str) -> str:
    return f"{FOLDER}/{request_id}.jsonl"


def read_withdrawal(published: Published, relative: str, line: int) -> dict[str, Any]:
    """One line of a withdrawal log (what `audit` shows for a withdrawn record)."""
    lines = published.read_checked(relative).decode("utf-8").splitlines()
    if not 0 <= line < len(lines):
        raise OutputError(f"{published.path(relative)} has no line {line}; it was changed by hand")
    return dict(json.loads(lines[line]))
