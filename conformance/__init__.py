"""Conformance test suite for the LangGraph Agent Server HTTP API."""

__version__ = "0.1.0"
