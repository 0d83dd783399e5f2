"""A project's configuration and template names in, `build/` outputs, project-wide findings and contracts out.

The orchestration above compile/ and lint/: `build.py` compiles, lints and writes each template's
outputs, `cache.py` keeps what a later build may reuse, `lint.py` is the project-wide lint (and its
compat summary), `contracts.py` the contracts of every template, now or at a Git revision.
"""
