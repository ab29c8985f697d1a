"""The ``conformance`` command: certify a target, and maintain the vendored spec.

conformance run [pytest args...]      the suite (same as pytest with the plugin), e.g. --target-url
conformance spec vendor [--file F | --url U]
conformance spec check                 the vendored copy is untouched and loads with its errata
"""

from __future__ import annotations

import argparse
import sys

from conformance.paths import PACKAGE_DIR, spec_dir


def _run(args: list[str]) -> int:
    import pytest

    return int(pytest.main([str(PACKAGE_DIR / "tests"), *args]))


def _spec(argv: list[str]) -> int:
    from conformance import vendor
    from conformance.contract import Contract, SpecError

    parser = argparse.ArgumentParser(prog="conformance spec")
    sub = parser.add_subparsers(dest="command", required=True)
    vendor_cmd = sub.add_parser("vendor", help="refresh spec/openapi.yaml from upstream")
    vendor_cmd.add_argument("--file", help="an openapi.json/yaml file")
    vendor_cmd.add_argument("--url", help="a URL serving the document")
    vendor_cmd.add_argument("--reference-cache", help="where the reference environment lives")
    sub.add_parser("check", help="verify the vendored copy and its errata")
    args = parser.parse_args(argv)
    folder = spec_dir()
    if args.command == "vendor":
        provenance = vendor.vendor(folder, file=args.file, url=args.url, reference_cache=args.reference_cache)
        print(f"vendored {provenance['operations']} operations, sha256 {provenance['vendored_sha256']}")
        return 0
    problems = vendor.verify(folder)
    try:
        contract = Contract.load()
        print(
            f"spec {contract.version}: {len(contract.operations)} operations, "
            f"{len(contract.errata)} errata applied cleanly"
        )
    except SpecError as exc:
        problems.append(str(exc))
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "run":
        return _run(rest)
    if command == "spec":
        return _spec(rest)
    print(f"conformance: unknown command {command!r}; see conformance --help", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
