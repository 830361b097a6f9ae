"""Tests for mlops_jupyter.store.location: where the kernel and the server find the store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlops_jupyter.redaction import mask_url
from mlops_jupyter.store.location import (
    StoreLocation,
    default_store_dir,
    normalize_db_url,
    resolve_store_location,
)


def test_default_is_xdg_data_home(tmp_path: Path) -> None:
    loc = resolve_store_location({"XDG_DATA_HOME": str(tmp_path), "HOME": "/nowhere"})
    assert loc.description == str(tmp_path / "mlops-jupyter")
    assert loc.db_url == "sqlite:///" + (tmp_path / "mlops-jupyter" / "runs.db").as_posix()
    assert loc.blob_root == str(tmp_path / "mlops-jupyter" / "blobs")
    assert loc.sqlite_path == str(tmp_path / "mlops-jupyter" / "runs.db")


def test_default_without_xdg_is_under_home(tmp_path: Path) -> None:
    expected = tmp_path / ".local" / "share" / "mlops-jupyter"
    assert resolve_store_location({"HOME": str(tmp_path)}).description == str(expected)
    # A relative XDG_DATA_HOME is invalid per the spec and ignored.
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": "rel"}
    assert default_store_dir(env) == expected


def test_default_does_not_depend_on_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"HOME": str(tmp_path)}
    monkeypatch.chdir(tmp_path)
    first = resolve_store_location(env)
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert resolve_store_location(env) == first


def test_directory_setting(tmp_path: Path) -> None:
    loc = resolve_store_location({"MLOPS_JUPYTER_STORE": str(tmp_path / "s")})
    assert loc == StoreLocation.for_directory(tmp_path / "s")
    assert loc.db_url.endswith("/s/runs.db") and loc.blob_root == str(tmp_path / "s" / "blobs")
    assert loc.scheme == "sqlite"


def test_directory_setting_expands_user_and_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_store_location({"MLOPS_JUPYTER_STORE": "~/runs"}).description == str(
        tmp_path / "runs"
    )
    monkeypatch.chdir(tmp_path)
    assert resolve_store_location({"MLOPS_JUPYTER_STORE": "rel"}).description == str(
        tmp_path / "rel"
    )


def test_override_wins_over_environment(tmp_path: Path) -> None:
    env = {"MLOPS_JUPYTER_STORE": str(tmp_path / "env")}
    loc = resolve_store_location(env, override=str(tmp_path / "traitlet"))
    assert loc.description == str(tmp_path / "traitlet")
    # An empty traitlet means "not set".
    assert resolve_store_location(env, override="").description == str(tmp_path / "env")


def test_sqlite_url_puts_blobs_beside_the_database(tmp_path: Path) -> None:
    url = "sqlite:///" + (tmp_path / "db" / "x.db").as_posix()
    loc = resolve_store_location({"MLOPS_JUPYTER_STORE": url})
    assert loc.db_url == url
    assert loc.blob_root == str(tmp_path / "db" / "blobs")
    assert loc.sqlite_path == str(tmp_path / "db" / "x.db")


def test_relative_sqlite_url_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    loc = resolve_store_location({"MLOPS_JUPYTER_STORE": "sqlite:///x.db"})
    assert loc.sqlite_path == str(tmp_path / "x.db")


def test_blobs_env_var_for_urls(tmp_path: Path) -> None:
    env = {
        "MLOPS_JUPYTER_STORE": "postgresql://u@db/runs",
        "MLOPS_JUPYTER_BLOBS": str(tmp_path / "b"),
    }
    assert resolve_store_location(env).blob_root == str(tmp_path / "b")


def test_server_url_without_blob_setting_uses_default_dir(tmp_path: Path) -> None:
    env = {"MLOPS_JUPYTER_STORE": "postgresql://u@db/runs", "HOME": str(tmp_path)}
    loc = resolve_store_location(env)
    assert loc.blob_root == str(tmp_path / ".local" / "share" / "mlops-jupyter" / "blobs")
    assert loc.scheme == "postgresql" and loc.sqlite_path is None


def test_password_is_masked() -> None:
    url = "postgresql+psycopg://user:s3cret@host:5432/db"
    loc = resolve_store_location({"MLOPS_JUPYTER_STORE": url})
    assert loc.db_url == url
    assert loc.description == "postgresql+psycopg://user:***@host:5432/db"
    assert "s3cret" not in mask_url("postgresql://u@h/db?password=s3cret&sslmode=require")
    assert mask_url("postgresql://u@h/db") == "postgresql://u@h/db"


def test_resolving_creates_nothing(tmp_path: Path) -> None:
    resolve_store_location({"MLOPS_JUPYTER_STORE": str(tmp_path / "new")})
    assert not (tmp_path / "new").exists()


def test_uses_os_environ_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", str(tmp_path / "envstore"))
    assert resolve_store_location().description == str(tmp_path / "envstore")
    assert os.environ["MLOPS_JUPYTER_STORE"] == str(tmp_path / "envstore")


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "POSTGRESQL"])
def test_postgresql_url_without_a_driver_gets_psycopg_3(scheme: str) -> None:
    loc = resolve_store_location({"MLOPS_JUPYTER_STORE": f"{scheme}://u:s3cret@db:5432/runs"})
    assert loc.db_url == "postgresql+psycopg://u:s3cret@db:5432/runs"
    assert loc.description == "postgresql+psycopg://u:***@db:5432/runs"
    assert loc.scheme == "postgresql"


def test_explicit_drivers_and_other_urls_are_kept() -> None:
    for url in ("postgresql+psycopg2://u@db/runs", "postgresql+psycopg://u@db/runs"):
        assert resolve_store_location({"MLOPS_JUPYTER_STORE": url}).db_url == url
    assert normalize_db_url("mysql://h/db") == "mysql://h/db"
    assert normalize_db_url("/not/a/url") == "/not/a/url"


def test_repr_of_a_location_never_shows_the_password() -> None:
    loc = resolve_store_location({"MLOPS_JUPYTER_STORE": "postgresql://u:s3cret@db/runs"})
    assert "s3cret" not in repr(loc) and "u:***@db" in repr(loc)
