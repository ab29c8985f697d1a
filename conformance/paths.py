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


def display_path(path: Path | str | None) -> str | None:
    """A path as reports show it: relative to the checkout when inside it, so committed reports are stable."""
    if path is None:
        return None
    resolved = Path(path).resolve()
    try:
        return str(resolved.relative_to(REPO_DIR))
    except ValueError:
        return str(path)
