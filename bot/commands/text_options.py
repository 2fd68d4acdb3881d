"""Options typed as one line of text (Slack slash commands) turned into named values.

`/papers 2024-05-06 top=5 --share`, `/subscribe keywords="LLM, agents" time=08:30`: named
values as `name=value` (or `name:value`), quoted with "..." when they hold spaces, a few
options by position, and flags as `--share`. What comes out is still raw text: the same
validators as for Discord's typed options check it. The usage line and the option list a
wrongly typed command is answered with are written from the spec here, as is the usage
hint in config/slack-manifest.yml (a test keeps the manifest equal to `usage`).
"""

from __future__ import annotations

import html
import re
import shlex

from bot.commands.errors import InvalidArgumentError
from bot.commands.replies import echo
from bot.commands.spec import CommandSpec, OptionKind, OptionSpec
from bot.render.text import clean_text

MAX_TEXT = 4000
"""Slack itself caps slash-command text near this; anything longer is not a person typing."""

_FLAG = re.compile(r"^--?([a-z][a-z_-]*)$", re.IGNORECASE)


def _unescape(text: str) -> str:
    """Slack may send &amp; &lt; &gt; (the manifest's should_escape); we want what was typed."""
    return html.unescape(text) if "&" in text else text


def parse_text(spec: CommandSpec, text: str) -> dict[str, object]:
    text = clean_text(_unescape(text)).replace("\n", " ")
    if len(text) > MAX_TEXT:
        raise InvalidArgumentError("text", f"too long (at most {MAX_TEXT} characters)")
    if spec.free_text is not None:
        return _free_text(spec, spec.free_text, text)
    try:
        tokens = shlex.split(text)
    except ValueError:
        raise InvalidArgumentError("text", 'a quote (") is not closed') from None
    found: dict[str, object] = {}
    positional = list(spec.positional)
    for token in tokens:
        name, value = _split(spec, token)
        if name is None:
            if not positional:
                raise _unexpected(spec, token)
            name = positional.pop(0)
        elif name in positional:
            positional.remove(name)
        if name in found:
            raise InvalidArgumentError(name, "given twice")
        found[name] = value
    return found


def _split(spec: CommandSpec, token: str) -> tuple[str | None, object]:
    """(option name, value) for a named token or a flag; (None, token) for a bare value."""
    flag = _FLAG.match(token)
    if flag is not None:
        option = spec.option(flag.group(1).lower().replace("-", "_"))
        if option is None or option.kind is not OptionKind.FLAG:
            raise _unknown(spec, flag.group(1))
        return option.name, True
    for separator in ("=", ":"):
        name, sep, value = token.partition(separator)
        if not sep:
            continue
        option = spec.option(name.strip().lower())
        if option is not None:
            return option.name, value
        if separator == "=":
            raise _unknown(spec, name)
    bare = spec.option(token.lower())
    if bare is not None and bare.kind is OptionKind.FLAG:
        return bare.name, True
    return None, token


def _free_text(spec: CommandSpec, name: str, text: str) -> dict[str, object]:
    """The whole text is one option, apart from flag tokens such as --share."""
    found: dict[str, object] = {}
    kept: list[str] = []
    for word in text.split(" "):
        flag = _FLAG.match(word)
        option = spec.option(flag.group(1).lower().replace("-", "_")) if flag else None
        if option is not None and option.kind is OptionKind.FLAG:
            found[option.name] = True
        else:
            kept.append(word)
    rest = " ".join(kept).strip()
    if rest:
        found[name] = rest
    return found


def usage(spec: CommandSpec) -> str:
    """How the command's options are typed, one word per option in the spec's order:
    `<arXiv id | URL | words>` for the free text, `[[top=]1-50]` for an option that may be
    given by position, `[source=hf|markdown|feed|all]` for a named one, `[--share]` for a
    flag. Empty for a command without options."""
    return " ".join(_usage_word(spec, option) for option in spec.options)


def _usage_word(spec: CommandSpec, option: OptionSpec) -> str:
    if option.kind is OptionKind.FLAG:
        return f"[--{option.name}]"
    value = option.value_hint
    if option.name == spec.free_text:
        word = value
    elif option.name in spec.positional:
        word = f"[{option.name}=]{value}"
    else:
        word = f"{option.name}={value}"
    return f"<{word}>" if option.required else f"[{word}]"


def _option_names(spec: CommandSpec) -> str:
    """Every option with its aliases: "top (also n, limit), share"; "none" without any."""
    names = [
        f"{option.name} (also {', '.join(option.aliases)})" if option.aliases else option.name
        for option in spec.options
    ]
    return ", ".join(names) or "none"


def _unknown(spec: CommandSpec, name: str) -> InvalidArgumentError:
    return InvalidArgumentError(
        "text", f"/{spec.name} has no option {echo(name)} (options: {_option_names(spec)})"
    )


def _unexpected(spec: CommandSpec, token: str) -> InvalidArgumentError:
    line = usage(spec)
    hint = f"; usage: /{spec.name} {line}" if line else ""
    return InvalidArgumentError("text", f"did not expect {echo(token)}{hint}")
