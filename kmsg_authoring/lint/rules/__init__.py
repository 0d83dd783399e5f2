"""The rule modules; each registers its rules with @rule when imported (see lint/registry.py)."""
