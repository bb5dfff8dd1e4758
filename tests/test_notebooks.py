"""Every notebook runs top to bottom (so they cannot rot)."""

import pathlib

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [output for cell in notebook.cells for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    assert not errors
    assert list(tmp_path.glob("*.png")), "the notebook should save its figures"


def test_there_is_a_notebook():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_stored_notebooks_show_their_figures_and_no_run_noise(path):
    """Committed with outputs (`make notebooks`), so they read on GitHub; small and diff-clean."""
    import importlib.util

    import nbformat

    spec = importlib.util.spec_from_file_location("regenerate", path.parent / "regenerate.py")
    regenerate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(regenerate)
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code), "run `make notebooks` and commit the result"
    outputs = [output for cell in code for output in cell.get("outputs", [])]
    assert any("image/png" in output.get("data", {}) for output in outputs), "no figure stored"
    assert not [output for output in outputs if output.get("output_type") == "error"]
    assert all("execution" not in cell.metadata for cell in code)  # timestamps stripped
    assert path.stat().st_size <= regenerate.MAX_OUTPUT_BYTES
