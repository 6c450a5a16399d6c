"""Harmful-content detection against GB/T 45654-2025 Appendix A.

`taxonomy` holds the 31 codes, `normalize` the evasion-resistant text normaliser with offset
mapping, `keywords` the shipped keyword library (B.1.1) and its Aho-Corasick matcher, and
`keyword_build` the command that regenerates that library from its upstream lexicons.
Detectors only tag (code, score); deciding is the gate's job.
"""
