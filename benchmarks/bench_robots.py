"""Verdicts per second on real robots.txt files: corpusgate's matcher vs Protego, one core.

Each of the 4,231 files of `robotstxt-realworld-protego/` is parsed once (not timed), then asked
about a URL list built from that file's own rules (wildcards filled in, `$` dropped, so the
URLs hit real rules) plus a few common paths, for three user agents (a named one, an AI
crawler and an unknown one falling to `*`). Parse throughput is reported separately, and so are
parse exceptions (must be 0). Both libraries answer the same questions in the same run;
the script also counts how often their answers differ.

    cd /work/main && .venv/bin/python benchmarks/bench_robots.py [--files N]
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import peak_rss_mib, shared_data_dir

from corpusgate.transforms.provenance.robots import parse_robots

USER_AGENTS = ["Googlebot", "GPTBot", "corpusgate-bench"]
COMMON_PATHS = [
    "/",
    "/index.html",
    "/search?q=robots",
    "/admin/",
    "/wp-admin/admin-ajax.php",
    "/api/v1/items?id=7",
    "/cgi-bin/test.cgi",
    "/images/logo.png",
    "/about-us",
    "/private/",
    "/user/login",
    "/tag/news?page=2",
]
_RULE_RE = re.compile(r"^\s*(?:dis)?allow\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def load_corpus(limit: int | None) -> list[tuple[str, bytes]]:
    path = shared_data_dir() / "robotstxt-realworld-protego" / "robots_corpus.jsonl.gz"
    files = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            body = (
                base64.b64decode(row["robots_txt_base64"])
                if "robots_txt_base64" in row
                else row["robots_txt"].encode("utf-8")
            )
            files.append((row["domain"], body))
            if limit is not None and len(files) >= limit:
                break
    return files


def urls_for(domain: str, body: bytes, per_file: int = 50) -> list[str]:
    text = body.decode("utf-8", "replace")
    paths = list(COMMON_PATHS)
    for m in _RULE_RE.finditer(text):
        value = m.group(1).replace("*", "x").rstrip("$")
        if value.startswith("/"):
            paths.append(value)
            paths.append(value + "more")
        if len(paths) >= per_file:
            break
    return [f"https://{domain}{p}" for p in paths]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=None, help="use only the first N files")
    args = parser.parse_args()

    from protego import Protego

    corpus = load_corpus(args.files)
    total_bytes = sum(len(b) for _, b in corpus)
    questions = [(urls_for(d, b), b) for d, b in corpus]
    n_verdicts = sum(len(u) for u, _ in questions) * len(USER_AGENTS)

    errors = 0
    t0 = time.perf_counter()
    ours = []
    for _urls, body in questions:
        try:
            ours.append(parse_robots(body))
        except Exception:  # the point is to count them
            errors += 1
            ours.append(parse_robots(b""))
    t_parse = time.perf_counter() - t0

    protego_errors = 0
    t0 = time.perf_counter()
    theirs = []
    for _urls, body in questions:
        try:
            theirs.append(Protego.parse(body.decode("utf-8", "replace")))
        except Exception:
            protego_errors += 1
            theirs.append(Protego.parse(""))
    t_parse_p = time.perf_counter() - t0

    def ask_ours() -> list[bool]:
        return [
            robots.verdict(url, ua).allowed
            for (urls, _), robots in zip(questions, ours, strict=True)
            for ua in USER_AGENTS
            for url in urls
        ]

    def ask_protego() -> list[bool]:
        return [
            rp.can_fetch(url, ua)
            for (urls, _), rp in zip(questions, theirs, strict=True)
            for ua in USER_AGENTS
            for url in urls
        ]

    # Pass 1 is cold for corpusgate (each agent's rules get indexed on first use), pass 2 warm.
    timings: dict[str, list[float]] = {"corpusgate": [], "protego": []}
    answers: dict[str, list[bool]] = {}
    for _ in range(2):
        for name, ask in (("corpusgate", ask_ours), ("protego", ask_protego)):
            t0 = time.perf_counter()
            answers[name] = ask()
            timings[name].append(time.perf_counter() - t0)

    differ = sum(a != b for a, b in zip(answers["corpusgate"], answers["protego"], strict=True))
    print(
        f"files: {len(corpus)} ({total_bytes / 1e6:.1f} MB); verdicts per pass: {n_verdicts} "
        f"({n_verdicts // len(corpus) // len(USER_AGENTS)} URLs x {len(USER_AGENTS)} agents "
        "per file on average)"
    )
    print(
        f"parse         corpusgate: {len(corpus) / t_parse:8.0f} files/s "
        f"{total_bytes / t_parse / 1e6:5.1f} MB/s  exceptions: {errors}"
    )
    print(
        f"parse         protego:    {len(corpus) / t_parse_p:8.0f} files/s "
        f"{total_bytes / t_parse_p / 1e6:5.1f} MB/s  exceptions: {protego_errors}"
    )
    for name in ("corpusgate", "protego"):
        cold, warm = timings[name]
        print(
            f"verdicts/s    {name + ':':11} {n_verdicts / cold:8.0f} cold  "
            f"{n_verdicts / warm:8.0f} warm"
        )
    end_to_end = {
        "corpusgate": t_parse + timings["corpusgate"][0],
        "protego": t_parse_p + timings["protego"][0],
    }
    print(
        f"parse + cold pass: corpusgate {end_to_end['corpusgate']:.2f} s, "
        f"protego {end_to_end['protego']:.2f} s"
    )
    print(
        f"speed-up (warm verdicts): "
        f"{timings['protego'][1] / timings['corpusgate'][1]:.1f}x; "
        f"answers differing from protego: {differ} of {n_verdicts}"
    )
    print(f"peak RSS: {peak_rss_mib():.0f} MiB")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
