"""Just enough of the Dockerfile format to check the project's Dockerfile without a daemon.

Comments and parser directives are dropped (also between continuation lines), a line ending
in a backslash continues on the next one, and every instruction must be one Docker knows.
What this reader cannot follow is refused rather than guessed at: heredocs, and a JSON
(exec) form that does not parse, which Docker itself would silently run as a shell command.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: Every instruction of the Dockerfile reference.
KNOWN = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)

_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
_HEALTHCHECK = re.compile(r"((?:--[\w-]+=\S+\s+)*)CMD\s+(.+)", re.DOTALL)


class DockerfileError(ValueError):
    """The text is not a Dockerfile this reader understands."""


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str
    args: str
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON array form's words, or None for the shell form."""
        if not self.args.startswith("["):
            return None
        try:
            words = json.loads(self.args)
        except json.JSONDecodeError as exc:
            raise DockerfileError(f"line {self.line}: {self.keyword}: bad JSON: {exc}") from None
        if not (isinstance(words, list) and all(isinstance(word, str) for word in words)):
            raise DockerfileError(f"line {self.line}: {self.keyword}: not a list of strings")
        return words

    def words(self) -> list[str]:
        """The arguments as Docker splits them: the JSON form, or shell-like words."""
        words = self.exec_form()
        return shlex.split(self.args) if words is None else words


@dataclass(frozen=True, slots=True)
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction]

    def all(self, keyword: str) -> list[Instruction]:
        return [each for each in self.instructions if each.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        if not found:
            raise AssertionError(f"the stage FROM {self.base} has no {keyword}")
        return found[-1]

    def env(self) -> dict[str, str]:
        """The stage's ENV settings (the `NAME=value` form)."""
        values: dict[str, str] = {}
        for each in self.all("ENV"):
            for word in each.words():
                name, sep, value = word.partition("=")
                if not sep:
                    raise DockerfileError(f"line {each.line}: ENV without '=' is not supported")
                values[name] = value
        return values


def parse(text: str) -> list[Instruction]:
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#") or (not line and not pending):
            continue
        if not pending:
            start = number
        continued = line.endswith("\\")
        pending.append(line.removesuffix("\\").strip())
        if not continued:
            instructions.append(_instruction(" ".join(part for part in pending if part), start))
            pending = []
    if pending:
        raise DockerfileError(f"line {start}: the file ends inside a continued instruction")
    return instructions


def _instruction(text: str, line: int) -> Instruction:
    keyword, *rest = text.split(None, 1)
    keyword = keyword.upper()
    if keyword not in KNOWN:
        raise DockerfileError(f"line {line}: unknown instruction {keyword!r}")
    if not rest:
        raise DockerfileError(f"line {line}: {keyword} without arguments")
    if "<<" in rest[0] and keyword in {"RUN", "COPY", "ADD"}:
        raise DockerfileError(f"line {line}: heredocs are not supported by this reader")
    return Instruction(keyword, rest[0], line)


def stages(instructions: Sequence[Instruction]) -> list[Stage]:
    """The build stages, with the global ARG defaults substituted into each FROM."""
    global_args: dict[str, str] = {}
    found: list[Stage] = []
    for each in instructions:
        if each.keyword == "FROM":
            found.append(_stage(each, global_args))
        elif found:
            found[-1].instructions.append(each)
        elif each.keyword == "ARG":
            name, _, default = each.args.partition("=")
            global_args[name.strip()] = default.strip()
        else:
            raise DockerfileError(f"line {each.line}: {each.keyword} before the first FROM")
    if not found:
        raise DockerfileError("no FROM")
    return found


def _stage(instruction: Instruction, args: Mapping[str, str]) -> Stage:
    words = [word for word in instruction.words() if not word.startswith("--")]
    if len(words) == 3 and words[1].upper() == "AS":
        name: str | None = words[2]
    elif len(words) == 1:
        name = None
    else:
        raise DockerfileError(f"line {instruction.line}: FROM {instruction.args!r}")
    return Stage(_substitute(words[0], args, instruction.line), name, [])


def _substitute(value: str, args: Mapping[str, str], line: int) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in args:
            raise DockerfileError(f"line {line}: ${name} is not a global ARG with a default")
        return args[name]

    return _VARIABLE.sub(replace, value)


def healthcheck(instruction: Instruction) -> tuple[dict[str, str], list[str]]:
    """A HEALTHCHECK's options (`--interval=30s` as `interval: 30s`) and its exec-form
    command; the shell form is refused (it needs a shell in the image to mean anything)."""
    match = _HEALTHCHECK.fullmatch(instruction.args)
    if match is None:
        raise DockerfileError(f"line {instruction.line}: HEALTHCHECK without CMD")
    options = {}
    for word in match.group(1).split():
        name, _, value = word.removeprefix("--").partition("=")
        options[name] = value
    command = Instruction("CMD", match.group(2), instruction.line).exec_form()
    if command is None:
        raise DockerfileError(f"line {instruction.line}: HEALTHCHECK CMD is not in JSON form")
    return options, command
