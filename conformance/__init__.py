"""Conformance test suite for the LangGraph Agent Server HTTP API."""

__version__ = "0.1.0"

# The suite's own exit code: not certified, because the suite could not judge (a harness error: target
# unreachable, not an Agent Server, fixture graphs missing, spec unreadable, a bring-up that failed, or only
# suite errors inside tests). 0, 1 and 4 are pytest's own (pass, a failure, bad input). Here, at the package,
# because both the plugin and the bring-ups (conformance/targets/bringup.py) end with it.
HARNESS_EXIT_CODE = 6
