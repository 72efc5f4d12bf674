"""The reference pages, generated from the code at every build, so they cannot drift from it.

A page holds a line ``<!-- reference: NAME -->``; as Sphinx reads the page, the line is
replaced by the Markdown this module makes for NAME:

- ``commands``: every command and flag, from ``grader.cli.build_parser()``;
- ``toml:FILE``: every key of a course file (``course.toml``, ``assignment.toml``, ...), from the
  declarations the readers use (``grader/course/keys.py``, ``grader/assignment/keys.py``), a
  heading per table (``toml:FILE:2`` for second-level headings; third-level by default);
- ``limits``: every limit and default of ``grader/limits/``, with the reason its comment gives.

An unknown NAME fails the build.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import io
import re
import textwrap
import tokenize
from collections.abc import Callable, Iterator

MARKER = re.compile(r"^<!-- reference: (\S+) -->$", re.MULTILINE)


# --- commands ---------------------------------------------------------------------------------


def _subcommands(
    parser: argparse.ArgumentParser,
) -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    """(name, help, parser) of each command below ``parser``, in the order the parser lists
    them."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield name, helps.get(name, ""), sub


def command_tree(
    parser: argparse.ArgumentParser, prefix: str = ""
) -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    """Every command, nested ones included (``grader marks set``), depth first."""
    for name, help_text, sub in _subcommands(parser):
        full = f"{prefix} {name}".strip()
        yield full, help_text, sub
        yield from command_tree(sub, full)


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _plain(text: str) -> str:
    """Text from the code's comments and help, shown as written: no Markdown emphasis from an
    ``__init__.py`` or a ``*``."""
    parts = re.split(r"(`[^`]*`)", text)  # code spans are shown as written already
    return _escape(
        "".join(p if p.startswith("`") else re.sub(r"([\\*_\[\]<>])", r"\\\1", p) for p in parts)
    )


def _argument(action: argparse.Action) -> str:
    if action.option_strings:
        flags = ", ".join(action.option_strings)
        takes = action.nargs != 0
        if takes:
            flags += f" {action.metavar or action.dest.upper()}"
        return flags
    return action.metavar or action.dest


def _default(action: argparse.Action) -> str:
    """The default, unless the help says it in words (a default computed on this machine, such
    as the number of cores, is no fact of the reference)."""
    if action.option_strings and action.nargs == 0 or "default" in (action.help or ""):
        return ""
    if action.default in (None, argparse.SUPPRESS, [], False, "") or action.required:
        return ""
    return f"(default: `{action.default}`)"


def _help(action: argparse.Action) -> str:
    text = action.help or ""
    if text == argparse.SUPPRESS:
        return ""
    text = text.replace("%(default)s", str(action.default)).replace("%%", "%")
    if action.choices and not isinstance(action, argparse._SubParsersAction):
        text = f"{text} (one of: {', '.join(map(str, action.choices))})".strip()
    if action.required and action.option_strings:
        text = f"required; {text}"
    return text


def _usage(parser: argparse.ArgumentParser) -> str:
    """The usage line, wrapped at a width of its own (argparse's follows the terminal)."""
    usage = re.sub(r"\s+", " ", parser.format_usage().strip().removeprefix("usage: "))
    kept = re.sub(r"\[[^\[\]]*\]", lambda group: group[0].replace(" ", "\0"), usage)
    indent = " " * (len(parser.prog) + 1)
    lines = textwrap.wrap(kept, 88, subsequent_indent=indent, break_on_hyphens=False)
    return "\n".join(lines).replace("\0", " ")  # an option stays whole on its line


def commands_markdown(parser: argparse.ArgumentParser) -> str:
    """A section per command: what it does, its usage line, a table of its arguments."""
    lines: list[str] = []
    for full, help_text, sub in command_tree(parser):
        depth = "#" * min(2 + full.count(" "), 4)
        lines += [f"{depth} `{parser.prog} {full}`", "", f"{help_text}", ""]
        lines += ["```text", _usage(sub), "```", ""]
        arguments = [
            a
            for a in sub._actions
            if not isinstance(a, argparse._HelpAction | argparse._SubParsersAction)
        ]
        if arguments:
            lines += ["| argument | meaning |", "|---|---|"]
            for action in arguments:
                meaning = f"{_plain(_help(action))} {_default(action)}".strip()
                lines.append(f"| `{_escape(_argument(action))}` | {meaning} |")
            lines.append("")
        nested = [name for name, _, _ in _subcommands(sub)]
        if nested:
            lines += [f"Its commands: {', '.join(f'`{n}`' for n in nested)}.", ""]
    return "\n".join(lines)


# --- the course's TOML files ------------------------------------------------------------------


def toml_markdown(declared, level: int = 3) -> str:
    """A section per table of a :class:`grader.inputs.toml_keys.TomlFile`: its keys, whether each is
    required, its default and its meaning."""
    lines = [declared.meaning, ""]
    for table in declared.tables:
        optional = "" if table.required else " (optional)"
        lines += [f"{'#' * level} `{table.heading}`{optional}", "", _plain(table.meaning), ""]
        if table.free_form:
            continue
        lines += ["| key | required | default | meaning |", "|---|---|---|---|"]
        for key in table.keys:
            required = "yes" if key.required else "no"
            default = (
                f"`{key.default}`" if key.default and not key.default[0].isalpha() else key.default
            )
            lines.append(
                f"| `{key.name}` | {required} | {_escape(default)} | {_plain(key.meaning)} |"
            )
        lines.append("")
    return "\n".join(lines)


def _toml_files() -> dict[str, object]:
    from grader.assignment.keys import ASSIGNMENT_TOML
    from grader.course.keys import COURSE_TOML, PROJECTS_TOML, RUBRIC_TOML

    return {f.name: f for f in (COURSE_TOML, ASSIGNMENT_TOML, PROJECTS_TOML, RUBRIC_TOML)}


# --- limits -----------------------------------------------------------------------------------


def field_comments(cls: type) -> dict[str, str]:
    """Each field's reason, as ``grader/limits/`` writes it: the comment on the field's line,
    or the comment lines just above it."""
    source = inspect.getsource(cls)
    comments: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
    reasons: dict[str, str] = {}
    for node in ast.parse(source).body[0].body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            above, line = [], node.lineno - 1
            while line in comments and not _code_on(source, line):
                above.insert(0, comments[line])
                line -= 1
            trailing = (
                comments.get(node.end_lineno, "") if _code_on(source, node.end_lineno) else ""
            )
            reasons[node.target.id] = " ".join([*above, trailing]).strip()
    return reasons


def _code_on(source: str, line: int) -> bool:
    text = source.splitlines()[line - 1].split("#")[0]
    return bool(text.strip())


def _shown(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        return repr(value)
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if value >= size and value % size == 0:
            return f"{value:,} ({value // size} {unit})"
    return f"{value:,}"


def limits_markdown() -> str:
    """A section per group of ``grader/limits/``: its docstring, then each field with its
    value and reason."""
    from grader import limits

    lines: list[str] = []
    for name, group in limits.GROUPS.items():
        cls = type(group)
        doc = inspect.cleandoc(cls.__doc__ or "")
        lines += [f"## `{name}`: {cls.__name__}", "", re.sub(r":\w+:`([^`]+)`", r"`\1`", doc), ""]
        lines += ["| limit | value | why |", "|---|---|---|"]
        reasons = field_comments(cls)
        for field, value in vars(group).items():
            reason = _plain(reasons.get(field, ""))
            lines.append(f"| `{name}.{field}` | `{_escape(_shown(value))}` | {reason} |")
        lines.append("")
    return "\n".join(lines)


# --- the Sphinx side --------------------------------------------------------------------------


def generated(name: str) -> str:
    """The Markdown for a marker's NAME."""
    makers: dict[str, Callable[[], str]] = {
        "commands": lambda: commands_markdown(_parser()),
        "limits": limits_markdown,
    }
    if name.startswith("toml:"):
        files = _toml_files()
        file_name, _, level = name[5:].partition(":")
        if file_name not in files:
            raise ValueError(f"no declared file {file_name!r}; known: {', '.join(files)}")
        return toml_markdown(files[file_name], int(level or 3))
    if name not in makers:
        raise ValueError(f"unknown reference {name!r}; known: {', '.join(makers)}, toml:FILE")
    return makers[name]()


def _parser() -> argparse.ArgumentParser:
    from grader.cli import build_parser

    return build_parser()


def _fill(app, docname: str, source: list[str]) -> None:
    source[0] = MARKER.sub(lambda match: generated(match.group(1)), source[0])


def setup(app) -> dict[str, object]:
    app.connect("source-read", _fill)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
