"""Make a template project from real-world HTML files: each file becomes one template body."""

from __future__ import annotations

import re
from pathlib import Path

# Tokens inserted into every corpus body: in text, in a link, in a CSS declaration (inline and in <style>).
INSERT_TEXT = '<p class="kmsg-probe">Hi {recipient.firstName}, see you at {eventName}.</p>'
INSERT_LINK = '<a href="{joinLink}">Join</a> <a href="{unsubLink}">Unsubscribe</a>'
INSERT_CSS_ATTR = '<div style="background-image:url({bannerUrl});color:#333">&nbsp;</div>'
INSERT_STYLE = "<style>.kmsg-probe { background-image: url({bannerUrl}); }</style>"
TOKENS_YAML = """\
msgParamsMap:
  recipient: {type: User}
  eventName: {type: String}
  joinLink: {type: MagicLink}
  unsubLink: {type: UnsubscribeUri}
  bannerUrl: {type: String}
"""
_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_HEAD_CLOSE = re.compile(r"</head\s*>", re.IGNORECASE)


def slug_for(path: Path, corpus: Path) -> str:
    """A template slug for a corpus file: folder and file name."""
    rel = path.relative_to(corpus).with_suffix("")
    return re.sub(r"[^a-z0-9-]+", "-", "-".join(rel.parts).lower()).strip("-")


def wrap_body(html: str) -> str:
    """The corpus file with the probe tokens inserted after <body> (or at the start of a fragment)."""
    insert = f"{INSERT_TEXT}\n{INSERT_LINK}\n{INSERT_CSS_ATTR}\n"
    m = _BODY_OPEN.search(html)
    html = html[: m.end()] + "\n" + insert + html[m.end() :] if m else insert + html
    h = _HEAD_CLOSE.search(html)
    if h:
        return html[: h.start()] + INSERT_STYLE + "\n" + html[h.start() :]
    return INSERT_STYLE + "\n" + html


def make_corpus_project(
    dest: Path,
    files: list[Path],
    corpus: Path,
    inliner: str = "css-inline",
    keep_remote: bool = False,
    remote_stylesheets: str | None = None,
    preserve_cascade: bool = True,
) -> list[str]:
    """Write a project with one template per corpus file; returns the slugs.

    Remote stylesheets follow the default unless keep_remote or remote_stylesheets sets them.
    """
    src = dest / "templates_src"
    slugs = []
    lint_off = "[lint]\ndisable = []\n"
    (dest / "kmsg.toml").parent.mkdir(parents=True, exist_ok=True)
    cascade = "" if preserve_cascade else "preserve_cascade = false\n"
    (dest / "kmsg.toml").write_text(f'[build]\ninliner = "{inliner}"\n{cascade}\n{lint_off}', encoding="utf-8")
    for path in files:
        slug = slug_for(path, corpus)
        folder = src / slug
        folder.mkdir(parents=True, exist_ok=True)
        policy = "keep" if keep_remote else remote_stylesheets
        settings = "kmsg:\n  jinja: false\n" + (f"  remote_stylesheets: {policy}\n" if policy else "")
        (folder / "template.yaml").write_text(
            f'name: {slug}\nsubject: Hello {{recipient.firstName}}\ntoAttributePath: "{{recipient.email}}"\n'
            + TOKENS_YAML
            + settings,
            encoding="utf-8",
        )
        (folder / "body.html").write_bytes(wrap_body(path.read_text(encoding="utf-8")).encode("utf-8"))
        slugs.append(slug)
    return slugs
