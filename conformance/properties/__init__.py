"""The property layer: every operation of the effective contract, with schemathesis-generated requests.

``world`` makes the real resources the generated requests point at; ``budget`` says how much is generated,
``schema`` generates it, ``send`` sends it, ``judge`` turns each answer into findings, ``record`` adds them
up per operation, ``canonical`` sends one valid request per operation, and ``layer`` runs them all. The
area module conformance/tests/test_properties.py turns them into pytest tests.
"""


class PropertyAdvisory(UserWarning):
    """A finding the property layer reports without failing the certification (see docs/PROPERTIES.md).

    Defined here, at the package, so the warning filter docs/PROPERTIES.md gives
    (``-W ignore::conformance.properties.PropertyAdvisory``) names a class that exists.
    """
