"""The live preview without sockets: pages, confinement, dependency-exact rebuilds, epochs, overlays."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kmsg_authoring.source.config import load_config
from kmsg_authoring.preview.pages import OVERLAY_ID
from kmsg_authoring.preview.routes import STATIC_DIR, safe_join
from kmsg_authoring.preview.site import PreviewSite
from kmsg_authoring.preview.watcher import Debouncer, is_scratch

SRC = "templates_src"
ALL = {"attendance-confirmation", "event-invitation", "follow-up", "reminder"}


@pytest.fixture
def site(example_project: Path) -> PreviewSite:
    s = PreviewSite(load_config(example_project), poll_timeout=0.01)
    assert s.build_all() == ALL
    return s


def text(site: PreviewSite, path: str) -> tuple[int, str]:
    response = site.handle(path)
    return response.status, response.body.decode("utf-8")


def edit(site: PreviewSite, rel: str, old: str, new: str) -> None:
    path = site.config.root / rel
    content = path.read_text(encoding="utf-8")
    assert old in content, old
    path.write_text(content.replace(old, new), encoding="utf-8")


def test_index_lists_templates_with_status_and_build_time(site: PreviewSite) -> None:
    status, page = text(site, "/")
    assert status == 200
    for slug in ALL:
        assert f'<a href="/t/{slug}">{slug}</a>' in page
    assert "Event Invitation" in page and 'class="num errors" data-label="Errors">0<' in page
    assert 'data-live-epoch="1"' in page and "/static/preview.js" in page


def test_template_page_shows_envelope_tabs_frames_source_and_payload(site: PreviewSite) -> None:
    status, page = text(site, "/t/event-invitation")
    assert status == 200
    assert '<dd class="subject" dir="auto">You&#x27;re invited to Annual Conference 2026</dd>' in page
    assert '<dd class="from" dir="auto">Acme Events &lt;events@events.example.com&gt;</dd>' in page
    assert '<dd class="to" dir="auto">jane@example.com</dd>' in page
    assert '<dd class="to" dir="auto">li@example.com</dd>' in page
    assert "Jane Doe &lt;jane@example.com&gt;" in page and "李 小龙 &lt;li@example.com&gt;" in page
    # 2 recipients x (2 widths + 2 dark views + the Outlook approximation)
    assert page.count('sandbox="allow-popups allow-popups-to-escape-sandbox"') == 10
    assert 'style="width:640px"' in page and 'style="width:375px"' in page
    for tab in ("Preview", "HTML source", "API payload", "Lint (0)"):
        assert f">{tab}</button>" in page
    compiled = site.templates["event-invitation"].compiled
    assert compiled is not None
    assert json.dumps(compiled.payload["msgParamsMap"], indent=2).splitlines()[1].strip().replace('"', "&quot;") in page
    assert OVERLAY_ID not in page


def test_email_is_exactly_the_rendered_body(site: PreviewSite) -> None:
    response = site.handle("/t/event-invitation/email/default/1.html")
    assert response.status == 200
    body = response.body.decode("utf-8")
    assert "You're invited, 李!" in body or "You&#x27;re invited, 李!" in body
    assert "data-live-epoch" not in body and "preview.js" not in body
    assert ("Content-Security-Policy", "sandbox allow-popups") in response.headers
    assert site.handle("/t/event-invitation/email/default/2.html").status == 404
    payload = site.handle("/t/event-invitation/payload.json")
    compiled = site.templates["event-invitation"].compiled
    assert compiled is not None and json.loads(payload.body) == compiled.payload


def test_sample_secrets_appear_only_inside_the_signed_token(site: PreviewSite) -> None:
    secret = "dev-only-secret"
    for path in (
        "/",
        "/t/attendance-confirmation",
        "/t/attendance-confirmation/email/default/0.html",
        "/t/attendance-confirmation/payload.json",
    ):
        assert secret not in text(site, path)[1], path
    assert 'src="data:image/png;base64,' in text(site, "/t/attendance-confirmation/email/default/0.html")[1]


@pytest.mark.parametrize(
    "path",
    [
        "/static/../site.py",
        "/static/%2e%2e/site.py",
        "/static/..%2fsite.py",
        "/static/%2E%2E%2F%2E%2E%2Fconfig.py",
        "/static//etc/passwd",
        "/static/%2Fetc%2Fpasswd",
        "/static/..\\site.py",
        "/static/preview.css%00.py",
        "/../../etc/passwd",
        "/t/..%2F..%2Fkmsg.toml",
        "/t/event-invitation/email/..%2F..%2F..%2Fkmsg.toml/0.html",
        "/t/event-invitation/..%2Ftemplate.yaml",
    ],
)
def test_paths_outside_are_not_found(site: PreviewSite, path: str) -> None:
    status, page = text(site, path)
    assert status == 404
    assert "root:" not in page and "[brand]" not in page and "import" not in page


def test_a_sample_name_cannot_reach_outside_the_samples(site: PreviewSite) -> None:
    _, page = text(site, "/t/event-invitation?sample=..%2F..%2F..%2Fkmsg")
    assert "[brand]" not in page and "has no sample" in page
    assert safe_join(STATIC_DIR, "preview.css") == STATIC_DIR / "preview.css"
    assert safe_join(STATIC_DIR, "../site.py") is None


def test_static_assets_are_served(site: PreviewSite) -> None:
    response = site.handle("/static/preview.js")
    assert response.status == 200 and "javascript" in response.content_type
    assert b"/livereload?since=" in response.body


def test_a_change_rebuilds_exactly_the_templates_that_depend_on_it(site: PreviewSite) -> None:
    assert site.affected([f"{SRC}/event-invitation/body.html"]) == ({"event-invitation"}, False)
    assert site.affected([f"{SRC}/reminder/samples/default.yaml"]) == ({"reminder"}, False)
    assert site.affected([f"{SRC}/_partials/button.html"]) == (ALL - {"attendance-confirmation"}, False)
    # attendance-confirmation is written in MJML, on its own layout; the HTML footer partial serves both.
    assert site.affected([f"{SRC}/_layouts/base.html"]) == (ALL - {"attendance-confirmation"}, False)
    assert site.affected([f"{SRC}/_layouts/base.mjml"]) == ({"attendance-confirmation"}, False)
    assert site.affected([f"{SRC}/_partials/footer.html"]) == (ALL, False)
    assert site.affected([f"{SRC}/reminder/.body.html.swp", f"{SRC}/reminder/body.html~"]) == (set(), False)
    assert site.affected([f"{SRC}/new-one/template.yaml"]) == (set(), True)
    assert site.affected([f"{SRC}/follow-up"]) == (set(), True)
    assert site.affected(["README.md"]) == (set(), False)


def test_saving_a_body_reloads_only_pages_of_that_template(site: PreviewSite) -> None:
    before = {slug: site.current(slug) for slug in ALL}
    edit(site, f"{SRC}/reminder/body.html", "{% block content %}", "{% block content %}<p>Fresh words</p>")
    assert site.on_change([f"{SRC}/reminder/body.html"]) == {"reminder"}
    assert site.current("reminder") > before["reminder"]
    assert all(site.current(s) == before[s] for s in ALL - {"reminder"})
    # A page made before the change learns of it at once; a current page waits (here: times out).
    assert site.wait(before["reminder"], "reminder") == site.current("reminder")
    assert site.wait(before["follow-up"], "follow-up", timeout=0.01) == before["follow-up"]
    assert "Fresh words" in text(site, "/t/reminder/email/default/0.html")[1]
    status, reply = text(site, f"/livereload?since={before['reminder']}&slug=reminder")
    assert status == 200 and reply == str(site.current("reminder"))


def test_broken_yaml_shows_an_overlay_keeps_the_last_good_build_and_fixing_clears_it(site: PreviewSite) -> None:
    rel = f"{SRC}/reminder/template.yaml"
    good = (site.config.root / rel).read_text(encoding="utf-8")
    (site.config.root / rel).write_text(good.replace("msgParamsMap:", "msgParamsMap: [\n"), encoding="utf-8")
    site.on_change([rel])
    page = text(site, "/t/reminder")[1]
    assert OVERLAY_ID in page
    overlay = page[page.index(OVERLAY_ID) : page.index("</div>", page.index(OVERLAY_ID))]
    assert f"{rel}:" in overlay and "invalid YAML" in overlay
    assert "Reminder: Annual Conference 2026 starts in one hour" in page  # the last good build stays up
    assert "1 error(s), 0 warning(s)" in page
    assert "build failed" in text(site, "/")[1]
    (site.config.root / rel).write_text(good, encoding="utf-8")
    site.on_change([rel])
    page = text(site, "/t/reminder")[1]
    assert OVERLAY_ID not in page and "build failed" not in text(site, "/")[1]


def test_a_sample_error_shows_in_the_overlay_with_its_line(site: PreviewSite) -> None:
    rel = f"{SRC}/event-invitation/samples/default.yaml"
    edit(site, rel, "expiry: 48", "expiry: soon")
    site.on_change([rel])
    page = text(site, "/t/event-invitation")[1]
    assert OVERLAY_ID in page and f"{rel}:8:" in page and "&#x27;soon&#x27; is not of type" in page
    overlay = page[page.index(OVERLAY_ID) : page.index("</div>", page.index(OVERLAY_ID))]
    assert overlay.count("is not of type") == 1
    # The Lint tab lists it too, as KM002, so the header's count and the tab's agree.
    assert "<code>KM002</code>" in page and "1 error(s), 0 warning(s)" in page and "Lint (1)" in page


def test_lint_findings_are_listed_with_their_source_locations(site: PreviewSite) -> None:
    rel = f"{SRC}/follow-up/template.yaml"
    path = site.config.root / rel
    path.write_text(
        path.read_text(encoding="utf-8").replace("subject: ", "subject: " + "Very long words " * 6, 1), encoding="utf-8"
    )
    site.on_change([rel])
    page = text(site, "/t/follow-up")[1]
    assert ">Lint (1)</button>" in page and "KM407" in page and f"<code>{rel}:" in page
    assert (
        'data-slug="follow-up"><td><a href="/t/follow-up">follow-up</a></td><td dir="auto" data-label="Name">'
        'Event Follow-up</td><td class="num errors" data-label="Errors">0</td>'
        '<td class="num warnings" data-label="Warnings">1</td>' in text(site, "/")[1]
    )


def test_adding_and_removing_a_template_folder_updates_the_index(site: PreviewSite) -> None:
    root = site.config.root
    index_epoch = site.current(None)
    assert text(site, "/t/copy")[0] == 404
    gone_epoch = site.current("copy")
    shutil.copytree(root / SRC / "reminder", root / SRC / "copy")
    assert site.on_change([f"{SRC}/copy", f"{SRC}/copy/template.yaml"]) == {"copy"}
    assert site.current(None) > index_epoch and site.current("copy") > gone_epoch
    assert '<a href="/t/copy">copy</a>' in text(site, "/")[1]
    assert text(site, "/t/copy")[0] == 200
    shutil.rmtree(root / SRC / "copy")
    site.on_change([f"{SRC}/copy"])
    assert '<a href="/t/copy">copy</a>' not in text(site, "/")[1]
    assert text(site, "/t/copy")[0] == 404


def test_a_template_without_samples_previews_with_a_generated_one(site: PreviewSite) -> None:
    (site.config.root / SRC / "reminder/samples/default.yaml").unlink()
    site.on_change([f"{SRC}/reminder/samples/default.yaml"])
    page = text(site, "/t/reminder")[1]
    assert "No sample file" in page and "kmsg-author samples init reminder" in page
    assert "/t/reminder/email/-/0.html" in page
    assert "Jane" in text(site, "/t/reminder/email/-/0.html")[1]


def test_a_broken_config_is_shown_and_fixing_it_rebuilds(site: PreviewSite) -> None:
    toml = site.config.root / "kmsg.toml"
    good = toml.read_text(encoding="utf-8")
    toml.write_text(good + "\n[nonsense]\n", encoding="utf-8")
    site.on_change(["kmsg.toml"])
    assert "unknown section [nonsense]" in text(site, "/")[1]
    assert OVERLAY_ID in text(site, "/t/reminder")[1]
    toml.write_text(good.replace("Acme Events", "Acme Live"), encoding="utf-8")
    assert site.on_change(["kmsg.toml"]) == ALL
    assert OVERLAY_ID not in text(site, "/")[1]
    assert "Acme Live" in text(site, "/t/reminder")[1]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_debouncer_hands_over_one_burst_after_quiet_or_patience() -> None:
    clock = FakeClock()
    d = Debouncer(lambda paths: None, quiet=0.05, patience=0.5, clock=clock)
    assert d.due() is None
    d.add("a")
    clock.now += 0.03
    d.add("b")
    clock.now += 0.03
    assert d.due() is None  # still saving
    clock.now += 0.03
    assert d.due() == {"a", "b"}
    assert d.due() is None
    for _ in range(20):  # a save every 30 ms never goes quiet; patience hands it over anyway
        d.add("c")
        clock.now += 0.03
    assert d.due() == {"c"}


@pytest.mark.parametrize("name", [".body.html.swp", "body.html~", "4913", ".#body.html", "x.tmp"])
def test_editor_scratch_files_are_ignored(name: str) -> None:
    assert is_scratch(f"{SRC}/reminder/{name}")
    assert not is_scratch(f"{SRC}/reminder/body.html")


def test_unresolved_tokens_are_listed_where_they_were_written(site: PreviewSite) -> None:
    rel = f"{SRC}/reminder/body.html"
    edit(site, rel, "{% block content %}", "{% block content %}<p>{recipient.city}</p>")
    site.on_change([rel])
    lines = (site.config.root / rel).read_text(encoding="utf-8").splitlines()
    line = next(i for i, t in enumerate(lines, 1) if "{recipient.city}" in t)
    col = lines[line - 1].index("{recipient.city}") + 1
    page = text(site, "/t/reminder")[1]
    assert (
        f'<li><code class="where">{rel}:{line}:{col}</code> <code>{{recipient.city}}</code> in body '
        "is empty: user &#x27;jane@example.com&#x27; has no city</li>"
    ) in page


def test_an_unknown_sample_is_a_404_naming_the_samples_that_exist(site: PreviewSite) -> None:
    """?sample=nope is a wrong address, not a build failure: no overlay, no error counted."""
    status, page = text(site, "/t/reminder?sample=nope")
    assert status == 404
    assert "Template &#x27;reminder&#x27; has no sample &#x27;nope&#x27;. Samples: default." in page
    assert '<a href="/t/reminder?sample=default">default</a>' in page
    assert OVERLAY_ID not in page and "Build failed" not in page
    status, page = text(site, "/t/reminder")
    assert status == 200 and "0 error(s)" in page and "Lint (0)" in page


def test_each_rebuild_is_reported_with_templates_time_and_located_errors(example_project: Path) -> None:
    """The watch terminal's feed: one event per rebuild round, with every error at its location."""
    from kmsg_authoring.preview.site import Rebuilt

    seen: list[Rebuilt] = []
    s = PreviewSite(load_config(example_project), poll_timeout=0.01, on_rebuild=seen.append)
    s.build_all()
    assert seen[-1].slugs == tuple(sorted(ALL)) and seen[-1].errors == 0 and seen[-1].seconds > 0
    rel = f"{SRC}/reminder/body.html"
    edit(s, rel, "</p>", "{{recipient.firstName}}</p>")
    s.on_change([rel])
    last = seen[-1]
    assert last.slugs == ("reminder",) and last.errors == 1
    (problem,) = last.problems
    assert str(problem).startswith(f"{rel}:") and " KM001 'recipient' is undefined" in str(problem)


def test_an_image_that_cannot_load_gets_a_neutral_placeholder_in_the_frame(site: PreviewSite) -> None:
    """The email frame adds one style: ::before content, which only a failed image shows."""
    from kmsg_authoring.preview.routes import IMAGE_PLACEHOLDER_CSS

    status, email = text(site, "/t/reminder/email/default/0.html")
    assert status == 200 and email.count(IMAGE_PLACEHOLDER_CSS) == 1
    assert email.index(IMAGE_PLACEHOLDER_CSS) < email.index("</head>")


def test_dark_views_of_an_email_and_the_compatibility_tab(site: PreviewSite) -> None:
    from kmsg_authoring.render.dark import dark_variants

    light = text(site, "/t/reminder/email/-/0.html")[1]
    status, dark = text(site, "/t/reminder/email/-/0.html?view=dark")
    assert status == 200 and dark == dark_variants(light)["dark"]
    assert "prefers-color-scheme: dark" in light and "prefers-color-scheme: dark" not in dark
    assert "(min-width: 0px)" in dark and 'data-ogsc=""' in dark
    status, inverted = text(site, "/t/reminder/email/-/0.html?view=inverted")
    assert status == 200 and "invert(1)" in inverted and "invert(1)" not in light
    assert site.handle("/t/reminder/email/-/0.html?view=sepia").status == 404

    page = text(site, "/t/reminder")[1]
    assert 'id="r0-dark"' in page and 'id="r0-inverted"' in page and "?view=dark" in page
    assert 'id="tab-compat"' in page and "targeted clients" in page and 'class="compat"' in page


def test_dark_variants_rewrite_only_the_dark_and_light_media_conditions() -> None:
    from kmsg_authoring.render.dark import dark_variants

    html = (
        "<html><head><style>@media (prefers-color-scheme: light) { p { color: #000 } }\n"
        "@media screen and (prefers-color-scheme:dark) { p { color: #fff } }</style></head>"
        "<body><p>x</p><p>(prefers-color-scheme: dark) in text</p></body></html>"
    )
    dark = dark_variants(html)["dark"]
    assert "@media (max-width: -1px) { p { color: #000 } }" in dark
    assert "@media screen and (min-width: 0px) { p { color: #fff } }" in dark
    assert "<p>(prefers-color-scheme: dark) in text</p>" in dark  # text is left alone
    assert '<body data-ogsc="" data-ogsb="">' in dark
