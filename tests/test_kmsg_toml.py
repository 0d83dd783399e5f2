"""kmsg.toml mistakes: every table refuses unknown keys with the closest one, at the key's line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmsg_authoring.errors import ConfigError
from kmsg_authoring.source.config import load_config


@pytest.mark.parametrize(
    ("toml", "where", "message"),
    [
        ('[build]\ninliner = "css-inline"\ninlner = "premailer"\n', "kmsg.toml:3:1", "did you mean 'inliner'?"),
        ("[build]\nrender_time_limt = 3\n", "kmsg.toml:2:1", "did you mean 'render_time_limit'?"),
        ("[bild]\n", "kmsg.toml:1:1", "unknown section [bild] (did you mean [build]?)"),
        ("\n\n[build.mjml]\n  minfy = true\n", "kmsg.toml:4:3", "did you mean 'minify'?"),
        ('[environments.prod]\napp_guid = "x"\n  regoin = "nvp1"\n', "kmsg.toml:3:3", "did you mean 'region'?"),
        ('[i18n]\nlocales = ["en"]\ndefault_locle = "en"\n', "kmsg.toml:3:1", "did you mean 'default_locale'?"),
        ('# a comment\n[build]\nsrc = "ok"\ninliner = "inline"\n', "kmsg.toml:4:1", "inliner 'inline' is not one of"),
        ('[environments.prod]\napp_guid = "x"\nurl = "ftp://x"\n', "kmsg.toml:3:1", "url must be an http(s) URL"),
        ("[build]\ninliner = \n", "kmsg.toml:2:11", "invalid TOML: Invalid value"),
    ],
    ids=["build", "build-limit", "section", "mjml", "environment", "i18n", "bad-value", "env-url", "syntax"],
)
def test_each_mistake_is_located_with_what_to_write(tmp_path: Path, toml: str, where: str, message: str) -> None:
    (tmp_path / "kmsg.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value.location) == where
    assert message in str(caught.value)
    assert "(at line" not in str(caught.value)


@pytest.mark.parametrize(
    ("toml", "where", "message"),
    [
        ('[build]\ninliner = "css-inline"\n\n[lint]\ndisable = ["KM101"]\n  ignor = []\n', "kmsg.toml:6:3", "ignor"),
        ('[lint]\nclients = ["gmial"]\n', "kmsg.toml:2:1", "gmial"),
        ("[snapshot]\nwidths = [600]\ncolour = 1\n", "kmsg.toml:3:1", "unknown key 'colour'"),
        ('[snapshot]\nengines = ["lynx"]\n', "kmsg.toml:2:1", "engines must be a list"),
    ],
    ids=["lint-key", "lint-clients", "snapshot-key", "snapshot-engines"],
)
def test_tables_checked_elsewhere_are_located_too(tmp_path: Path, toml: str, where: str, message: str) -> None:
    from kmsg_authoring.lint.settings import resolve, resolve_clients
    from kmsg_authoring.review.snapshot import snapshot_settings

    (tmp_path / "kmsg.toml").write_text(toml, encoding="utf-8")
    config = load_config(tmp_path)
    with pytest.raises(ConfigError) as caught:
        resolve(config.lint)
        resolve_clients(config.lint)
        snapshot_settings(config)
    assert str(caught.value.location) == where, str(caught.value)
    assert message in str(caught.value)


def test_every_build_setting_the_build_reads_is_accepted(tmp_path: Path) -> None:
    """Settings added to [build] by different features are all known to the unknown-key check."""
    from kmsg_authoring.source.config import load_config

    (tmp_path / "kmsg.toml").write_text(
        '[build]\ninliner = "premailer"\npreserve_cascade = false\nminify = true\nrender_time_limit = 5\n',
        encoding="utf-8",
    )
    config = load_config(tmp_path)
    assert (config.inliner, config.preserve_cascade, config.minify, config.render_time_limit) == (
        "premailer",
        False,
        True,
        5.0,
    )
