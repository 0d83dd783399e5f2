"""Translations against their source messages: the same send-time tokens, and no message left behind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from kmsg_authoring.compile.i18n import FUZZY, MISSING, TRANSLATED, TranslationUse
from kmsg_authoring.compile.tokens import canonical
from kmsg_authoring.lint.context import Context, Finding
from kmsg_authoring.lint.registry import rule
from kmsg_authoring.model import find_tokens

_SHOWN = 50  # characters of a message quoted in a finding


def _quote(msgid: str) -> str:
    text = " ".join(msgid.split())
    return repr(text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…")


def _tokens(text: str) -> Counter[tuple[str, str | None]]:
    return Counter((t.name, t.field) for t in find_tokens(text))


def _mismatches(source: str, translation: str) -> Iterator[str]:
    """What differs between the tokens of a message and of its translation, one sentence each."""
    src, tr = _tokens(source), _tokens(translation)
    missing = list((src - tr).elements())
    added = list((tr - src).elements())
    for name, field in list(missing):
        other = next((a for a in added if a[0] == name), None)
        if other is not None:
            missing.remove((name, field))
            added.remove(other)
            yield (f"token {canonical(name, field)} has another field in the translation: {canonical(*other)}")
    while missing and added:
        old, new = missing.pop(0), added.pop(0)
        yield f"token {canonical(*old)} is renamed to {canonical(*new)} in the translation"
    for token in missing:
        yield f"the translation drops token {canonical(*token)}"
    for token in added:
        yield f"the translation adds token {canonical(*token)}, which the source message does not have"


def _uses(ctx: Context) -> Iterator[TranslationUse]:
    for use in ctx.compiled.translations:
        if isinstance(use, TranslationUse):
            yield use


@rule("KM701", "translation-token-mismatch", "error")
def translation_token_mismatch(ctx: Context) -> Iterator[Finding]:
    """A translation's send-time tokens differ from its source message's.

    What it does:
        Compares the tokens of every translation a locale's build uses with the tokens of the
        message in the source (the PO entry's msgid): a token dropped, added, renamed or with
        another field is reported at the translation's entry in the locale's messages.po.
    Why:
        The API substitutes tokens by name: a French subject that drops {eventName}, or a German
        body that writes {recipient.firstname}, reaches recipients of that language only, without
        any error at send time.
    Bad:
        msgid "Hi {recipient.firstName}, see you at {eventName}"
        msgstr "Bonjour {recipient.firstname}"
    Good:
        msgid "Hi {recipient.firstName}, see you at {eventName}"
        msgstr "Bonjour {recipient.firstName}, rendez-vous à {eventName}"
    """
    for use in _uses(ctx):
        if use.state != TRANSLATED:
            continue
        for i, text in enumerate(use.strings):
            source = use.msgid if i == 0 or use.plural is None else use.plural
            for problem in _mismatches(source, text):
                yield Finding(f"{use.locale}: {problem} (message {_quote(use.msgid)})", use.location)


@rule("KM702", "missing-translation", "warning")
def missing_translation(ctx: Context) -> Iterator[Finding]:
    """A message has no translation in a locale: the default-locale text is sent.

    What it does:
        Reports every message a locale's build looked up and did not find translated in the
        locale's messages.po (absent, or an empty msgstr). `lint --strict` fails on it.
    Why:
        Recipients of that language get the source text in the middle of a translated email.
    Bad:
        msgid "See you at {eventName}"
        msgstr ""
    Good:
        msgid "See you at {eventName}"
        msgstr "Rendez-vous à {eventName}"
    """
    for use in _uses(ctx):
        if use.state == MISSING:
            yield Finding(
                f"{use.locale}: message {_quote(use.msgid)} is not translated; the "
                "default-locale text is used (run `kmsg-author i18n update`, then translate it)",
                use.location,
            )


@rule("KM703", "fuzzy-translation", "warning")
def fuzzy_translation(ctx: Context) -> Iterator[Finding]:
    """A translation is marked fuzzy: it is not used until a translator confirms it.

    What it does:
        Reports every message whose entry in the locale's messages.po carries the fuzzy flag
        (`#, fuzzy`), which `i18n update` sets when it guessed a translation from a similar message.
    Why:
        gettext never uses a fuzzy entry, so the default-locale text is sent until the flag goes.
    Bad:
        #, fuzzy
        msgid "See you at {eventName}"
        msgstr "Rendez-vous à {eventName}"
    Good:
        msgid "See you at {eventName}"
        msgstr "Rendez-vous à {eventName}"
    """
    for use in _uses(ctx):
        if use.state == FUZZY:
            yield Finding(
                f"{use.locale}: translation of {_quote(use.msgid)} is fuzzy and not used; review it "
                "and remove the fuzzy flag",
                use.location,
            )
