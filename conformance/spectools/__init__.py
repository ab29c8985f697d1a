"""Tools for the maintainer of the vendored spec: vendor a release, diff two releases, plan an update.

Used by the ``conformance spec`` command, never during a certification.
"""
