"""A version's files: the manifest (path, sha256, size per file), the flavor guessed from the
bytes, the signature, and materializing the files from the blob store.

The flavor is read from the files without loading them: pickles are scanned opcode by opcode
(:mod:`pickletools` never executes anything) for the modules they would import.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickletools
import posixpath
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import InvalidArgumentError
from ..store.blobs import BlobStore, validate_sha256

__all__ = [
    "FLAVORS",
    "Manifest",
    "ManifestFile",
    "cache_root",
    "file_sha256",
    "guess_format",
    "manifest_path",
    "materialize",
    "signature_of",
]

#: The flavors a version can have, most specific first (a version of several files takes the
#: first that one of its files has).
FLAVORS = ("sklearn", "torch", "onnx", "joblib", "pickle", "other")
#: How much of a file is scanned for its flavor.
_SCAN_BYTES = 8 << 20
_MANIFEST_FORMAT = 1
#: Where ``load_model`` materializes files (else beside a local store, or the user's cache).
CACHE_ENV = "MLOPS_JUPYTER_MODEL_CACHE"


@dataclass(frozen=True)
class ManifestFile:
    """One file of a version.

    Attributes:
        path: Relative POSIX path inside the version (``model.pkl``, ``weights/a.bin``).
        sha256: The blob holding it.
        size: Bytes.
        format: ``pickle``, ``joblib``, ``torch``, ``onnx`` or ``other``.
        flavor: The flavor its bytes suggest (see :data:`FLAVORS`).
    """

    path: str
    sha256: str
    size: int
    format: str
    flavor: str

    def to_json(self) -> dict[str, Any]:
        """The entry as the manifest stores it."""
        return {
            "path": self.path,
            "sha256": self.sha256,
            "size": self.size,
            "format": self.format,
            "flavor": self.flavor,
        }


@dataclass(frozen=True)
class Manifest:
    """The files of a version, as stored in its manifest blob."""

    files: tuple[ManifestFile, ...]

    @property
    def flavor(self) -> str:
        """The most specific flavor of its files."""
        found = {f.flavor for f in self.files}
        return next((f for f in FLAVORS if f in found), "other")

    @property
    def size(self) -> int:
        """Bytes of all its files."""
        return sum(f.size for f in self.files)

    def to_json(self) -> dict[str, Any]:
        """The manifest blob's content."""
        return {"format": _MANIFEST_FORMAT, "files": [f.to_json() for f in self.files]}

    @classmethod
    def from_json(cls, data: object) -> Manifest:
        """Read a manifest blob, checking every path and hash (a shared store is not trusted).

        Raises:
            InvalidArgumentError: If it is malformed.
        """
        if not isinstance(data, Mapping) or not isinstance(data.get("files"), list):
            raise InvalidArgumentError("malformed model manifest: no list of files")
        files: list[ManifestFile] = []
        seen: set[str] = set()
        for entry in data["files"]:
            if not isinstance(entry, Mapping):
                raise InvalidArgumentError("malformed model manifest: an entry is not an object")
            path = manifest_path(entry.get("path"))
            if path in seen:
                raise InvalidArgumentError(f"malformed model manifest: {path!r} twice")
            seen.add(path)
            size = entry.get("size")
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise InvalidArgumentError(f"malformed model manifest: size of {path!r}")
            fmt, flavor = entry.get("format"), entry.get("flavor")
            files.append(
                ManifestFile(
                    path=path,
                    sha256=validate_sha256(entry.get("sha256")),
                    size=size,
                    format=fmt if isinstance(fmt, str) else "other",
                    flavor=flavor if flavor in FLAVORS else "other",
                )
            )
        if not files:
            raise InvalidArgumentError("malformed model manifest: no files")
        return cls(tuple(files))


def manifest_path(path: object) -> str:
    """A file's path inside a version: relative, POSIX, normalized, never leaving the folder.

    Raises:
        InvalidArgumentError: For an absolute path, ``..``, an empty or a control-character
            name.
    """
    if not isinstance(path, str) or not path or len(path) > 1024:
        raise InvalidArgumentError(f"invalid model file path {path!r:.80}")
    if any(ord(c) < 32 or c == "\\" for c in path):
        raise InvalidArgumentError(f"invalid model file path {path!r:.80}: control character")
    normal = posixpath.normpath(path)
    if (
        normal.startswith("/")
        or normal == "."
        or normal == ".."
        or normal.startswith("../")
        or any(part in ("", ".", "..") for part in normal.split("/"))
    ):
        raise InvalidArgumentError(
            f"invalid model file path {path!r:.80}: it must stay inside the version's folder"
        )
    return normal


def version_path(given: str) -> str:
    """The path a file given as ``given`` (relative to the notebook, or absolute) takes in a
    version: kept when relative and inside, else its name."""
    candidate = given.replace(os.sep, "/")
    try:
        return manifest_path(candidate)
    except InvalidArgumentError:
        return manifest_path(posixpath.basename(candidate.rstrip("/")) or "model")


# -- flavors ---------------------------------------------------------------------------------

_MODULE_FLAVORS = (
    ("sklearn", "sklearn"),
    ("torch", "torch"),
    ("xgboost", "sklearn"),  # their sklearn wrappers pickle as sklearn-like estimators
    ("lightgbm", "sklearn"),
)


def _pickle_modules(head: bytes) -> set[str]:
    """The modules a pickle would import, scanned from its first bytes without running it."""
    modules: set[str] = set()
    strings: list[str] = []
    try:
        for opcode, arg, _ in pickletools.genops(io.BytesIO(head)):
            if opcode.name == "GLOBAL" and isinstance(arg, str):
                modules.add(arg.split(" ", 1)[0])
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                modules.add(strings[-2])
            elif isinstance(arg, str) and opcode.name.endswith(("UNICODE", "STRING")):
                strings.append(arg)
                del strings[:-2]
            if opcode.name == "STOP":
                break
    except Exception:  # noqa: S110 - truncated or not a pickle after all: what was seen counts
        pass
    return modules


def guess_format(name: str, head: bytes) -> tuple[str, str]:
    """``(format, flavor)`` of a file from its name and first bytes.

    Formats: ``pickle``, ``joblib``, ``torch``, ``onnx``, ``other``; flavors: see
    :data:`FLAVORS`.
    """
    ext = os.path.splitext(name)[1].lower()
    if ext == ".onnx":
        return "onnx", "onnx"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(head)).namelist()
        except zipfile.BadZipFile:  # the central directory is past the head: trust the name
            names = []
        if ext in (".pt", ".pth", ".ckpt") or any(n.endswith("/data.pkl") for n in names):
            return "torch", "torch"
        return "other", "other"
    if head[:1] == b"\x80" or head[:1] in (b"(", b"c", b"]", b"}"):
        modules = _pickle_modules(head)
        tops = {m.split(".", 1)[0] for m in modules}
        fmt = "joblib" if ext == ".joblib" or "joblib" in tops else "pickle"
        if ext in (".pt", ".pth"):
            fmt = "torch"
        for module, flavor in _MODULE_FLAVORS:
            if module in tops:
                return fmt, flavor
        if modules or ext in (".pkl", ".pickle", ".joblib", ".pt", ".pth"):
            return fmt, "torch" if fmt == "torch" else fmt
        return "other", "other"
    if ext == ".joblib":  # compressed joblib (zlib, gzip, lz4, xz...)
        return "joblib", "joblib"
    if ext in (".pt", ".pth", ".ckpt"):
        return "torch", "torch"
    return "other", "other"


def scan_head(stream: IO[bytes]) -> bytes:
    """The first bytes of a file, enough for :func:`guess_format`."""
    return stream.read(_SCAN_BYTES)


# -- signatures ------------------------------------------------------------------------------


def signature_of(value: Any) -> dict[str, Any] | None:
    """A signature ``{"inputs": [{"name", "dtype"}, ...]}`` from what is given.

    Args:
        value: A dict already in that shape (or ``{column: dtype}``), a pandas DataFrame (its
            columns and dtypes), a fitted estimator with ``feature_names_in_`` (scikit-learn),
            or None.

    Raises:
        InvalidArgumentError: For anything else.
    """
    if value is None:
        return None
    if isinstance(value, Mapping):
        if isinstance(value.get("inputs"), list):
            inputs = [
                {"name": str(item["name"]), "dtype": None if item.get("dtype") is None
                 else str(item["dtype"])}
                for item in value["inputs"]
                if isinstance(item, Mapping) and "name" in item
            ]  # fmt: skip
            return {"inputs": inputs}
        return {"inputs": [{"name": str(k), "dtype": str(v)} for k, v in value.items()]}
    columns = getattr(value, "columns", None)
    dtypes = getattr(value, "dtypes", None)
    if columns is not None and dtypes is not None:
        return {
            "inputs": [
                {"name": str(c), "dtype": str(t)} for c, t in zip(columns, dtypes, strict=False)
            ]
        }
    names = getattr(value, "feature_names_in_", None)
    if names is not None:
        return {"inputs": [{"name": str(n), "dtype": None} for n in list(names)]}
    raise InvalidArgumentError(
        "signature: give a DataFrame, {column: dtype}, or a fitted estimator with feature names"
    )


# -- materializing ---------------------------------------------------------------------------


def cache_root(blob_root: str) -> Path:
    """Where versions' files are materialized: ``$MLOPS_JUPYTER_MODEL_CACHE``, else a
    ``model-cache`` folder beside a local store's blobs, else the user's cache."""
    named = os.environ.get(CACHE_ENV)
    if named:
        return Path(named).expanduser().resolve()
    if "://" not in blob_root:
        return Path(blob_root).resolve().parent / "model-cache"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base).resolve() / "mlops-jupyter" / "models"


def file_sha256(path: str | os.PathLike[str]) -> str | None:
    """The sha256 of a file's content (None if it cannot be read)."""
    try:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()
    except OSError:
        return None


def _inside(folder: Path, relative: str) -> Path:
    target = (folder / relative).resolve()
    if folder.resolve() not in target.parents:
        raise InvalidArgumentError(f"model file {relative!r} would leave {folder}")
    return target


def _complete(folder: Path, files: Iterable[ManifestFile]) -> bool:
    for entry in files:
        target = folder / entry.path
        if target.is_symlink() or not target.is_file():
            return False
        if target.stat().st_size != entry.size or file_sha256(target) != entry.sha256:
            return False
    return True


def materialize(manifest: Manifest, manifest_sha: str, blobs: BlobStore, root: Path) -> Path:
    """The folder holding a version's files, written from the blob store if needed.

    Files already there are re-hashed; any that differ are written again. Each blob is
    checked against its hash as it is copied, and every path stays inside the folder.

    Returns:
        ``root/<manifest sha256>``.
    """
    folder = root / validate_sha256(manifest_sha)
    if folder.is_dir() and _complete(folder, manifest.files):
        return folder
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        for entry in manifest.files:
            target = _inside(staging, entry.path)
            target.parent.mkdir(parents=True, exist_ok=True)
            with blobs.open(entry.sha256) as src, open(target, "xb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        if folder.exists():  # incomplete or altered: written again
            shutil.rmtree(folder, ignore_errors=True)
        try:
            os.replace(staging, folder)
        except OSError:  # another process materialized it meanwhile
            if not (folder.is_dir() and _complete(folder, manifest.files)):
                raise
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder
