"""Check names and quarantine reason codes.

These strings are persisted in shards, quarantine files and manifests and are scripted against:
never reword one once released; add new ones instead.
"""

# Checks (the `check` of a decision or quarantine row).
READ = "read"
NORMALIZE = "normalize"
PROVENANCE = "provenance"
LICENCE = "licence"
ROBOTS = "robots"
OPTOUT = "optout"
COMMERCIAL = "commercial"
USER_AUTHORIZATION = "user_authorization"
SOURCE_GATE = "source_gate"
HARM = "harm"
PII = "pii"
CONSENT = "consent"
DEDUP = "dedup"
LANGUAGE = "language"

# Reasons raised while reading raw input (check = READ).
INVALID_JSON = "invalid_json"
NOT_AN_OBJECT = "not_an_object"
INVALID_UTF8 = "invalid_utf8"
TRUNCATED_FILE = "truncated_file"
UNREADABLE_FILE = "unreadable_file"
CSV_COLUMN_COUNT = "csv_column_count"
INVALID_CSV = "invalid_csv"
WARC_UNSUPPORTED_CONTENT = "warc_unsupported_content"
WARC_HTTP_STATUS = "warc_http_status"
# Any exception a reader did not foresee: it ends that file's reading, never the run.
READER_ERROR = "reader_error"
# Bytes where a WARC/ARC record should start that are not one (e.g. after a too-short
# Content-Length), quarantined up to the next record header.
WARC_INVALID_RECORD = "warc_invalid_record"
# An HTTP body that does not decode as its Transfer-Encoding / Content-Encoding declare.
WARC_BODY_UNDECODABLE = "warc_body_undecodable"
# A CSV row opening a quoted field that never closes (it would swallow the rows after it).
CSV_UNTERMINATED_QUOTE = "csv_unterminated_quote"
# A quote inside a quoted CSV field that is neither doubled nor followed by a delimiter.
CSV_STRAY_QUOTE = "csv_stray_quote"
# A NUL character in a CSV row: binary data, or a UTF-16 file read as UTF-8.
CSV_NUL_BYTE = "csv_nul_byte"
# A Parquet row group whose pages cannot be decoded; the file's other row groups are read.
UNREADABLE_ROW_GROUP = "unreadable_row_group"
# A value the reader cannot turn into a Python value (a Parquet timestamp past year 9999, …).
INVALID_VALUE = "invalid_value"

# Reasons raised while mapping fields to a record (check = NORMALIZE).
MISSING_TEXT = "missing_text"
EMPTY_TEXT = "empty_text"
BAD_COLLECTED_AT = "bad_collected_at"
DUPLICATE_RECORD_ID = "duplicate_record_id"

# Provenance (issue: provenance gate).
LICENCE_NOT_ALLOWED = "licence_not_allowed"
LICENCE_UNKNOWN = "licence_unknown"
LICENCE_EVIDENCE_CHANGED = "licence_evidence_changed"
ROBOTS_DISALLOWED = "robots_disallowed"
NO_CRAWL_RECORD = "no_crawl_record"
NO_COLLECTION_TIME = "no_collection_time"
OPTOUT_DECLARED = "optout_declared"
COMMERCIAL_EVIDENCE_MISSING = "commercial_evidence_missing"
NO_USER_AUTHORIZATION = "no_user_authorization"
AUTHORIZATION_REVOKED = "authorization_revoked"

# Harm and the 5% gate.
SOURCE_REJECTED = "source_rejected"
HARMFUL_CONTENT = "harmful_content"

# Personal information.
PII_NO_CONSENT = "pii_no_consent"
CONSENT_WITHDRAWN = "consent_withdrawn"
SENSITIVE_PII_NO_SEPARATE_CONSENT = "sensitive_pii_no_separate_consent"

# IP complaints (4.2.2 c): `takedown` withdrew the record as the complained work or a near copy.
IP_COMPLAINT = "ip_complaint"

# Dedup.
EXACT_DUPLICATE = "exact_duplicate"
NEAR_DUPLICATE = "near_duplicate"

# Decision outcomes.
PASS = "pass"
FAIL = "fail"
FLAG = "flag"
REDACT = "redact"
