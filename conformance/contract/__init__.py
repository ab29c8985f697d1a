"""The contract: the vendored OpenAPI document with its errata, the rule ids, and how a broken rule is told.

It also holds the recording HTTP client, because every failure carries the exchange that proved it.
Nothing here knows about pytest sessions, targets or reports.
"""
