"""A lint Context in, findings out: one module per rule family, each registering its rules with @rule."""
