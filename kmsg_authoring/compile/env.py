"""What the templates of one build share: the Jinja environment, the token shield, the source map."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kmsg_authoring.compile.tokens import Shield
from kmsg_authoring.compile.types import SourceMap

if TYPE_CHECKING:
    from kmsg_authoring.compile.jinja_env import TrackingEnvironment
    from kmsg_authoring.source.config import Config


class CompileEnv:
    """State shared by the templates of one build: the Jinja environment, shield and source map."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.shield = Shield()
        self.marks = SourceMap()
        self._jinja: TrackingEnvironment | None = None
        from kmsg_authoring.compile.i18n import Translator

        self.translator = Translator(config, self.shield)

    @property
    def jinja(self) -> TrackingEnvironment:
        """The Jinja environment, made on first use."""
        if self._jinja is None:
            from kmsg_authoring.compile.jinja_env import make_environment

            self._jinja = make_environment(
                self.config.src_dir,
                self.config.rel,
                self.shield,
                self.marks,
                project_root=self.config.root,
                time_limit=self.config.render_time_limit,
                size_limit=self.config.render_size_limit,
                translator=self.translator,
            )
        return self._jinja
