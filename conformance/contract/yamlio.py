"""YAML reading for the suite's own files (the spec, errata, rules, expected failures).

libyaml's safe loader when PyYAML was built with it (the 1 MB OpenAPI document: 0.5 s instead of 5),
the pure-Python safe loader otherwise; both construct plain data only.
"""

from __future__ import annotations

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
