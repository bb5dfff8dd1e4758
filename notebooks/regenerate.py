"""Executes every notebook and stores it with its outputs (`make notebooks`).

    python notebooks/regenerate.py [notebooks/01_....ipynb ...]

The notebooks are committed with their outputs so that they read on GitHub
with their figures. Each runs top to bottom in a fresh kernel, with a
temporary folder as its working directory (the figure files it saves land
there, not in the checkout); then what changes from run to run without the
content changing is removed, so that a rerun diffs only where the results
differ: the cells' execution timestamps, TensorFlow's C++ log lines and
converter chatter (they carry times, process ids and temporary paths), the
temporary working folder's path in printed text (shown as `.`) and the text
repr of figures.
The notebooks build their figures as `matplotlib.figure.Figure` objects
(kfreqgan.analysis.plots) and save them as files, which Jupyter does not
display by itself: while regenerating, a setup cell (removed again before
saving, execution counts renumbered) displays each figure a cell saves to a
file as a PNG output of that cell (72 dpi; the notebooks select the Agg
backend, so pyplot shows nothing by itself either);
`tests/test_notebooks.py` checks that the stored notebooks hold figures and
stay small, and executes a copy of each (never rewriting the stored file).
"""

import os
import pathlib
import re
import sys
import tempfile

NOTEBOOKS = pathlib.Path(__file__).resolve().parent
_TF_LOG_LINE = re.compile(
    r"^([IWEF]\d{4} \S+\s+\d+ [^\s:]+:\d+\] .*|WARNING: All log messages before absl::InitializeLog\(\).*"
    r"|To enable the following instructions: .*|.*This TensorFlow binary is optimized to use .*"
    r"|INFO:tensorflow:Assets written to: .*|INFO: Created TensorFlow Lite XNNPACK delegate for CPU\."
    r"|fully_quantize: \d+, inference_type: .*)\n?",
    re.MULTILINE,
)
_SETUP = """
import IPython as _ipython
import matplotlib.figure as _figure

_new_figures = []
_figure_savefig = _figure.Figure.savefig


def _tracked_savefig(self, fname, *args, **kwargs):
    # The figures a notebook saves to a file are its figures (callbacks
    # render others into buffers for TensorBoard).
    if isinstance(fname, (str, bytes)) or hasattr(fname, "__fspath__"):
        if self not in _new_figures:
            _new_figures.append(self)
    return _figure_savefig(self, fname, *args, **kwargs)


def _display_new_figures(*_):
    import io

    from IPython.display import Image
    from IPython.display import display

    while _new_figures:
        figure = _new_figures.pop(0)
        if figure.axes:
            buffer = io.BytesIO()
            _figure_savefig(figure, buffer, format="png", dpi=72, bbox_inches="tight")
            display(Image(buffer.getvalue()))


_figure.Figure.savefig = _tracked_savefig
_ipython.get_ipython().events.register("post_execute", _display_new_figures)
"""

MAX_OUTPUT_BYTES = 1_500_000
"""A stored notebook above this size holds more than figures (arrays printed in full)."""


def clean(notebook):
    """Removes run-to-run noise from an executed notebook (in place) and returns it."""
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)  # timestamps
        cell.metadata.pop("ExecuteTime", None)
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = _TF_LOG_LINE.sub("", output["text"])
                if not output["text"].strip():
                    continue
            outputs.append(output)
        merged = []  # consecutive stream chunks of one stream as one output (chunking varies by run)
        for output in outputs:
            previous = merged[-1] if merged else None
            if (
                previous is not None and output.get("output_type") == "stream" and previous.get("output_type") == "stream"
                and previous.get("name") == output.get("name")
            ):
                previous["text"] += output["text"]
            else:
                merged.append(output)
        if cell.cell_type == "code":
            cell.outputs = merged
        for output in cell.get("outputs", []):
            output.get("metadata", {}).pop("transient", None)
            data = output.get("data", {})
            if "image/png" in data:  # the PNG is the figure; its repr text is noise ("<Figure size ...>")
                data.pop("text/plain", None)
    return notebook


def _replace_in_text_outputs(notebook, old, new):
    """The temporary working folder's path, printed by a cell, as `.` (it differs on every run)."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = output["text"].replace(old, new)
            for key, value in output.get("data", {}).items():
                if key.startswith("text/") and isinstance(value, str):
                    output["data"][key] = value.replace(old, new)


def execute(path, timeout=600):
    """Runs `path` in a fresh kernel (working directory: a temporary folder) and returns the cleaned notebook."""
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(_SETUP))
    with tempfile.TemporaryDirectory(prefix="kfreqgan-notebook-") as directory:
        nbclient.NotebookClient(
            notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": directory}}
        ).execute()
        _replace_in_text_outputs(notebook, os.path.realpath(directory), ".")
        _replace_in_text_outputs(notebook, directory, ".")
    setup = notebook.cells.pop(0)
    if setup.outputs:
        raise RuntimeError(f"the figure-display setup failed in {path}: {setup.outputs}")
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.execution_count is not None:
            cell.execution_count -= 1
            for output in cell.outputs:
                if "execution_count" in output:
                    output["execution_count"] = cell.execution_count
    return clean(notebook)


def main(argv=None):
    import nbformat

    paths = [pathlib.Path(p) for p in (argv if argv is not None else sys.argv[1:])] or sorted(NOTEBOOKS.glob("*.ipynb"))
    for path in paths:
        notebook = execute(path)
        errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            print(f"{path}: failed: {errors[0].get('ename')}: {errors[0].get('evalue')}", file=sys.stderr)
            return 1
        text = nbformat.writes(notebook) + "\n"
        if len(text.encode()) > MAX_OUTPUT_BYTES:
            print(f"{path}: {len(text.encode())} bytes with outputs (> {MAX_OUTPUT_BYTES}); not written", file=sys.stderr)
            return 1
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path} ({len(text.encode()) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
