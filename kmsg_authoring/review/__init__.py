"""Rendered emails in, browser engines' views of them out: snapshots, what changed, accessibility findings.

This stage comes after render/: a compiled template plus a sample gives each recipient's email
(render/), and review/ puts that email in front of a browser engine. `page` makes the HTML
deterministic (network blocked, remote images as placeholder boxes), `engines` drives Chromium,
WebKitGTK and Firefox, `snapshot` writes one PNG per template x recipient x width x scheme x engine
with a manifest, `compare` and `report` diff two snapshot sets, `baseline` builds the snapshots of
a Git revision, and `a11y` runs axe-core on the rendered email and maps findings to source lines.
Every browser dependency is optional (the `browser` extra) and imported only when used.
"""
