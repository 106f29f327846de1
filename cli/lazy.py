"""Sub-commands loaded on first use, so that ``verbund status`` does not import every feature's module.

``verbund`` names each feature command and the module that registers it (``register(app)``, the same
function as before). The click group of the app (``LazyCommands``) lists every name at once, so
``verbund --help`` shows them all (it loads them for their help texts), but running one command
imports only its own module. An unknown name loads all modules first, so the "Meinten Sie …"
suggestion still knows every command. ``tests/cli/test_lazy_commands.py`` checks that the names here
are exactly what the modules register.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, ClassVar

import typer
from typer._click import Command, Context
from typer.core import TyperGroup


def registered_commands(module: str) -> dict[str, Command]:
    """The click commands that ``module.register`` adds to an app (name → command)."""
    holder = typer.Typer(pretty_exceptions_enable=False)
    importlib.import_module(module).register(holder)
    return dict(typer.main.get_group(holder).commands)


class LazyCommands(TyperGroup):
    """A typer group whose feature commands are imported when first asked for."""

    modules: ClassVar[Mapping[str, str]] = {}  # command name → module with ``register(app)``

    def list_commands(self, ctx: Context) -> list[str]:
        return [*self.commands, *(name for name in self.modules if name not in self.commands)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in self.commands and cmd_name in self.modules:
            self._load(self.modules[cmd_name])
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        if args and self.get_command(ctx, args[0]) is None:
            for module in dict.fromkeys(self.modules.values()):  # suggestions know every command
                self._load(module)
        return super().resolve_command(ctx, args)

    def _load(self, module: str) -> None:
        for name, command in registered_commands(module).items():
            self.commands.setdefault(name, command)


def lazy_commands(modules: Mapping[str, str]) -> Any:
    """A ``LazyCommands`` class for ``typer.Typer(cls=…)`` that loads ``modules`` (name → module) on demand."""
    return type("VerbundCommands", (LazyCommands,), {"modules": dict(modules)})
