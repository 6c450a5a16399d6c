"""The steps of corpusgate's pipelines (GB/T 45654-2025 clause by clause: see the README's
architecture table).

Arrow allocates through the system allocator here, not the mimalloc its wheels default to:
mimalloc keeps the pages it frees for reuse, and over a long local run the pages it kept grew
with the corpus (measured by hand, `/usr/bin/time corpusgate run` on the corpora
`benchmarks/bench_run.py` builds, every check on: peak RSS at 20,000 / 200,000 records
716 / 824 MiB with mimalloc, 659 / 753 MiB with the system allocator, at the same speed).
It is set here because every process that runs corpusgate's steps, the launcher and each
local or remote worker, imports this package before its steps allocate.
`ARROW_DEFAULT_MEMORY_POOL`, when set, still decides.
"""

import os

if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
    import pyarrow

    pyarrow.set_memory_pool(pyarrow.system_memory_pool())
