"""End-to-end tests against a real Postfix (a package, so its conftest does not shadow tests/conftest.py)."""
