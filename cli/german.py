"""The help frame of typer in German ("Aufruf", "Optionen", "Befehle", "Diese Hilfe zeigen und beenden.").

typer 0.29 carries its own copy of click (``typer._click``) whose frame texts are fixed English
strings, and panel titles in ``typer.rich_utils``. ``install()`` replaces them once, before the first
command runs; everything else (our commands' help) is German already.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import Any

import typer
from typer._click import core, exceptions, formatting

HELP = "Diese Hilfe zeigen und beenden."
MESSAGES = (("Missing argument", "Fehlendes Argument"), ("Missing option", "Fehlende Option"),
            ("Missing parameter", "Fehlende Angabe"), ("Invalid value for", "Ungültiger Wert für"),
            ("Invalid value", "Ungültiger Wert"), ("No such option", "Unbekannte Option"),
            ("Did you mean", "Meinten Sie"), ("Got unexpected extra argument(s)", "Unerwartete weitere Angaben"),
            ("No such command", "Unbekannter Befehl"), ("Missing command.", "Befehl fehlt."))


def _german_messages(cls: Any) -> None:
    english = cls.format_message

    def format_message(self: Any) -> str:
        text: str = english(self)
        for old, new in MESSAGES:
            text = text.replace(old, new)
        return text

    cls.format_message = format_message


PANELS = {"ARGUMENTS_PANEL_TITLE": "Argumente", "OPTIONS_PANEL_TITLE": "Optionen", "COMMANDS_PANEL_TITLE": "Befehle",
          "ERRORS_PANEL_TITLE": "Fehler", "ABORTED_TEXT": "Abgebrochen.",
          "RICH_HELP": "Hilfe: [blue]'{command_path} {help_option}'[/]"}
RICH_UTILS = "typer.rich_utils"


def _rich_utils() -> ModuleType:
    """``typer.rich_utils``, loaded only when first used (help, usage errors).

    typer imports it just for those, and its import (rich's markdown, syntax and traceback) cost a
    command like ``verbund status`` a tenth of its start-up. The stdlib's ``LazyLoader`` keeps what is
    set on the module before it loads: the German titles below.
    """
    if RICH_UTILS in sys.modules:
        return sys.modules[RICH_UTILS]
    spec = importlib.util.find_spec(RICH_UTILS)
    assert spec is not None and spec.loader is not None
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[RICH_UTILS] = module
    spec.loader.exec_module(module)
    typer.rich_utils = module  # type: ignore[attr-defined]
    return module


def install() -> None:
    """German panel titles, usage prefix and help-option text (idempotent)."""
    rich = _rich_utils()
    for name, value in PANELS.items():
        setattr(rich, name, value)
    if getattr(formatting.HelpFormatter.write_usage, "german", False):
        return
    write_usage = formatting.HelpFormatter.write_usage
    get_help_option = core.Command.get_help_option

    def german_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, args, "Aufruf: " if prefix is None else prefix)

    def german_help_option(self: Any, ctx: Any) -> Any:
        option = get_help_option(self, ctx)
        if option is not None:
            option.help = HELP
        return option

    german_usage.german = True  # type: ignore[attr-defined]
    formatting.HelpFormatter.write_usage = german_usage  # type: ignore[method-assign]
    core.Command.get_help_option = german_help_option  # type: ignore[method-assign]
    for cls in (exceptions.UsageError, exceptions.BadParameter, exceptions.MissingParameter, exceptions.NoSuchOption):
        _german_messages(cls)
