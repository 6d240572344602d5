"""Every public function, class and method of every ncasr module has a docstring with one
``Example::`` section and type hints on its parameters and return value."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from types import FunctionType, ModuleType
from typing import Iterator, List, Tuple

import pytest

import ncasr


def _module_names() -> List[str]:
    names = []
    for info in pkgutil.walk_packages(ncasr.__path__, "ncasr.", onerror=lambda name: None):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue  # ncasr._core, ncasr.__main__ and private modules
        names.append(info.name)
    return sorted(names)


def _params() -> List[object]:
    return [pytest.param(name, id=name) for name in _module_names()]


def _is_generated_init(cls: type, fn: FunctionType, module: ModuleType) -> bool:
    """True for the __init__ a dataclass writes (exec'd, so not from the module's file)."""
    return dataclasses.is_dataclass(cls) and fn.__code__.co_filename != module.__file__


def _members(module: ModuleType) -> Iterator[Tuple[str, object, str]]:
    """(qualified name, function or class, kind) for everything public defined in ``module``."""
    for name, obj in sorted(vars(module).items()):
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj):
            yield name, obj, "function"
        elif inspect.isclass(obj):
            yield name, obj, "class"
            init = vars(obj).get("__init__")
            if inspect.isfunction(init) and not _is_generated_init(obj, init, module):
                yield f"{name}.__init__", init, "init"
            for attr_name, attr in vars(obj).items():
                if attr_name.startswith("_"):
                    continue  # dunders (incl. generated ones), private helpers, _make/_replace
                qual = f"{name}.{attr_name}"
                if isinstance(attr, (staticmethod, classmethod)):
                    attr = attr.__func__
                if isinstance(attr, property):
                    if attr.fget is not None:
                        yield qual, attr.fget, "property"
                elif inspect.isfunction(attr):
                    yield qual, attr, "method"
                # anything else (enum members, field defaults, constants) is data


def _check_example(qual: str, doc: str, problems: List[str]) -> None:
    lines = doc.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == "Example::"]
    if len(starts) != 1:
        problems.append(f"{qual}: docstring needs exactly one 'Example::' section (found {len(starts)})")
        return
    i = starts[0]
    indent = len(lines[i]) - len(lines[i].lstrip())
    body = [line for line in lines[i + 1 :] if line.strip()]
    if not body or len(body[0]) - len(body[0].lstrip()) <= indent:
        problems.append(f"{qual}: 'Example::' is not followed by an indented code block")


def _check_hints(qual: str, fn: FunctionType, kind: str, problems: List[str]) -> None:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError) as e:  # pragma: no cover - plain Python functions have one
        problems.append(f"{qual}: no signature ({e})")
        return
    for p in sig.parameters.values():
        if p.name in ("self", "cls") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.annotation is inspect.Parameter.empty:
            problems.append(f"{qual}: parameter {p.name!r} has no type hint")
    if kind != "init" and sig.return_annotation is inspect.Signature.empty:
        problems.append(f"{qual}: no return type hint")


def _problems(module: ModuleType) -> List[str]:
    problems: List[str] = []
    for qual, obj, kind in _members(module):
        qual = f"{module.__name__}.{qual}"
        doc = obj.__doc__  # not inspect.getdoc: a class must not borrow its base's docstring
        if kind != "init":
            if not (doc and doc.strip()):
                problems.append(f"{qual}: no docstring")
            elif kind in ("function", "class", "method"):
                _check_example(qual, inspect.cleandoc(doc), problems)
        if kind == "class":
            continue  # its __init__, when written in the class body, is checked as "init"
        _check_hints(qual, obj, kind, problems)  # type: ignore[arg-type]
    return problems


def test_module_list_is_not_empty() -> None:
    names = _module_names()
    assert "ncasr.recognizer" in names and "ncasr.bench.runner" in names, names


@pytest.mark.parametrize("module_name", _params())
def test_public_api_documented_and_typed(module_name: str) -> None:
    module = importlib.import_module(module_name)
    problems = _problems(module)
    assert not problems, f"{module_name}: {len(problems)} problem(s):\n" + "\n".join(problems)
