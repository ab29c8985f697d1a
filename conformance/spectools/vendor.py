"""Vendoring the upstream OpenAPI document into spec/ as YAML, byte-for-byte reproducibly.

The source is the openapi.json shipped inside the langgraph-api wheel (what the server serves, minus
the per-deployment ``servers`` entry and graph enums), a file, or a URL. ``--version X`` takes the
wheel of any release straight from the package index, without installing it, so a new upstream release
can be vendored and diffed before the embedded reference is moved to it. The YAML is a pure function of
the source bytes, and spec/SOURCE.yaml records where it came from with both checksums.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import httpx
import yaml

HEADER = (
    "# Vendored upstream OpenAPI document. Do not edit: corrections belong in errata.yaml.\n"
    "# Regenerate with `conformance spec vendor`; provenance in SOURCE.yaml.\n"
)


def render_yaml(document: Any) -> str:
    """Deterministic YAML: key order as upstream, no line folding, unicode kept."""
    return HEADER + yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False
    )


NEWEST = ("latest", "latest-pre")  # `langgraph-api==latest`: the newest final release; -pre: the newest of all


def newest(which: str, versions_text: str | None = None) -> str:
    """The newest langgraph-api release (``latest``) or release or pre-release (``latest-pre``) on the index,
    as ``pip index versions --pre`` lists them (the scheduled spec gate follows upstream with it)."""
    from packaging.version import InvalidVersion, Version

    if versions_text is None:
        command = [sys.executable, "-m", "pip", "index", "versions", "langgraph-api", "--pre"]
        command.append("--disable-pip-version-check")
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        versions_text = result.stdout
    listed = next((line for line in versions_text.splitlines() if line.startswith("Available versions:")), "")
    found = []
    for text in listed.split(":", 1)[-1].split(","):
        try:
            found.append(Version(text.strip()))
        except InvalidVersion:
            continue
    if which == "latest":
        found = [v for v in found if not v.is_prerelease and not v.is_devrelease]
    if not found:
        raise ValueError(f"no langgraph-api version found on the package index for {which!r}")
    return str(max(found))


def resolve(source: str) -> str:
    """``langgraph-api==latest`` / ``==latest-pre`` as the version they name today; anything else unchanged."""
    if source.startswith("langgraph-api==") and source.split("==", 1)[1] in NEWEST:
        return f"langgraph-api=={newest(source.split('==', 1)[1])}"
    return source


def wheel_openapi(version: str) -> bytes:
    """The top-level openapi.json of the langgraph-api==``version`` wheel, fetched with pip (no install)."""
    if version in NEWEST:
        version = newest(version)
    with tempfile.TemporaryDirectory(prefix="conformance-wheel-") as folder:
        command = [sys.executable, "-m", "pip", "download", f"langgraph-api=={version}", "--no-deps"]
        command += ["--only-binary=:all:", "--disable-pip-version-check", "--quiet", "-d", folder]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        wheels = sorted(Path(folder).glob("langgraph_api-*.whl"))
        if result.returncode != 0 or not wheels:
            lines = [line for line in (result.stderr or result.stdout).splitlines() if "WARNING" not in line]
            tail = [line if len(line) < 300 else line[:297] + "..." for line in lines[-2:]]
            raise ValueError(f"could not download langgraph-api=={version}: " + " | ".join(tail))
        with zipfile.ZipFile(wheels[0]) as wheel:
            try:
                return wheel.read("openapi.json")
            except KeyError:
                raise ValueError(f"langgraph-api=={version} ships no top-level openapi.json") from None


def _wheel_file(path: Path) -> tuple[bytes, str]:
    """(openapi.json, version) of a langgraph-api wheel file."""
    with zipfile.ZipFile(path) as wheel:
        try:
            raw = wheel.read("openapi.json")
        except KeyError:
            raise ValueError(f"{path.name} ships no top-level openapi.json") from None
    parts = path.name.split("-")
    if len(parts) < 2 or parts[0] != "langgraph_api":
        raise ValueError(f"{path.name} is not a langgraph-api wheel (langgraph_api-VERSION-...whl)")
    return raw, parts[1]


def _release(release: str | None) -> tuple[str, str] | None:
    """("langgraph-api", "0.17.0rc6") from ``langgraph-api==0.17.0rc6`` or a bare ``0.17.0rc6``."""
    if not release:
        return None
    package, _, version = release.rpartition("==")
    return (package or "langgraph-api"), version


def read_source(
    file: str | None = None,
    url: str | None = None,
    reference_cache: str | None = None,
    version: str | None = None,
    release: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The document's bytes and where they came from: the release they belong to, never a machine's path.

    A file is a langgraph-api wheel (its version is the release) or a JSON/YAML document, which must be
    given its release (``--release langgraph-api==X``): SOURCE.yaml is what every report cites as the
    contract's release, and "/tmp/tmpab12/openapi.json" tells a reader nothing.
    """
    if version:
        return wheel_openapi(version), {
            "kind": "package",
            "package": "langgraph-api",
            "version": version,
            "location": "wheel/openapi.json",
        }
    if url:
        response = httpx.get(url, timeout=30)
        response.raise_for_status()
        return response.content, {"kind": "url", "location": url}
    if file:
        path = Path(file)
        named = _release(release)
        if path.suffix == ".whl":
            raw, wheel_version = _wheel_file(path)
            if named and named[1] != wheel_version:
                raise ValueError(f"{path.name} is langgraph-api {wheel_version}, not {named[1]}")
            return raw, {
                "kind": "package",
                "package": "langgraph-api",
                "version": wheel_version,
                "location": f"{path.name}/openapi.json",
            }
        if named is None:
            raise ValueError(
                f"{path.name}: name the release it comes from (--release langgraph-api==X), or vendor the "
                "wheel itself (--file langgraph_api-X-py3-none-any.whl) or --version X"
            )
        return path.read_bytes(), {"kind": "file", "package": named[0], "version": named[1], "location": path.name}
    from conformance.targets import reference

    env_dir = reference.ensure_installed(reference_cache)
    path = reference.openapi_path(env_dir)
    return path.read_bytes(), {
        "kind": "package",
        "package": "langgraph-api",
        "version": reference.LANGGRAPH_API_VERSION,
        "location": "site-packages/openapi.json",
    }


def vendor(
    spec_dir: Path,
    *,
    file: str | None = None,
    url: str | None = None,
    reference_cache: str | None = None,
    version: str | None = None,
    release: str | None = None,
) -> dict[str, Any]:
    raw, source = read_source(file, url, reference_cache, version, release)
    try:
        document = json.loads(raw)
    except ValueError:
        document = yaml.safe_load(raw)
    text = render_yaml(document)
    spec_dir.mkdir(parents=True, exist_ok=True)
    (spec_dir / "openapi.yaml").write_text(text, encoding="utf-8")
    provenance = {
        "source": source,
        "openapi": document.get("openapi"),
        "operations": sum(
            1
            for item in document.get("paths", {}).values()
            for m in item
            if m in ("get", "post", "put", "patch", "delete")
        ),
        "source_sha256": hashlib.sha256(raw).hexdigest(),
        "vendored_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }
    (spec_dir / "SOURCE.yaml").write_text(
        "# Provenance of openapi.yaml, written by `conformance spec vendor`.\n"
        + yaml.safe_dump(provenance, sort_keys=False),
        encoding="utf-8",
    )
    return provenance


def verify(spec_dir: Path) -> list[str]:
    """Problems with the vendored copy: checksum mismatch (someone edited it by hand)."""
    provenance = yaml.safe_load((spec_dir / "SOURCE.yaml").read_text(encoding="utf-8"))
    actual = hashlib.sha256((spec_dir / "openapi.yaml").read_bytes()).hexdigest()
    problems = []
    if actual != provenance.get("vendored_sha256"):
        problems.append(
            f"spec/openapi.yaml sha256 {actual} differs from SOURCE.yaml "
            f"{provenance.get('vendored_sha256')}: the upstream copy was edited"
        )
    return problems
