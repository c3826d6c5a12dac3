"""The package's shape, for the architecture notes: import cycles, module sizes and habits.

    .venv/bin/python bench/structure.py [--json FILE]

Reads every module under modules/samverkan with ``ast`` (imports inside functions included, since
they hide a cycle at import time) and prints:
* the strongly connected components of the internal import graph (a component of more than one
  module is an import cycle) and the number of internal import edges, and how many of them sit
  inside functions;
* the largest modules (lines);
* lines over 120 characters, and public definitions (module level and class level, no leading
  underscore) without a docstring.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "modules" / "samverkan"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def resolve(current: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    if node.level:
        base = current.split(".") if is_package else current.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    names = [prefix]
    names += [f"{prefix}.{alias.name}" for alias in node.names]
    return names


def graph(modules: dict[str, Path]) -> tuple[dict[str, set[str]], int, int]:
    edges: dict[str, set[str]] = {name: set() for name in modules}
    total = nested = 0
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        top_level = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                targets = resolve(name, is_package, node)
            else:
                continue
            found = set()
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and target in modules:
                    found.add(target)
            # "from . import x" where x is a module counts as an edge to x, not to the package
            if isinstance(node, ast.ImportFrom) and any(
                t in modules and t != resolve(name, is_package, node)[0] for t in targets
            ):
                found.discard(resolve(name, is_package, node)[0])
            new = found - edges[name]
            edges[name] |= found
            total += len(new)
            if id(node) not in top_level and not _guarded(tree, node):
                nested += len(new)
    return edges, total, nested


def _guarded(tree: ast.Module, node: ast.AST) -> bool:
    """An import under ``if TYPE_CHECKING:`` at module level is not a run-time edge but is still top-level."""
    for top in tree.body:
        if isinstance(top, ast.If) and any(node is n for n in ast.walk(top)):
            return True
    return False


def components(edges: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            result.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in edges:
        if v not in index:
            visit(v)
    return result


def habits(modules: dict[str, Path]) -> tuple[int, int, int]:
    long_lines = public = undocumented = 0
    for path in modules.values():
        text = path.read_text(encoding="utf-8")
        long_lines += sum(1 for line in text.splitlines() if len(line) > 120)
        tree = ast.parse(text)
        scopes = [tree.body] + [n.body for n in tree.body if isinstance(n, ast.ClassDef) and not n.name.startswith("_")]
        for body in scopes:
            for node in body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith(
                    "_"
                ):
                    public += 1
                    if ast.get_docstring(node) is None:
                        undocumented += 1
    return long_lines, public, undocumented


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    modules = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
    edges, total, nested = graph(modules)
    cycles = [c for c in components(edges) if len(c) > 1]
    sizes = sorted(((len(p.read_text(encoding="utf-8").splitlines()), n) for n, p in modules.items()), reverse=True)
    long_lines, public, undocumented = habits(modules)
    report = {
        "modules": len(modules),
        "lines": sum(s for s, _ in sizes),
        "internal_edges": total,
        "edges_inside_functions": nested,
        "cycles": cycles,
        "largest": [{"module": n, "lines": s} for s, n in sizes[:8]],
        "lines_over_120": long_lines,
        "public_definitions": public,
        "public_without_docstring": undocumented,
    }
    print(f"moduler: {report['modules']}, rader: {report['lines']}")
    print(f"interna importer: {total} (varav {nested} inne i funktioner)")
    print(f"importcykler: {len(cycles)}" + "".join(f"\n  {len(c)} moduler: {', '.join(c)}" for c in cycles))
    print("största moduler: " + ", ".join(f"{n} {s}" for s, n in sizes[:8]))
    print(f"rader över 120 tecken: {long_lines}")
    print(f"publika definitioner: {public}, utan docstring: {undocumented}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
