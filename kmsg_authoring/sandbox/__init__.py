"""HTTP requests in, Messaging API answers out: a local API over real HTTP, with state in SQLite.

    with start_sandbox("sandbox.sqlite", faults=Faults(error_rate=0.3, seed=1)) as sb:
        httpx.post(f"{sb.url}/email-template/list", json={}, headers={"Authorization": f"Bearer {make_ks(1)}"})

`sb.url` is the base URL to put in kmsg.toml, `sb.request_log` lists the endpoints requested,
`sb.faults` can be changed while it runs, and the rendered messages are at `sb.outbox_url`.
"""

from __future__ import annotations

from kmsg_authoring.sandbox.faults import Faults
from kmsg_authoring.sandbox.ks import make_ks, partner_from_ks
from kmsg_authoring.sandbox.server import RequestLog, Sandbox, start_sandbox

__all__ = ["Faults", "RequestLog", "Sandbox", "make_ks", "partner_from_ks", "start_sandbox"]
