"""The pytest plugin: options and settings, the certification session, the plan and the outcomes.

``conformance.plugin.hooks`` is the ``pytest11`` entry point. It sits on top: it uses the contract, the
targets and the reports, and nothing below it imports it back.
"""
