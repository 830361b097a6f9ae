"""The fidelity corpus: notebooks, how their original runs were made, what changed since,
and the verdict and first cause a reproduction must give.

Two kinds of notebooks, executed as people execute them (the papermill and nbconvert command
lines, or a kernel driven like JupyterLab's, with ``JPY_SESSION_NAME`` and no help from us):

* papermill's own test notebooks, read from the installed papermill package and converted
  by :func:`papermill_notebook` (their code unchanged; a ``%load_ext`` cell first, the last
  code cell tracked);
* scikit-learn style notebooks on scikit-learn's bundled datasets, their data written to
  ``data/`` files the notebooks read the way real notebooks do (``pd.read_csv``,
  ``np.loadtxt``, ``csv``, ``open``) without declaring them.

Each :class:`Case` builds a folder, makes the original run, changes the world (a data file,
the notebook, a package, nothing) and states the expected verdict and the start of the
expected first cause.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

LOAD = "%load_ext mlops_jupyter"
#: papermill's test notebooks that execute (complex_parameters has a deliberately broken line;
#: read_check asserts that a data file exists beside it, which the build writes).
PAPERMILL_NOTEBOOKS = ("simple_execute", "read_check", "nb_version_4.4", "no_parameters")


# --------------------------------------------------------------------------- notebooks


def _notebook(cells: list[tuple[str, str]], parameters: str | None = None) -> Any:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    for kind, source in cells:
        nb.cells.append(
            nbformat.v4.new_markdown_cell(source)
            if kind == "md"
            else nbformat.v4.new_code_cell(source)
        )
    return nb


def write(folder: Path, nb: Any, name: str = "nb.ipynb") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(nb, str(path))
    return path


def papermill_notebook(name: str) -> Any:
    """A test notebook of the installed papermill, with a %load_ext cell first and its last
    code cell tracked (its code otherwise unchanged)."""
    import papermill

    source = Path(papermill.__file__).parent / "tests" / "notebooks" / f"{name}.ipynb"
    nb = nbformat.read(str(source), as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(LOAD))
    code = [c for c in nb.cells[1:] if c.cell_type == "code"]
    last = next((c for c in reversed(code) if c.source.strip()), code[-1])
    last.source = "%%track --quiet\n" + last.source
    nb.metadata.setdefault("kernelspec", {}).update(
        {"name": "python3", "display_name": "Python 3", "language": "python"}
    )
    if nb.nbformat_minor < 5:  # cell ids came with nbformat 4.5: older files have none
        for cell in nb.cells:
            cell.pop("id", None)
    return nb


def _write_iris(folder: Path) -> None:
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    frame = load_iris(as_frame=True).frame
    train, test = train_test_split(frame, test_size=0.3, random_state=0, stratify=frame.target)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    train.to_csv(folder / "data" / "train.csv", index=False)
    test.to_csv(folder / "data" / "test.csv", index=False)


IRIS_READ = (
    "import pandas as pd\nimport mlops_jupyter\n"
    'train = pd.read_csv("data/train.csv")\ntest = pd.read_csv("data/test.csv")'
)
IRIS_TRACKED = (
    "%%track --quiet --name iris\nfrom sklearn.linear_model import LogisticRegression\n"
    "model = LogisticRegression(C=C, max_iter=1000)\n"
    'model.fit(train.drop(columns="target"), train["target"])\n'
    'accuracy = model.score(test.drop(columns="target"), test["target"])\n'
    'mlops_jupyter.log_metric("accuracy", accuracy)'
)


def iris(
    folder: Path,
    *,
    tracked: str = IRIS_TRACKED,
    read: str = IRIS_READ,
    parameters: str = "C = 1.0",
) -> Path:
    """Logistic regression on iris; the data is read in an earlier cell."""
    _write_iris(folder)
    cells = [
        ("md", "# Iris"),
        ("code", LOAD),
        ("code", read),
        ("code", tracked),
        ("code", 'print("done")'),
    ]
    return write(folder, _notebook(cells, parameters=parameters))


def digits(folder: Path) -> Path:
    """An SVC on digits; the data file is read in the tracked cell with numpy."""
    import numpy as np
    from sklearn.datasets import load_digits

    data = load_digits()
    (folder / "data").mkdir(parents=True, exist_ok=True)
    np.savetxt(
        folder / "data" / "digits.csv",
        np.column_stack([data.data, data.target]),
        delimiter=",",
        fmt="%g",
    )
    tracked = (
        "%%track --quiet --name digits\nimport numpy as np\nfrom sklearn.svm import SVC\n"
        'table = np.loadtxt("data/digits.csv", delimiter=",")\n'
        "X, y = table[:, :-1], table[:, -1]\n"
        "model = SVC(gamma=gamma).fit(X[:1200], y[:1200])\n"
        "accuracy = float(model.score(X[1200:], y[1200:]))\n"
        'mlops_jupyter.log_metric("accuracy", accuracy)'
    )
    cells = [("code", LOAD), ("code", "import mlops_jupyter"), ("code", tracked)]
    return write(folder, _notebook(cells, parameters="gamma = 0.001"))


def wine(folder: Path) -> Path:
    """A seeded random forest on wine, read with the csv module."""
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    (folder / "data").mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "data" / "wine.csv", index=False)
    read = (
        "import csv\nwith open('data/wine.csv', newline='') as handle:\n"
        "    rows = list(csv.reader(handle))\nheader, rows = rows[0], rows[1:]"
    )
    tracked = (
        "%%track --quiet --name wine\nimport mlops_jupyter\n"
        "from sklearn.ensemble import RandomForestClassifier\n"
        "X = [[float(v) for v in row[:-1]] for row in rows]\n"
        "y = [int(float(row[-1])) for row in rows]\n"
        "forest = RandomForestClassifier(n_estimators=n_estimators, random_state=0)\n"
        "forest.fit(X[::2], y[::2])\n"
        "accuracy = forest.score(X[1::2], y[1::2])\n"
        'mlops_jupyter.log_metric("accuracy", accuracy)'
    )
    cells = [("code", LOAD), ("code", read), ("code", tracked)]
    return write(folder, _notebook(cells, parameters="n_estimators = 20"))


def diabetes(folder: Path) -> Path:
    """Ridge regression on diabetes, its data in JSON read with open()."""
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / "diabetes.json").write_text(
        json.dumps({"X": data.data.tolist(), "y": data.target.tolist()})
    )
    tracked = (
        "%%track --quiet --name diabetes\nimport json, mlops_jupyter\n"
        "from sklearn.linear_model import Ridge\n"
        "with open('data/diabetes.json') as handle:\n    data = json.load(handle)\n"
        "model = Ridge(alpha=alpha).fit(data['X'][:300], data['y'][:300])\n"
        "r2 = model.score(data['X'][300:], data['y'][300:])\n"
        'mlops_jupyter.log_metric("r2", r2)'
    )
    cells = [("code", LOAD), ("code", tracked)]
    return write(folder, _notebook(cells, parameters="alpha = 0.5"))


def cancer(folder: Path) -> Path:
    """Gradient boosting on breast cancer; an existence check before the read, and the
    data read through a helper function defined in an earlier cell."""
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    (folder / "data").mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "data" / "cancer.csv", index=False)
    helper = (
        "import os\nimport pandas as pd\n"
        "assert os.path.isfile('data/cancer.csv'), 'data missing'\n"
        "def load(name):\n    return pd.read_csv(os.path.join('data', name))"
    )
    tracked = (
        "%%track --quiet --name cancer\nimport mlops_jupyter\n"
        "from sklearn.ensemble import GradientBoostingClassifier\n"
        "frame = load('cancer.csv')\n"
        "X, y = frame.drop(columns='target'), frame['target']\n"
        "model = GradientBoostingClassifier(n_estimators=30, random_state=0)\n"
        "model.fit(X[::2], y[::2])\n"
        "mlops_jupyter.log_metric('accuracy', model.score(X[1::2], y[1::2]))"
    )
    cells = [("code", LOAD), ("code", helper), ("code", tracked)]
    return write(folder, _notebook(cells))


# --------------------------------------------------------------------------- originals


def store_env() -> dict[str, str]:
    """The environment of the processes of a case: ours, without our notebook hint."""
    env = dict(os.environ)
    env.pop("MLOPS_JUPYTER_NOTEBOOK", None)
    return env


def papermill_cli(
    notebook: Path,
    *,
    output: Path | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
) -> None:
    """``papermill IN OUT [--cwd DIR] [-p k v]`` in a subprocess, as a person runs it."""
    out = output or notebook.with_name(notebook.stem + ".out.ipynb")
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "papermill", str(notebook), str(out), "--no-progress-bar"]
    if cwd is not None:
        argv += ["--cwd", str(cwd)]
    for key, value in (params or {}).items():
        argv += ["-p", key, str(value)]
    done = subprocess.run(  # from the notebook's folder, as a person runs it
        argv,
        capture_output=True,
        text=True,
        env=env or store_env(),
        timeout=300,
        check=False,
        cwd=str(notebook.parent),
    )
    if done.returncode != 0:
        raise RuntimeError(f"papermill failed: {done.stderr[-3000:]}")


def nbconvert_cli(notebook: Path, env: dict[str, str] | None = None) -> None:
    """``jupyter nbconvert --to notebook --execute NB`` in a subprocess."""
    argv = [
        sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
        str(notebook), "--output", notebook.stem + ".executed",
    ]  # fmt: skip
    done = subprocess.run(
        argv, capture_output=True, text=True, env=env or store_env(), timeout=300,
        cwd=str(notebook.parent), check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"nbconvert failed: {done.stderr[-3000:]}")


class Session:
    """A kernel started the way JupyterLab starts one: in the notebook's folder, told only
    ``JPY_SESSION_NAME``; cells are executed one by one, as typed."""

    def __init__(self, notebook: Path, env: dict[str, str] | None = None) -> None:
        from jupyter_client.manager import KernelManager

        environ = {**(env or store_env()), "JPY_SESSION_NAME": notebook.name}
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(cwd=str(notebook.parent), env=environ)
        self.client = self.km.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def run(self, source: str, cell_id: str | None = None) -> None:
        """Execute a cell, its id in the request's metadata as JupyterLab sends it; it must
        not fail."""
        content = {
            "code": source,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        message = self.client.session.msg(
            "execute_request", content, metadata={"cellId": cell_id} if cell_id else {}
        )
        self.client.shell_channel.send(message)
        while True:
            message = self.client.get_shell_msg(timeout=120)
            if message["msg_type"] == "execute_reply":
                break
        assert message["content"]["status"] == "ok", message["content"]

    def close(self) -> None:
        """Shut down gracefully: the kernel drains its queued store writes first."""
        self.client.stop_channels()
        if self.km.is_alive():
            self.km.shutdown_kernel(now=False)
        self.km.cleanup_resources()


def session_run(
    notebook: Path,
    order: list[int],
    edits: dict[int, str] | None = None,
    env: dict[str, str] | None = None,
) -> None:
    """Run the notebook's code cells in ``order`` (indices into all cells), with ``edits``
    typed into some of them and never saved; parameters cells run as they are."""
    nb = nbformat.read(str(notebook), as_version=4)
    session = Session(notebook, env)
    try:
        for index in order:
            cell = nb.cells[index]
            source = (edits or {}).get(index, cell.source)
            session.run(source, cell_id=cell.get("id"))
    finally:
        session.close()


def code_indices(notebook: Path) -> list[int]:
    nb = nbformat.read(str(notebook), as_version=4)
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]


# --------------------------------------------------------------------------- cases


@dataclass
class Case:
    """One fidelity check.

    Attributes:
        name: Unique name.
        build: ``build(folder) -> notebook`` writes the notebook and its data.
        original: ``original(notebook)`` makes the original run(s).
        change: ``change(notebook)`` what happens between the run and its reproduction.
        verdict: The expected verdict.
        first_cause: The start of the expected first cause ("" when none is expected).
        kernel_env: Variables for the reproduction's kernels.
        deterministic: A notebook that must reproduce as it is.
    """

    name: str
    build: Callable[[Path], Path]
    original: Callable[[Path], None]
    change: Callable[[Path], None] = lambda notebook: None
    verdict: str = "reproduced"
    first_cause: str = ""
    kernel_env: dict[str, str] = field(default_factory=dict)
    deterministic: bool = False


def _papermill(notebook: Path) -> None:
    papermill_cli(notebook)


def _in_session(notebook: Path) -> None:
    session_run(notebook, code_indices(notebook))


def _rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def _flip_labels(path: Path) -> None:
    """Every label moved to the next class: a model trained or scored on it changes."""
    import pandas as pd

    frame = pd.read_csv(path)
    frame["target"] = (frame["target"] + 1) % 3
    frame.to_csv(path, index=False)


def _truncate_lines(path: Path, keep: int) -> None:
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:keep]) + "\n")


def _fake_package(root: Path, version: str, factor: float) -> Path:
    folder = root / f"site-{version}"
    (folder / "fidelitypkg").mkdir(parents=True, exist_ok=True)
    (folder / "fidelitypkg" / "__init__.py").write_text(f"FACTOR = {factor}\n")
    info = folder / f"fidelitypkg-{version}.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: fidelitypkg\nVersion: {version}\n"
    )
    return folder


def _with_path(env: dict[str, str], folder: Path) -> dict[str, str]:
    return {
        **env,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH")])),
    }


def cases() -> list[Case]:
    """Every case of the corpus, deterministic ones first."""
    found: list[Case] = []
    for name in PAPERMILL_NOTEBOOKS:
        found.append(
            Case(
                f"papermill/{name}",
                lambda folder, name=name: _papermill_build(folder, name),
                _papermill,
                deterministic=True,
            )
        )
    found.append(
        Case(
            "papermill/read_check-file-deleted",
            lambda folder: _papermill_build(folder, "read_check"),
            _papermill,
            lambda nb: (nb.parent / "check.txt").unlink(),
            "failed",
            "input check.txt is missing",
        )
    )
    for base in (iris, digits, wine, diabetes, cancer):
        found.append(Case(f"sklearn/{base.__name__}", base, _papermill, deterministic=True))
    found += [
        Case("iris/session", iris, _in_session, deterministic=True),
        Case(
            "iris/papermill-output-elsewhere-other-cwd",
            iris,
            lambda nb: papermill_cli(
                nb, output=nb.parent.parent / "outputs" / "nb.out.ipynb", cwd=nb.parent
            ),
            deterministic=True,
        ),
        Case(
            "iris/nbconvert-copy-beside", iris, lambda nb: _nbconvert_copy(nb), deterministic=True
        ),
        Case(
            "iris/input-changed-earlier-cell",
            iris,
            _papermill,
            lambda nb: _flip_labels(nb.parent / "data" / "train.csv"),
            "diverged",
            "input data/train.csv changed",
        ),
        Case(
            "digits/input-changed-tracked-cell",
            digits,
            _papermill,
            lambda nb: _truncate_lines(nb.parent / "data" / "digits.csv", 1300),
            "diverged",
            "input data/digits.csv changed",
        ),
        Case(
            "iris/declared-input-changed",
            lambda folder: iris(
                folder,
                tracked=IRIS_TRACKED.replace("--name iris", "--name iris --input data/test.csv"),
            ),
            _papermill,
            lambda nb: _flip_labels(nb.parent / "data" / "test.csv"),
            "diverged",
            "input data/test.csv changed",
        ),
        Case(
            "iris/input-deleted",
            iris,
            _papermill,
            lambda nb: (nb.parent / "data" / "train.csv").unlink(),
            "failed",
            "input data/train.csv is missing",
        ),
        Case(
            "cancer/input-deleted-after-existence-check",
            cancer,
            _papermill,
            lambda nb: (nb.parent / "data" / "cancer.csv").unlink(),
            "failed",
            "input data/cancer.csv is missing",
        ),
        Case(
            "iris/unseeded-randomness",
            lambda folder: iris(
                folder,
                tracked=IRIS_TRACKED
                + "\nsubset = test.sample(frac=0.5)\n"
                + 'mlops_jupyter.log_metric("subset_mean", float(subset.iloc[:, 0].mean()))',
            ),
            _papermill,
            verdict="diverged",
            first_cause="random numbers were drawn without a seed: numpy",
        ),
        Case(
            "iris/unseeded-earlier-cell-seeded-tracked",
            lambda folder: iris(
                folder,
                read=IRIS_READ + "\ntrain = train.sample(frac=0.5)",
                tracked=IRIS_TRACKED.replace("--name iris", "--name iris --seed 0")
                + '\nmlops_jupyter.log_metric("train_mean", float(train.iloc[:, 0].mean()))',
            ),
            _papermill,
            verdict="diverged",
            first_cause="random numbers were drawn without a seed: numpy",
        ),
        Case(
            "iris/out-of-order-session",
            lambda folder: iris(folder, read=IRIS_READ + "\nC = 1.0", parameters="C = 0.001"),
            lambda nb: session_run(nb, _out_of_order(nb)),
            verdict="diverged",
            first_cause="cells ran out of order in the original session",
        ),
        Case(
            "iris/unsaved-edit",
            iris,
            lambda nb: session_run(
                nb, code_indices(nb), edits=_edit_tracked(nb, "C=C,", "C=0.001,")
            ),
            verdict="diverged",
            first_cause="the executed cell was not saved in the notebook",
        ),
        Case(
            "iris/unsaved-comment-only",
            iris,
            lambda nb: session_run(
                nb,
                code_indices(nb),
                edits=_edit_tracked(nb, "from sklearn", "# tried a comment\nfrom sklearn"),
            ),
        ),
        Case(
            "iris/parameter-edited-after-the-run",
            iris,
            _papermill,
            lambda nb: _rewrite(nb, "C = 1.0", "C = 0.01"),
        ),
        Case(
            "wine/notebook-moved",
            wine,
            _papermill,
            lambda nb: shutil.move(str(nb), str(nb.with_name("moved.ipynb"))),
        ),
        _package_case(),
    ]
    return found


def _papermill_build(folder: Path, name: str) -> Path:
    notebook = write(folder, papermill_notebook(name))
    if name == "read_check":
        (folder / "check.txt").write_text("present\n")
    return notebook


def _nbconvert_copy(notebook: Path) -> None:
    copy = notebook.with_name("copy.ipynb")
    shutil.copy(notebook, copy)
    nbconvert_cli(copy)


def _out_of_order(notebook: Path) -> list[int]:
    """%load_ext, the data cell (which sets C = 1.0), then the parameters cell (C = 0.001),
    then the tracked cell: top to bottom, C would be 1.0."""
    cells = code_indices(notebook)
    parameters, load, read, tracked = cells[0], cells[1], cells[2], cells[3]
    return [load, read, parameters, tracked]


def _edit_tracked(notebook: Path, old: str, new: str) -> dict[int, str]:
    nb = nbformat.read(str(notebook), as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if c.source.startswith("%%track"))
    assert old in nb.cells[index].source
    return {index: nb.cells[index].source.replace(old, new)}


def _package_case() -> Case:
    def build(folder: Path) -> Path:
        nb = iris(
            folder,
            tracked=IRIS_TRACKED.replace(
                'mlops_jupyter.log_metric("accuracy", accuracy)',
                "import fidelitypkg\n"
                'mlops_jupyter.log_metric("accuracy", accuracy * fidelitypkg.FACTOR)',
            ),
        )
        _fake_package(folder.parent / "pkgs", "1.0", 1.0)
        _fake_package(folder.parent / "pkgs", "2.0", 0.5)
        return nb

    def original(notebook: Path) -> None:
        site = notebook.parent.parent / "pkgs" / "site-1.0"
        papermill_cli(notebook, env=_with_path(store_env(), site))

    case = Case(
        "iris/package-version-changed",
        build,
        original,
        verdict="diverged",
        first_cause="fidelitypkg 1.0 → 2.0",
    )
    return case


def reproduction_env(case: Case, notebook: Path) -> dict[str, str]:
    """Variables the reproduction's kernels get (the package case's newer package)."""
    if case.name == "iris/package-version-changed":
        site = notebook.parent.parent / "pkgs" / "site-2.0"
        return _with_path({"PYTHONPATH": os.environ.get("PYTHONPATH", "")}, site)
    return dict(case.kernel_env)
