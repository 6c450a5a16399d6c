"""datatrove's MinHash dedup (signatures, buckets, clusters, filter) on a JSON Lines corpus, on
one core, for `bench_dedup.py`. Runs in the separate venv the benchmark makes for datatrove:
it imports datatrove and the standard library only, never corpusgate.

Shingles are n-grams of the tokens corpusgate uses (each CJK character a token, other runs of
letters and digits a word), given to datatrove as its word tokenizer, so both systems hash
the same shingles; the rest is datatrove's own (xxhash 64-bit, (a*h+b) mod 2^61-1, bucket
files, a single-task union-find).

    python _datatrove_run.py CORPUS.jsonl WORKDIR N_GRAMS BUCKETS HASHES_PER_BUCKET
"""

from __future__ import annotations

import json
import re
import resource
import sys
import time


def main() -> None:
    corpus, work, n_grams, buckets, per_bucket = sys.argv[1:6]
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter
    from datatrove.utils.hashing import HashConfig
    from datatrove.utils.word_tokenizers import WordTokenizer

    token = re.compile(
        r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"
    )

    class ScriptTokenizer(WordTokenizer):
        def word_tokenize(self, text: str) -> list[str]:
            return token.findall(text)

        def sent_tokenize(self, text: str) -> list[str]:
            return [text]

        def span_tokenize(self, text: str) -> list[tuple[int, int]]:
            return [m.span() for m in token.finditer(text)]

    config = MinhashConfig(
        n_grams=int(n_grams),
        num_buckets=int(buckets),
        hashes_per_bucket=int(per_bucket),
        hash_config=HashConfig(precision=64),
    )
    folder = corpus.rsplit("/", 1)[0]
    name = corpus.rsplit("/", 1)[1]

    def reader() -> JsonlReader:
        return JsonlReader(folder, glob_pattern=name, id_key="id", text_key="text")

    timings = {}
    started = time.perf_counter()
    LocalPipelineExecutor(
        pipeline=[
            reader(),
            MinhashDedupSignature(
                output_folder=f"{work}/signatures", config=config, language=ScriptTokenizer()
            ),
        ],
        tasks=1,
        workers=1,
        logging_dir=f"{work}/logs/signatures",
    ).run()
    timings["signatures"] = time.perf_counter() - started
    LocalPipelineExecutor(
        pipeline=[
            MinhashDedupBuckets(
                input_folder=f"{work}/signatures", output_folder=f"{work}/buckets", config=config
            )
        ],
        tasks=config.num_buckets,
        workers=1,
        logging_dir=f"{work}/logs/buckets",
    ).run()
    LocalPipelineExecutor(
        pipeline=[
            MinhashDedupCluster(
                input_folder=f"{work}/buckets", output_folder=f"{work}/remove", config=config
            )
        ],
        tasks=1,
        workers=1,
        logging_dir=f"{work}/logs/clusters",
    ).run()
    LocalPipelineExecutor(
        pipeline=[
            reader(),
            MinhashDedupFilter(
                input_folder=f"{work}/remove",
                exclusion_writer=JsonlWriter(f"{work}/removed", compression=None),
            ),
            JsonlWriter(f"{work}/kept", compression=None),
        ],
        tasks=1,
        workers=1,
        logging_dir=f"{work}/logs/filter",
    ).run()
    timings["whole"] = time.perf_counter() - started
    removed = 0
    import glob

    for path in glob.glob(f"{work}/removed/*.jsonl"):
        with open(path, encoding="utf-8") as handle:
            removed += sum(1 for _ in handle)
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    print(json.dumps({**timings, "removed": removed, "peak_rss_mib": peak / 1024}))


if __name__ == "__main__":
    main()
