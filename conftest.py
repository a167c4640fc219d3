"""Root pytest plugin of the suite; the harness itself lives in ``fixtures/``."""

pytest_plugins = ["fixtures.plugin"]
