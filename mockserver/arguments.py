"""The console scripts' argument parser: every error one line, naming the option (C49).

argparse prints its whole usage before each error and words errors its own way ("argument
--fault-rate: invalid float value: 'abc'"). The project's own checks already say one line
naming the option and what it accepts; this parser makes argparse's errors say the same:

    python -m mockserver: error: --fault-rate: 'abc' is not a number from 0 to 1
    python -m mockserver: error: --prot: no such option; did you mean --port? (--help lists them)

and exits 2 without the usage. `--help` is unchanged. Shared by `stardust-mock`,
`stardust-conformance` and its `proxy` subcommand, so the three cannot drift apart.
"""

from __future__ import annotations

import argparse
import difflib
import re
from typing import Any, NoReturn

# What a value of a type argparse converts is, in words.
_KINDS = {"int": "a whole number", "float": "a number", "Path": "a path"}
_INVALID_VALUE = re.compile(r"^argument (?P<option>[^:]+): invalid (?P<kind>\S+) value: (?P<v>.*)$")
_INVALID_CHOICE = re.compile(
    r"^argument (?P<option>[^:]+): invalid choice: (?P<v>.*?) \(choose from (?P<choices>.*)\)$"
)
_ARGUMENT = re.compile(r"^argument (?P<option>[^:]+): (?P<rest>.*)$")


class OneLineParser(argparse.ArgumentParser):
    """argparse with one-line errors: `PROG: error: --option: what is wrong`, exit 2.

    `add_argument(..., accepts="a number from 0 to 1")` says what the option takes, for the
    error of a value argparse cannot convert; without it, the type's name in words.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accepts: dict[str, str] = {}

    def add_argument(self, *args: Any, accepts: str | None = None, **kwargs: Any) -> Any:
        action = super().add_argument(*args, **kwargs)
        if accepts is not None:
            for option in action.option_strings:
                self.accepts[option] = accepts
        return action

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {self.one_line(message)}\n")

    def one_line(self, message: str) -> str:
        """argparse's message as the project words errors: the option first, then the fix."""
        found = _INVALID_VALUE.match(message)
        if found:
            option = found["option"].split("/")[0]
            kind = self.accepts.get(option) or _KINDS.get(found["kind"], f"a {found['kind']}")
            return f"{option}: {found['v']} is not {kind}"
        found = _INVALID_CHOICE.match(message)
        if found:
            option, value = found["option"].split("/")[0], found["v"]
            choices = found["choices"].replace("'", "").split(", ")
            if option in self.accepts:
                near = difflib.get_close_matches(value.strip("'"), choices, n=1, cutoff=0.6)
                hint = f"; did you mean {near[0]}?" if near else ""
                return f"{option}: {value} is not {self.accepts[option]}{hint}"
            return f"{option}: {value} is not one of {', '.join(choices)}"
        if message.startswith("unrecognized arguments: "):
            return self._unrecognized(message.removeprefix("unrecognized arguments: ").split())
        if message.startswith("the following arguments are required: "):
            return f"{message.removeprefix('the following arguments are required: ')} is required"
        found = _ARGUMENT.match(message)
        if found:
            rest = found["rest"].replace("expected one argument", "needs a value")
            return f"{found['option'].split('/')[0]}: {rest}"
        return message

    def _unrecognized(self, words: list[str]) -> str:
        options = [word for word in words if word.startswith("-")]
        if not options:
            return f"unexpected argument {words[0]!r}: this command takes options only (--help)"
        name = options[0].split("=")[0]
        known = [option for action in self._actions for option in action.option_strings]
        near = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"; did you mean {near[0]}?" if near else ""
        return f"{name}: no such option{hint} (--help lists them)"
