# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""The shape of the code: no import cycles, small modules, a ROS-free core (pure python).

Reads every module of every package ``src/<pkg>/<pkg>/`` with :mod:`ast` (nothing is
imported, so no rclpy is needed) and follows every import statement in it: module level
and inside functions, absolute and relative. Importing ``a.b.c`` also runs the
``__init__`` of ``a`` and ``a.b``, so those count as edges too, except a package the
importing module itself lives in (that one is already initialising). Old module names of
``robot_learning/_moved.py`` and ``robot_learning_nodes/__init__.py`` resolve to their
new modules. Names given to ``importlib.import_module`` as strings (the lazy references of
``robot_learning/registry.py``) are not imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / 'src'
CORE = 'robot_learning'
#: Lines allowed per module: the core, and the node packages (one node per file).
CORE_MAX_LINES = 600
NODE_MAX_LINES = 300
NODE_PACKAGES = ('robot_learning_nodes', 'robot_learning_sim')
#: Top-level modules the ROS-free core must never import.
ROS_FACING = {
    'rclpy',
    'launch',
    'launch_ros',
    'robot_learning_nodes',
    'robot_learning_sim',
    'robot_learning_bringup',
}


def _packages() -> dict[str, Path]:
    """Return ``{package: directory}`` of every ``src/<pkg>/<pkg>/__init__.py``."""
    return {
        d.parent.name: d.parent
        for d in sorted(SRC.glob('*/*/__init__.py'))
        if d.parent.name == d.parent.parent.name
    }


def _module_files() -> dict[str, Path]:
    """Return ``{dotted module name: file}`` of every module of our packages."""
    out = {}
    for pkg, root in _packages().items():
        for f in sorted(root.rglob('*.py')):
            if '__pycache__' in f.parts:
                continue
            parts = [pkg, *f.relative_to(root).with_suffix('').parts]
            if parts[-1] == '__init__':
                parts.pop()
            out['.'.join(parts)] = f
    return out


def _moved_names(files: dict[str, Path]) -> dict[str, str]:
    """Old -> new module names of the deprecation tables (read as literals, not imported)."""
    moved = {}
    for module, table in ((f'{CORE}._moved', 'MOVED'), ('robot_learning_nodes', '_MOVED')):
        if module not in files:
            continue
        for node in ast.walk(ast.parse(files[module].read_text())):
            targets = (
                [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, 'targets', [])
            )
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and any(
                isinstance(t, ast.Name) and t.id == table for t in targets
            ):
                try:
                    moved.update(ast.literal_eval(node.value))
                except ValueError:
                    pass
    return moved


def _imports(module: str, path: Path) -> list[tuple[str, int]]:
    """Return every (dotted name, line) that ``module`` imports, relative ones resolved.

    For ``from X import n`` both ``X.n`` and ``X`` are returned; the caller keeps the
    first that is one of our modules.
    """
    package = module if path.name == '__init__.py' else module.rpartition('.')[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')
                base = base[: len(base) - (node.level - 1)]
                name = '.'.join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ''
            out += [(f'{name}.{a.name}|{name}', node.lineno) for a in node.names]
    return out


def _resolve(name: str, files: dict[str, Path], moved: dict[str, str]) -> str | None:
    for candidate in name.split('|'):
        candidate = moved.get(candidate, candidate)
        if candidate in files:
            return candidate
    return None


def import_graph() -> dict[str, dict[str, tuple[Path, int]]]:
    """Return ``{module: {imported module: (file, line)}}`` over our modules."""
    files = _module_files()
    moved = _moved_names(files)
    graph: dict[str, dict[str, tuple[Path, int]]] = {m: {} for m in files}
    for module, path in files.items():
        own = {'.'.join(module.split('.')[:i]) for i in range(1, module.count('.') + 1)}
        if path.name == '__init__.py':
            own.add(module)
        for name, line in _imports(module, path):
            target = _resolve(name, files, moved)
            if target is None:
                continue
            parts = target.split('.')
            for i in range(1, len(parts) + 1):
                dep = '.'.join(parts[:i])
                if dep != module and dep not in own and dep in files:
                    graph[module].setdefault(dep, (path, line))
    return graph


def find_cycles(graph: dict[str, dict[str, object]]) -> list[list[str]]:
    """Return one cycle ``[a, b, ..., a]`` per strongly connected component (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = [0]

    def strongconnect(v: str) -> None:
        # Recursion depth is bounded by the module count (a few hundred at most).
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                strongconnect(w)
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
            if len(comp) > 1:
                components.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    cycles = []
    for comp in components:
        members = set(comp)
        start = comp[0]
        # Breadth-first from start inside the component back to start: a shortest cycle.
        parent: dict[str, str] = {}
        frontier = [start]
        found = None
        while frontier and found is None:
            nxt = []
            for v in frontier:
                for w in sorted(graph[v]):
                    if w == start:
                        found = v
                        break
                    if w in members and w not in parent:
                        parent[w] = v
                        nxt.append(w)
                if found is not None:
                    break
            frontier = nxt
        path = [found]
        while path[-1] != start:
            path.append(parent[path[-1]])
        cycles.append([start, *reversed(path[:-1]), start] if len(path) > 1 else [start, start])
    return cycles


def _describe(cycle: list[str], graph) -> str:
    hops = []
    for a, b in zip(cycle, cycle[1:]):
        path, line = graph[a][b]
        hops.append(f'{a} -> {b} ({path.relative_to(SRC)}:{line})')
    return '; '.join(hops)


def test_the_walker_sees_every_kind_of_import():
    """Sanity check on a known module: relative, absolute and function-level imports."""
    graph = import_graph()
    assert f'{CORE}.errors' in graph[f'{CORE}.train']  # absolute, module level
    assert f'{CORE}.data.bagdataset' in graph[f'{CORE}.train']  # inside a function
    assert f'{CORE}.algos.bc.modeling_bc' in graph[f'{CORE}.algos.bc']  # relative
    assert f'{CORE}.algos.bc' not in graph[f'{CORE}.algos.bc.modeling_bc']  # own package


def test_find_cycles_names_the_cycle():
    graph = {'a': {'b': 0}, 'b': {'c': 0}, 'c': {'a': 0}, 'd': {'a': 0}}
    assert find_cycles(graph) == [['a', 'b', 'c', 'a']]
    assert find_cycles({'a': {'b': 0}, 'b': {}}) == []


def test_no_import_cycles():
    graph = import_graph()
    cycles = find_cycles(graph)
    assert not cycles, f'{len(cycles)} import cycle(s):\n' + '\n'.join(
        _describe(c, graph) for c in cycles
    )


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines())


@pytest.mark.parametrize(
    'packages, limit',
    [((CORE,), CORE_MAX_LINES), (NODE_PACKAGES, NODE_MAX_LINES)],
    ids=['core', 'nodes'],
)
def test_modules_are_small(packages, limit):
    roots = _packages()
    over = [
        f'{f.relative_to(SRC)}: {n} lines'
        for pkg in packages
        if pkg in roots
        for f in sorted(roots[pkg].rglob('*.py'))
        if '__pycache__' not in f.parts and (n := _lines(f)) > limit
    ]
    assert not over, f'over {limit} lines:\n' + '\n'.join(over)


def test_the_core_never_imports_ros():
    files = _module_files()
    bad = []
    for module, path in files.items():
        if module.split('.')[0] != CORE:
            continue
        for name, line in _imports(module, path):
            top = name.split('|')[-1].split('.')[0]
            if top in ROS_FACING or top.startswith('rosidl') or top.endswith('_msgs'):
                bad.append(f'{path.relative_to(SRC)}:{line} imports {name.split("|")[-1]}')
    assert not bad, 'the ROS-free core imports ROS-facing code:\n' + '\n'.join(
        dict.fromkeys(bad)
    )


#: The core's layers, lowest first: a module may import its own layer and the ones below.
#: ``errors`` is the floor, ``types`` sits with ``common`` (its records live there); the top
#: level (policy, train, cli, ...) is last.
LAYERS = (
    ('errors', '_moved', ''),
    ('common', 'types'),
    ('data',),
    ('algos',),
)


def _layer(module: str) -> int:
    parts = module.split('.')
    if parts[0] != CORE:
        return len(LAYERS)
    sub = parts[1] if len(parts) > 1 else ''
    for i, names in enumerate(LAYERS):
        if sub in names:
            return i
    return len(LAYERS)


def test_core_imports_point_down():
    """``common`` never imports ``data`` or ``algos``; ``data`` never imports ``algos``."""
    graph = import_graph()
    up = [
        f'{a} -> {b} ({path.relative_to(SRC)}:{line})'
        for a, edges in graph.items()
        if a.split('.')[0] == CORE
        for b, (path, line) in edges.items()
        if b.split('.')[0] == CORE and _layer(b) > _layer(a)
    ]
    assert not up, 'core imports that point up a layer:\n' + '\n'.join(up)
