"""What the fixture graphs (conformance/graphs/graphs.py) produce, for the tests to assert.

graphs.py runs inside the target, which cannot import this package, so the values are stated in both
places; the project's own tests check that they agree.
"""

GRAPHS = ("agent", "interrupt", "fail", "slow", "configured", "steps", "custom")
ECHO_PREFIX = "echo: "
INTERRUPT_QUESTION = {"question": "approve?"}
FAILURE_MESSAGE = "conformance fixture failure"
INTERRUPT_OUTER_NODE = "review"
INTERRUPT_INNER_NODE = "ask"
FAIL_NODE = "fail"
STEP_NODES = ("first", "second")
CUSTOM_EVENTS = ({"custom": 1}, {"custom": 2})
