"""ganbench's conformance kit on this plugin: one test per check (`ganbench check-plugin ganbench-label-smoothing`)."""

from ganbench.testing import conformance_test

test_conformance = conformance_test("ganbench-label-smoothing")
