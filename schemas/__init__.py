"""Persisted shapes of corpusgate: record, lineage, quarantine row, index, manifest.

One `SCHEMA_VERSION` covers all of them; bump it when a persisted field changes meaning.
"""

SCHEMA_VERSION = "2"  # 2: lineage.script and harm tiers; runs/RUN_ID with files.parquet
PIPELINE_VERSION = "0.1.0"
