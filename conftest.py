"""Root conftest: every test directory gets kit's real-server fixtures."""

pytest_plugins = ["kit.testing"]
