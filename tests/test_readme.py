"""The README's Python examples run as written, and its quick start is true."""

import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


@pytest.mark.slow
def test_readme_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {}
    blocks = python_blocks()
    assert len(blocks) >= 3
    for block in blocks:  # later blocks build on earlier ones, as a reader would
        exec(compile(block.replace("/tmp/bands.keras", str(tmp_path / "bands.keras")), "README.md", "exec"), namespace)
    assert (tmp_path / "bands.keras").exists()
    ops = namespace["tflite_op_names"](namespace["tflite_bytes"])
    assert not any(op.startswith("Flex") for op in ops)


def test_quick_start_is_exactly_two_make_commands_and_ci_runs_the_test_one():
    text = README.read_text()
    quick = text.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    ci = (README.parent / ".ci" / "run").read_text()
    assert [line for line in ci.splitlines() if line and not line.startswith(("#", "set ", "cd "))] == ["make test"]
