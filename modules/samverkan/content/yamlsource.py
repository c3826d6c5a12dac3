"""Read YAML while remembering where every value came from.

PyYAML's composer gives nodes with line marks; this module turns them into
plain Python values plus a map from field path to line, so that validation
errors can name the line a trainer has to fix. It also catches what plain
``yaml.safe_load`` hides: a key written twice in one mapping silently wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from samverkan.errors import YamlSyntaxError

Path_ = tuple  # a field path such as ("exercises", 0, "choices")


def format_path(path: Path_) -> str:
    """``("exercises", 0, "choices")`` → ``exercises[0].choices``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@dataclass
class SourceDoc:
    """A parsed YAML document: its data and the line of every path in it."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    duplicate_keys: list[tuple[Path_, int]] = field(default_factory=list)

    def line(self, path: Path_) -> int | None:
        """The line of ``path``, or of its closest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


_PROBLEM_SV = {
    "could not find expected ':'": "ett kolon (:) saknas efter en nyckel",
    "mapping values are not allowed here": "ett kolon står där det inte får stå; sätt texten inom "
    "citattecken om den innehåller ': '",
    "found character '\\t' that cannot start any token": "tabb-tecken är inte tillåtna i YAML; "
    "använd mellanslag för indrag",
    "found unexpected end of stream": "filen tar slut mitt i ett värde; saknas ett avslutande citattecken?",
    "found undefined alias": "en alias-referens (*namn) pekar på ett ankare som inte finns",
    "expected <block end>, but found '-'": "ett listelement (-) har fel indrag",
    "expected <block end>, but found '<block mapping start>'": "en nyckel har fel indrag; nycklar på "
    "samma nivå ska börja i samma kolumn",
    "expected <block end>, but found '<scalar>'": "en rad har fel indrag eller saknar kolon",
    "expected <block end>": "en rad har fel indrag; kontrollera att raderna på samma nivå börjar i samma kolumn",
    "sequence entries are not allowed here": "ett listelement (-) står där det inte får stå; "
    "kontrollera indraget eller om ett kolon saknas på raden ovanför",
    "expected a single document": "filen innehåller flera YAML-dokument (---); ett dokument per fil",
    "expected ',' or ']'": "en lista inom [ ] är felskriven; sätt texter som innehåller ? , : eller ] inom citattecken",
    "expected ',' or '}'": "en samling inom { } är felskriven; sätt texter som innehåller ? , : eller } "
    "inom citattecken",
    "expected the node content": "ett värde saknas eller står på fel plats; kontrollera raden och indraget",
    "did not find expected key": "en nyckel förväntades här; kontrollera indraget",
    "did not find expected '-' indicator": "ett listelement (-) förväntades här; kontrollera indraget",
}


def _swedish_problem(exc: yaml.MarkedYAMLError) -> str:
    problem = (exc.problem or "").strip()
    if "while scanning a quoted scalar" in (exc.context or ""):
        return "ett citattecken öppnas på den här raden men stängs aldrig"
    for english, swedish in _PROBLEM_SV.items():
        if problem.startswith(english):
            return swedish
    if "found character" in problem and "cannot start any token" in problem:
        return "ett tecken kan inte inleda ett värde här; sätt texten inom citattecken"
    return f"YAML-syntaxfel ({problem or exc.context or 'okänt fel'})"


# libyaml parses about ten times faster (a participant kernel loads every exercise file
# while it preheats); its error messages differ, so a broken file is parsed again in Python.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> SourceDoc:
    """Parse one YAML document, raising :class:`YamlSyntaxError` in Swedish."""
    try:
        node = yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        node = None  # parse again below with the pure-Python loader, whose messages we translate
    else:
        return _document(node)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark is not None and (
            "simple key" in (exc.context or "") or "quoted scalar" in (exc.context or "")
        ):
            mark = exc.context_mark  # the key or quote that started the trouble, not where the scanner gave up
        raise YamlSyntaxError(mark.line + 1 if mark else None, _swedish_problem(exc)) from None
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML marks nearly everything
        raise YamlSyntaxError(None, f"YAML-syntaxfel: {exc}") from None
    return _document(node)


def _document(node: yaml.Node | None) -> SourceDoc:
    doc = SourceDoc(data=None)
    if node is None:
        return doc
    doc.data = _convert(node, (), doc)
    return doc


def _convert(node: yaml.Node, path: Path_, doc: SourceDoc) -> Any:
    doc.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlSyntaxError(key_node.start_mark.line + 1, "sammanslagning med << stöds inte i kitets filer")
            key = _scalar(key_node)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                key = str(key)
            child = path + (key,)
            if key in out:
                doc.duplicate_keys.append((child, key_node.start_mark.line + 1))
            out[key] = _convert(value_node, child, doc)
            doc.lines[child] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (i,), doc) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return None
    constructor = yaml.SafeLoader.__new__(yaml.SafeLoader)
    yaml.constructor.SafeConstructor.__init__(constructor)
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        raise YamlSyntaxError(node.start_mark.line + 1, f"ogiltigt värde: {exc.problem}") from None
    except (ValueError, TypeError, OverflowError):  # for example 2027-02-30: looks like a date, is none
        raise YamlSyntaxError(
            node.start_mark.line + 1,
            f"ogiltigt värde {node.value[:40]!r}: ett datum eller tal "
            "som inte finns; rätta det eller sätt det inom citattecken",
        ) from None
