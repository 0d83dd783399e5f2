"""Compiled template and sample in, what a recipient sees out: the token renderer and sample data."""
