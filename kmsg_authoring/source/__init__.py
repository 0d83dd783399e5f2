"""Source files in, configuration and template sources out.

The project root, kmsg.toml, template folders, confined reads, YAML with positions, scaffolding.
"""
