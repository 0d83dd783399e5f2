"""The toolkit's own fixed names: the project's file names and the default ports of its servers."""

from __future__ import annotations

# The project's settings, at its root.
CONFIG_FILE = "kmsg.toml"
# The metadata of one template, in its folder under templates_src/.
TEMPLATE_FILE = "template.yaml"
# `kmsg-author preview --watch` serves here unless told otherwise.
PREVIEW_PORT = 8025
# `kmsg-author sandbox` listens here unless told otherwise.
SANDBOX_PORT = 8090
# The base URL an environment uses to reach the local sandbox.
SANDBOX_URL = f"http://127.0.0.1:{SANDBOX_PORT}/api/v1"
