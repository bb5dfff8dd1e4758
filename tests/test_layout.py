"""The package's layout rules (STYLE.md "Layout"): the core never imports the
programs, and the test-only code stays out of the package."""

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORE = os.path.join(ROOT, "kfreqgan")
PROGRAMS = ("kfreqgan.training", "kfreqgan.export")


def _python_files(folder):
    for directory, _, names in os.walk(folder):
        for name in sorted(names):
            if name.endswith(".py"):
                yield os.path.join(directory, name)


def _imported_modules(path):
    """Every module an `import` or `from ... import` in the file names (any depth, function bodies included)."""
    tree = ast.parse(open(path, encoding="utf-8").read(), filename=path)
    package = os.path.relpath(os.path.dirname(path), ROOT).replace(os.sep, ".")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:  # from kfreqgan import export
                yield node.lineno, f"{module}.{alias.name}"
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__" and node.args:
            if isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def _is_program(module):
    return any(module == program or module.startswith(program + ".") for program in PROGRAMS)


def test_the_core_never_imports_the_programs():
    files = list(_python_files(CORE))
    assert len(files) > 30  # the walk found the package
    offences = [
        f"{os.path.relpath(path, ROOT)}:{line} imports {module}"
        for path in files
        for line, module in _imported_modules(path)
        if _is_program(module)
    ]
    assert not offences, "kfreqgan/ must not import kfreqgan.training or kfreqgan.export:\n" + "\n".join(offences)


@pytest.mark.parametrize(
    "source, found",
    [
        ("import kfreqgan.export.tflite", True),
        ("from kfreqgan.training import train", True),
        ("from kfreqgan import export", True),
        ("def f():\n    from kfreqgan.export.serving import x", True),
        ("__import__('kfreqgan.training.configs')", True),
        ("from kfreqgan import exporting", False),
        ("from kfreqgan.models import loading", False),
    ],
)
def test_the_import_check_sees_every_spelling(tmp_path, source, found):
    path = tmp_path / "module.py"
    path.write_text(source)
    assert any(_is_program(module) for _, module in _imported_modules(str(path))) == found


def test_test_only_code_is_not_in_the_package():
    for path in _python_files(ROOT + os.sep + "export"):
        assert os.path.basename(path) != "serving_contract.py"
    for path in _python_files(CORE):
        text = open(path, encoding="utf-8").read()
        assert "KFREQGAN_TEST_CRASH" not in text, f"{path} holds a test hook"
