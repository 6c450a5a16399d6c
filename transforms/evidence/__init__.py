"""What an assessor asks for under GB/T 45654-2025 B.2.1 and 4.1.2: the diversity of the
sources used (`diversity`, `usage`) and the evidence pack of prescribed samples with their
judgments (`samples`, `records`, `judgments`, `pack`, `sheets`, `page`)."""
