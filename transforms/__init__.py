"""The steps of corpusgate's pipelines (GB/T 45654-2025 clause by clause: see the README's
architecture table).

Arrow allocates through the jemalloc its wheels bundle (the system allocator where a build has
none), not the mimalloc they default to: mimalloc keeps the pages it frees for reuse, and over
a long local run the pages it kept grew with the corpus. Measured by hand with
`/usr/bin/time corpusgate run` on the corpora `benchmarks/bench_run.py` builds, every check on,
peak RSS at 20,000 / 200,000 records: mimalloc 716 / 824 MiB, the system allocator 659 / 753.
At 200,000 / 2,000,000 records, `bench_run.py --n 200000` with `ARROW_DEFAULT_MEMORY_POOL` set
to each: the system allocator 715 / 794 MiB, jemalloc 685 / 755 (Arrow configures it to hand
freed pages back promptly), at the same speed (2,998 and 3,023 run docs/s at 200,000 records).
It is set here because every process that runs corpusgate's steps, the launcher and each
local or remote worker, imports this package before its steps allocate.
`ARROW_DEFAULT_MEMORY_POOL`, when set, still decides.
"""

import os

if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
    import pyarrow

    try:
        pyarrow.set_memory_pool(pyarrow.jemalloc_memory_pool())
    except NotImplementedError:  # a pyarrow built without jemalloc (Windows wheels)
        pyarrow.set_memory_pool(pyarrow.system_memory_pool())
