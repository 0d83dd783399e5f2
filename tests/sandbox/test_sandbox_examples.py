"""The example templates, built as a user builds them, added to the sandbox and sent with their samples."""

from __future__ import annotations

from pathlib import Path

from kmsg_authoring.project.build import BuildOptions, build_project
from kmsg_authoring.compile.tokens import find_tokens
from kmsg_authoring.source.config import load_config
from kmsg_authoring.render.samples import load_sample
from kmsg_authoring.sandbox.store import DISCRETE_MESSAGES
from tests.sandbox.conftest import APP, Api


def test_every_example_renders_completely_through_the_sandbox(example_project: Path, api: Api) -> None:
    config = load_config(example_project)
    report = build_project(config, None, BuildOptions(write=False, use_cache=False))
    assert not report.failures and len(report.compiled) >= 4
    for slug, compiled in sorted(report.compiled.items()):
        template = api.ok("email-template/add", {**compiled.payload, "appGuid": APP})
        assert template["numberOfTokenUsed"] == compiled.number_of_tokens_used
        sample = load_sample(config, compiled)
        api.ok("sandbox/users/add", {"users": sample.users})
        bulk = api.ok(
            "message/send",
            {
                "receiverType": "user",
                "userIds": sample.recipients,
                "appGuid": APP,
                "templateId": template["id"],
                "type": "email",
                "msgParams": sample.msg_params,
                "session": slug,
            },
        )
        assert api.ok("message/stats", {"bulkId": bulk["bulkId"]}) == {"DELIVERED": len(sample.recipients)}
        messages, _ = api.sandbox.store.query(DISCRETE_MESSAGES, 1, {"bulkIdIn": [bulk["bulkId"]]})
        assert len(messages) == len(sample.recipients)
        for message in messages:
            assert message["unresolved"] == [], slug
            for field in ("subject", "body", "to", "fromName"):
                assert not list(find_tokens(message[field])), (slug, field)
            assert "@" in message["to"]
