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


# ---------------------------------------------------------------------------
# No module reaches into another module's private helpers.
# ---------------------------------------------------------------------------

WINGS = {"training": "kfreqgan.training", "export": "kfreqgan.export", "bench": "bench"}
NAMEDTUPLE_API = {"_asdict", "_replace", "_fields", "_make", "_field_defaults"}


def _module_name(path, root=ROOT):
    """Dotted name a file imports as (training/ and export/ install under kfreqgan)."""
    parts = os.path.relpath(path, root)[: -len(".py")].split(os.sep)
    parts = WINGS.get(parts[0], parts[0]).split(".") + parts[1:]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_private(name):
    return name.startswith("_") and not name.startswith("__") and name not in NAMEDTUPLE_API


def _is_private_module(dotted, root=ROOT):
    """`kfreqgan._validation` and the like: the package's internal modules, shared by design."""
    if not dotted.startswith("kfreqgan."):
        return False
    relative = dotted.split(".")[1:]
    folder = relative.pop(0) if relative[0] in ("training", "export") else "kfreqgan"
    path = os.path.join(root, folder, *relative)
    return _is_private(relative[-1]) and (os.path.isfile(path + ".py") or os.path.isdir(path))


def _private_uses(path, root=ROOT):
    """(line, 'owner._name') for each private name of another kfreqgan module the
    file imports, reads through a module or class it imported, or names in
    getattr/setattr/hasattr/delattr."""
    tree = ast.parse(open(path, encoding="utf-8").read(), filename=path)
    me = _module_name(path, root)
    package = me if path.endswith("__init__.py") else me.rpartition(".")[0]
    bound = {}  # local name -> dotted kfreqgan path it was imported as

    def foreign(dotted):
        return dotted.startswith("kfreqgan") and not (dotted == me or dotted.startswith(me + "."))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("kfreqgan"):
                    if alias.asname:  # import kfreqgan.spectral as spectral
                        bound[alias.asname] = alias.name
                    else:  # import kfreqgan.spectral binds kfreqgan
                        bound[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parts = package.split(".")
                module = ".".join(parts[: len(parts) - node.level + 1] + ([module] if module else []))
            if not module.startswith("kfreqgan"):
                continue
            for alias in node.names:
                dotted = f"{module}.{alias.name}"
                if _is_private(alias.name) and foreign(module) and not _is_private_module(dotted, root):
                    yield node.lineno, dotted
                bound[alias.asname or alias.name] = dotted
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            chain, base = [], node.value
            while isinstance(base, ast.Attribute):
                chain.insert(0, base.attr)
                base = base.value
            if isinstance(base, ast.Name) and base.id in bound:
                owner = ".".join([bound[base.id]] + chain)
                dotted = f"{owner}.{node.attr}"
                if foreign(owner) and not _is_private_module(dotted, root):
                    yield node.lineno, dotted
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id in bound
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _is_private(node.args[1].value)
            and foreign(bound[node.args[0].id])
        ):
            yield node.lineno, f"{bound[node.args[0].id]}.{node.args[1].value}"


def test_no_module_uses_another_modules_private_names():
    files = [path for folder in ("kfreqgan", "training", "export", "bench") for path in _python_files(os.path.join(ROOT, folder))]
    assert len(files) > 60  # the walk found the four folders
    offences = [
        f"{os.path.relpath(path, ROOT)}:{line} uses {name}" for path in files for line, name in _private_uses(path)
    ]
    assert not offences, (
        "What modules share is public (documented, no underscore); a private helper stays in its module:\n"
        + "\n".join(offences)
    )


# A test reaches into a private name only where the behaviour cannot be seen
# through the public surface, and only of the module it tests.
TESTS_PRIVATE_USES = {
    # the crash hook kills a backup in the middle of the private save step
    ("tests/backup_crash.py", "kfreqgan.callbacks.atomic_backup_and_restore.AtomicBackupAndRestore._save_model"),
    # the per-tile progress lines need a photo slower than a test may be
    ("tests/test_dehaze_files.py", "kfreqgan.dehaze_cli._Progress"),
    # which path ran (compiled or plain) shows only in the compile cache
    ("tests/test_spectral.py", "kfreqgan.spectral._compiled"),
    # the TFLite converter never writes per-channel quantized input/output
    # tensors, so no .tflite a test can make reaches that branch
    ("tests/test_loading.py", "kfreqgan.models.loading._check_pixel_quantization"),
}


def test_tests_use_private_names_only_where_listed():
    uses = {
        (os.path.relpath(path, ROOT), name)
        for path in _python_files(os.path.join(ROOT, "tests"))
        for _, name in _private_uses(path)
    }
    assert uses <= TESTS_PRIVATE_USES, f"Test the public surface instead: {sorted(uses - TESTS_PRIVATE_USES)}"


@pytest.mark.parametrize(
    "source, found",
    [
        ("from kfreqgan.metrics import _features", ["kfreqgan.metrics._features"]),
        ("from kfreqgan import spectral\nspectral._gray(x)", ["kfreqgan.spectral._gray"]),
        ("import kfreqgan.spectral as s\ns._dft_power(x)", ["kfreqgan.spectral._dft_power"]),
        ("import kfreqgan.spectral\nkfreqgan.spectral._gray(x)", ["kfreqgan.spectral._gray"]),
        ("def f():\n    from kfreqgan.metrics import _as_extractor", ["kfreqgan.metrics._as_extractor"]),
        ("from kfreqgan.metrics import FeatureExtractor\nFeatureExtractor._extract", ["kfreqgan.metrics.FeatureExtractor._extract"]),
        ("from kfreqgan import spectral\ngetattr(spectral, '_gray')", ["kfreqgan.spectral._gray"]),
        ("from ..spectral import _gray", ["kfreqgan.spectral._gray"]),
        ("from kfreqgan._validation import check_choice", []),  # the package's internal module
        ("from kfreqgan import _validation\n_validation.check_choice(1)", []),
        ("from kfreqgan.layers import _private_thing", ["kfreqgan.layers._private_thing"]),
        ("from kfreqgan.tiling import tile\nresult._asdict()\nx._private", []),  # not through an import
        ("from kfreqgan import spectral\nspectral.RadialBins._fields", []),  # namedtuple API
        ("from kfreqgan.analysis import comparison\ncomparison._own_helper(1)", []),  # its own module
        ("import numpy as np\nnp._NoValue", []),
    ],
)
def test_the_private_name_check_sees_every_spelling(tmp_path, source, found):
    (tmp_path / "kfreqgan" / "analysis").mkdir(parents=True)
    (tmp_path / "kfreqgan" / "_validation.py").write_text("")
    path = tmp_path / "kfreqgan" / "analysis" / "comparison.py"
    path.write_text(source)
    assert [name for _, name in _private_uses(str(path), root=str(tmp_path))] == found


# Calls that write a file at the path in their first argument.
FILE_WRITERS = {"savefig", "write_file", "save", "savez", "savez_compressed", "save_weights", "write_text", "write_bytes"}


def _direct_writes(path):
    """`(line, call)` of every write in the file that does not go through
    `kfreqgan.atomic_files`: an `open(..., "w"/"x")` or a file writer
    (`savefig`, `tf.io.write_file`, `np.save`, ...) whose target is not the
    `temporary` that `write_atomically` hands its callback."""
    tree = ast.parse(open(path, encoding="utf-8").read(), filename=path)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name == "open":
            mode = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
            if not (isinstance(mode, ast.Constant) and isinstance(mode.value, str) and set(mode.value) & set("wx")):
                continue
        elif name not in FILE_WRITERS:
            continue
        target = node.args[0] if node.args else None
        if not (isinstance(target, ast.Name) and target.id == "temporary"):
            yield node.lineno, ast.unparse(node)


def test_the_benchmarks_write_their_results_whole_or_not_at_all():
    """A bench program killed or failing mid-write (int8_study.py rewrites
    its results.json after every model, ablation_dehaze.py resumes from its
    calibration.json) left a half-written file where the last complete one
    stood: each writes through `kfreqgan.atomic_files`."""
    files = list(_python_files(os.path.join(ROOT, "bench")))
    assert len(files) > 10  # the walk found the programs
    offences = [f"{os.path.relpath(path, ROOT)}:{line} {call}" for path in files for line, call in _direct_writes(path)]
    assert not offences, "write through kfreqgan.atomic_files (write_atomically, write_text_atomically):\n" + "\n".join(offences)


@pytest.mark.parametrize(
    "source, found",
    [
        ("with open(path, 'w') as handle:\n    json.dump(x, handle)", True),
        ("open(os.path.join(out, 'r.json'), mode='wb')", True),
        ("figure.savefig(path, dpi=100)", True),
        ("tf.io.write_file(path, data)", True),
        ("np.save(path, array)", True),
        ("write_atomically(path, lambda temporary: figure.savefig(temporary, dpi=100))", False),
        ("with open(temporary, 'w', encoding='utf-8') as handle:\n    handle.write(text)", False),
        ("open(path)", False),
        ("open(path, 'a')", False),  # appending a line to a log keeps the lines before it
        ("write_text_atomically(path, json.dumps(x))", False),
    ],
)
def test_the_write_check_sees_every_spelling(tmp_path, source, found):
    path = tmp_path / "program.py"
    path.write_text(source)
    assert bool(list(_direct_writes(str(path)))) == found
