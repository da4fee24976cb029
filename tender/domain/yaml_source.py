"""Read YAML while remembering where every value came from.

Workflow definitions and evaluation models are written by people. When one is
wrong, the error must name the file, the line and the field, so the loader keeps
the line number (1-based) of every mapping key and every list item.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class DefinitionError(ValueError):
    """A data file (workflow or evaluation model) that cannot be used.

    ``str()`` gives "FILE, line N, field F: message", which is what a person
    needs to fix the file.
    """

    def __init__(self, source: str, line: int | None, field: str, message: str):
        self.source = source
        self.line = line
        self.field = field
        self.message = message
        where = f"{source}, line {line}" if line else source
        super().__init__(f"{where}, field {field}: {message}" if field else f"{where}: {message}")


class LineDict(dict):
    """A mapping that remembers the line of each key (``lines``) and its own start line."""

    line: int = 0
    lines: dict


class LineList(list):
    """A list that remembers the line of each item (``lines``) and its own start line."""

    line: int = 0
    lines: list


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings and sequences carry line numbers."""


#: No number in a definition needs more digits than this; a longer one is a typing
#: mistake (and past 4,300 digits Python refuses to even convert it).
MAX_NUMBER_DIGITS = 100


class _NumberTooLong(Exception):
    """A YAML integer with more than MAX_NUMBER_DIGITS digits, at ``line``; the enclosing key names the field."""

    message = (f"is a number with more than {MAX_NUMBER_DIGITS} digits: no field of a definition needs one; "
               "check what was typed")

    def __init__(self, line: int):
        self.line = line
        super().__init__(line)


def _construct_int(loader: _LineLoader, node: yaml.ScalarNode) -> int:
    digits = sum(character.isalnum() for character in str(node.value))
    if digits > MAX_NUMBER_DIGITS:
        raise _NumberTooLong(node.start_mark.line + 1)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise DefinitionError(
                loader.name, key_node.start_mark.line + 1, str(key), "this key appears twice"
            )
        try:
            result[key] = loader.construct_object(value_node, deep=True)
        except _NumberTooLong as exc:
            raise DefinitionError(loader.name, exc.line, str(key), _NumberTooLong.message) from None
        result.lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_LineLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def load_yaml(text: str, source: str) -> Any:
    """Parse ``text`` (named ``source`` in errors) into LineDict/LineList values.

    A YAML syntax error becomes a DefinitionError naming the line.
    """
    if len(text) > MAX_CHARACTERS:
        raise DefinitionError(source, None, "", f"is too large to be a definition: keep it under "
                                                f"{MAX_CHARACTERS // 1_000_000} MB")
    loader = None
    try:
        _check_depth(text, source)
        loader = _LineLoader(text)
        loader.name = source
        return loader.get_single_data()
    except yaml.reader.ReaderError as exc:
        raise DefinitionError(source, _line_at(text, exc.position), "", _reader_problem(exc)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise DefinitionError(source, line, "", f"not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise DefinitionError(source, None, "", f"not valid YAML: {exc}") from None
    except _NumberTooLong as exc:
        raise DefinitionError(source, exc.line, "", _NumberTooLong.message) from None
    except RecursionError:
        raise DefinitionError(source, None, "", f"nests lists or mappings too deeply: keep it to {MAX_DEPTH} "
                                                "levels") from None
    finally:
        if loader is not None:
            loader.dispose()


MAX_DEPTH = 40
MAX_CHARACTERS = 5_000_000


def _line_at(text: str, position: int) -> int:
    return text.count("\n", 0, max(position, 0)) + 1


def _reader_problem(exc: yaml.reader.ReaderError) -> str:
    character = exc.character
    code = ord(character) if isinstance(character, str) else character
    return (f"contains a character YAML does not allow (code {code:#04x}, a control character): "
            "delete it, then save the file as plain UTF-8 text")


def _check_depth(text: str, source: str) -> None:
    """Refuse deep nesting from the event stream, before anything recursive (the composer) runs on it."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise DefinitionError(source, event.start_mark.line + 1, "",
                                      f"nests lists or mappings too deeply: keep it to {MAX_DEPTH} levels")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def load_yaml_file(path: str | Path) -> Any:
    """Read and parse a YAML file, naming it in any error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(str(path), None, "", f"cannot be read: {exc}") from None
    return load_yaml(text, str(path))


def line_of(container: Any, key: Any, default: int | None = None) -> int | None:
    """Line of ``container[key]`` if known, else the container's own line, else ``default``."""
    lines = getattr(container, "lines", None)
    if isinstance(lines, dict) and key in lines:
        return lines[key]
    if isinstance(lines, list) and isinstance(key, int) and 0 <= key < len(lines):
        return lines[key]
    return getattr(container, "line", None) or default
