"""Write keyword candidates for review from ../shared/data (thin wrapper of `corpusgate keywords build`).

python scripts/build_keywords.py [--data DIR] [--out DIR] [--date YYYY-MM-DD]
"""

from __future__ import annotations

import sys

from corpusgate.pipelines.cli import main

if __name__ == "__main__":
    sys.exit(main(["keywords", "build", *sys.argv[1:]]))
