"""Where the suite's own files live, in a checkout and in an installed copy."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
GRAPHS_DIR = PACKAGE_DIR / "graphs"


def spec_dir() -> Path:
    """spec/ at the top of the checkout (the suite is installed editable, or run from the checkout)."""
    candidate = REPO_DIR / "spec"
    if not candidate.is_dir():
        raise FileNotFoundError(f"spec/ not found beside the package at {candidate}; pass --spec")
    return candidate


def reports_dir() -> Path:
    return REPO_DIR / "reports"
