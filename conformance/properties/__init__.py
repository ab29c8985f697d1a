"""The property layer: every operation of the effective contract, with schemathesis-generated requests.

``world`` makes the real resources the generated requests point at; ``layer`` generates, sends and
judges them. The area module conformance/tests/test_properties.py turns them into pytest tests.
"""
