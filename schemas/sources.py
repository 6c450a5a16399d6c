"""What a data source can be: kinds, origins, formats, and the evidence each kind must show.

These names are written into registry entries and manifests; the evidence table is the
standard's (GB/T 45654-2025 4.1.3 a-d, B.2.1.1.3), read by `registry validate` and by the
provenance stage alike.
"""

KINDS = ("open_source", "self_collected", "commercial", "user_input")
ORIGINS = ("domestic", "foreign")
FORMATS = ("jsonl", "csv", "parquet", "warc", "wet", "hf")
MODALITIES = ("text",)
FIELD_NAMES = ("text", "id", "url", "collected_at", "licence", "user_id")

# Evidence each kind must reference (GB/T 45654 4.1.3 / B.2.1.1.3); `registry validate` and
# the provenance stage both read this table.
EVIDENCE_ROLES: dict[str, tuple[str, ...]] = {
    "open_source": ("licence_text", "authorization"),
    "self_collected": ("crawl_record",),
    "commercial": ("contract", "commitment", "review_record"),
    "user_input": ("authorization_table",),
}
REQUIRED_EVIDENCE: dict[str, tuple[str, ...]] = {
    "open_source": (),
    "self_collected": ("crawl_record",),
    "commercial": ("contract", "commitment", "review_record"),
    "user_input": ("authorization_table",),
}
