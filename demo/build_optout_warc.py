"""Build the demo's opt-out WARC: `demo/sources/web-crawl/optout-demo-0001.warc.gz`.

Three HTML pages of the illustrative host docs.example.org (a reserved example domain),
written for this demo: one with no opt-out, one whose response carries `X-Robots-Tag: noai`,
one whose HTML head carries `<meta name="robots" content="noai">`. The crawl record lists a
robots.txt snapshot for the host that allows all three, so the last two fail on their own
opt-out signal (optout_declared) and the first is kept.

The bytes are written by hand (WARC/1.0, one gzip member per record, gzip mtime 0, record ids
derived from the URL) so that rebuilding gives the same file, byte for byte.

Run from the repository root:  .venv/bin/python demo/build_optout_warc.py
"""

from __future__ import annotations

import gzip
import sys
import uuid
from pathlib import Path

OUT = Path(__file__).resolve().parent / "sources" / "web-crawl" / "optout-demo-0001.warc.gz"
HOST = "docs.example.org"
FETCHED = "2024-04-25T17:00:{:02d}Z"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
{meta}<title>{title}</title>
</head>
<body>
<main>
<article>
<h1>{title}</h1>
{paragraphs}
</article>
</main>
</body>
</html>
"""

PAGES = [
    {
        "path": "/guides/getting-started",
        "headers": [],
        "meta": "",
        "title": "Getting started with the example toolkit",
        "paragraphs": [
            "This guide walks through installing the example toolkit and running its first "
            "command. The toolkit reads plain text files and writes a short summary of each.",
            "Install it into a fresh virtual environment, then run the summary command on a "
            "folder of text files. Each summary lists the number of lines, words and characters.",
            "When a file cannot be decoded as UTF-8, the toolkit reports the file name and the "
            "byte offset of the first bad sequence instead of guessing an encoding.",
        ],
    },
    {
        "path": "/guides/configuration",
        "headers": [("X-Robots-Tag", "noai")],
        "meta": "",
        "title": "Configuring the example toolkit",
        "paragraphs": [
            "The toolkit reads its settings from a YAML file next to the data. Every setting "
            "has a default, so an empty file is a valid configuration.",
            "Paths in the configuration are relative to the configuration file, which keeps a "
            "project folder movable between machines without editing the settings.",
            "Unknown keys are rejected with the line number where they appear, so a typing "
            "mistake never silently falls back to a default value.",
        ],
    },
    {
        "path": "/guides/troubleshooting",
        "headers": [],
        "meta": '<meta name="robots" content="noai">\n',
        "title": "Troubleshooting the example toolkit",
        "paragraphs": [
            "If a summary looks wrong, run the command again with the verbose flag: it prints "
            "each file as it is read and the counts it found.",
            "Very long lines are counted in full; the toolkit never truncates a line, but it "
            "warns when one is longer than a megabyte.",
            "Report a problem with the exact command, the toolkit version and, when possible, "
            "a small file that shows the behaviour.",
        ],
    },
]


def _record(headers: list[tuple[str, str]], block: bytes) -> bytes:
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    head += f"Content-Length: {len(block)}\r\n\r\n"
    raw = head.encode("utf-8") + block + b"\r\n\r\n"
    return gzip.compress(raw, compresslevel=9, mtime=0)


def _record_id(name: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}>"


def build() -> bytes:
    info = b"software: corpusgate demo/build_optout_warc.py\r\nformat: WARC File Format 1.0\r\n"
    parts = [
        _record(
            [
                ("WARC-Type", "warcinfo"),
                ("WARC-Record-ID", _record_id(f"warcinfo:{OUT.name}")),
                ("WARC-Date", FETCHED.format(0)),
                ("WARC-Filename", OUT.name),
                ("Content-Type", "application/warc-fields"),
            ],
            info,
        )
    ]
    for second, page in enumerate(PAGES, start=1):
        url = f"https://{HOST}{page['path']}"
        body = _PAGE.format(
            meta=page["meta"],
            title=page["title"],
            paragraphs="\n".join(f"<p>{p}</p>" for p in page["paragraphs"]),
        ).encode("utf-8")
        http_headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            *page["headers"],
        ]
        http = "HTTP/1.1 200 OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in http_headers)
        parts.append(
            _record(
                [
                    ("WARC-Type", "response"),
                    ("WARC-Record-ID", _record_id(url)),
                    ("WARC-Date", FETCHED.format(second)),
                    ("WARC-Target-URI", url),
                    ("Content-Type", "application/http; msgtype=response"),
                ],
                http.encode("ascii") + b"\r\n" + body,
            )
        )
    return b"".join(parts)


def main() -> int:
    OUT.write_bytes(build())
    print(f"wrote {len(PAGES)} responses to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
