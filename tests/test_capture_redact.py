"""Tests for mlops_jupyter.redaction (secrets are never stored)."""

from __future__ import annotations

import time

import pytest

from mlops_jupyter import redaction as redact
from mlops_jupyter.redaction import (
    ENV_ALLOWLIST,
    REDACTED,
    capture_environment_variables,
    is_secret_name,
    redact_text,
    strip_url_credentials,
)

GHP = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


@pytest.mark.parametrize(
    "name",
    [
        "MY_API_TOKEN",
        "api_key",
        "AWS_REGION",
        "JUPYTERHUB_API_URL",
        "JPY_SESSION_NAME",
        "DB_PASSWORD",
        "passwd",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "HTTP_AUTHORIZATION",
        "session_cookie",
        "PRIVATE_DATA",
        "SENTRY_DSN",
        "HF_HOME",
        "GITHUB_ACTIONS",
        "ClientSecret",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["lr", "CUDA_VISIBLE_DEVICES", "HOME", "PATH", "PWD", "epochs"])
def test_non_secret_names(name: str) -> None:
    assert not is_secret_name(name)


def test_no_allowlisted_name_looks_secret() -> None:
    assert [name for name in ENV_ALLOWLIST if is_secret_name(name)] == []


def test_environment_capture_is_allowlist_only() -> None:
    environ = {
        "MY_API_TOKEN": GHP,
        "AWS_SECRET_ACCESS_KEY": "abc",
        "HOME": "/home/me",
        "PATH": "/usr/bin",
        "JUPYTERHUB_API_TOKEN": "x",
        "OMP_NUM_THREADS": "4",
        "CUDA_VISIBLE_DEVICES": "0,1",
        "PYTHONHASHSEED": "0",
    }
    captured = capture_environment_variables(environ)
    assert captured == {
        "CUDA_VISIBLE_DEVICES": "0,1",
        "OMP_NUM_THREADS": "4",
        "PYTHONHASHSEED": "0",
    }
    assert list(captured) == sorted(captured)
    assert GHP not in repr(captured)


def test_allowlisted_secret_name_is_dropped_and_values_redacted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(redact, "ENV_ALLOWLIST", ENV_ALLOWLIST | {"CUDA_AUTH_TOKEN"})
    environ = {"CUDA_AUTH_TOKEN": "plain", "XLA_FLAGS": f"--xla_dump_to=/tmp --x={GHP}"}
    captured = capture_environment_variables(environ)
    assert captured == {"XLA_FLAGS": f"--xla_dump_to=/tmp --x={REDACTED}"}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:tok@github.com/x.git", "https://github.com/x.git"),
        (f"https://{GHP}@github.com/o/r.git", "https://github.com/o/r.git"),
        ("https://user:ghp_xxx@github.com/o/r.git", "https://github.com/o/r.git"),
        ("http://u:p@host:8080/path?q=1#frag", "http://host:8080/path?q=1#frag"),
        ("ssh://user:pw@host/repo.git", "ssh://user@host/repo.git"),
        ("ssh://git@github.com/o/r.git", "ssh://git@github.com/o/r.git"),
        ("git+ssh://git@host:22/r", "git+ssh://git@host:22/r"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
        ("/local/path/repo", "/local/path/repo"),
        ("https://github.com/o/r.git", "https://github.com/o/r.git"),
        ("https://h/x?token=abc&ref=main", "https://h/x?ref=main"),
        ("https://h/x?ref=main&access_token=abc#f", "https://h/x?ref=main#f"),
        ("https://h/x?api_key=1&sig=2&X-Amz-Signature=3", "https://h/x"),
        ("https://h/x?a=1&b&c=", "https://h/x?a=1&b&c="),
        ("https://[::1]:8443/x", "https://[::1]:8443/x"),
    ],
)
def test_strip_url_credentials(url: str, expected: str) -> None:
    assert strip_url_credentials(url) == expected


@pytest.mark.parametrize(
    "secret",
    [
        GHP,
        "gho_" + "a" * 36,
        "ghu_" + "b" * 36,
        "ghs_" + "c" * 36,
        "ghr_" + "d" * 36,
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP",
        "sk-" + "e" * 48,
        "sk-proj-" + "Ab1_-" * 10,
        "sk-ant-api03-" + "f" * 80,
        "AKIAIOSFODNN7EXAMPLE",
        "ASIAY34FZKBOKMUTVV7A",
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp",
        "xoxp-1234567890-abcdefghij",
        "AIzaSyA-1234567890abcdefghijklmnopqrstu",
    ],
)
def test_redact_token_formats(secret: str) -> None:
    text = f"before {secret} after\nexport X={secret}\n'{secret}'"
    redacted = redact_text(text)
    assert secret not in redacted
    assert redacted == f"before {REDACTED} after\nexport X={REDACTED}\n'{REDACTED}'"


def test_redact_private_key_block() -> None:
    body = "MIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy\nabcdef==\n"
    for kind in ("RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY", "EC PRIVATE KEY"):
        text = f"key:\n-----BEGIN {kind}-----\n{body}-----END {kind}-----\nafter\n"
        assert redact_text(text) == f"key:\n{REDACTED}\nafter\n"
    unterminated = f"x\n-----BEGIN PRIVATE KEY-----\n{body}"
    assert redact_text(unterminated) == f"x\n{REDACTED}"
    public = "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----"
    assert redact_text(public) == public


def test_redact_authorization_headers_and_url_credentials() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc_DEF-123"
    assert redact_text(f"Authorization: Bearer {jwt}") == f"Authorization: Bearer {REDACTED}"
    assert redact_text(f"authorization: bearer {jwt}") == f"authorization: bearer {REDACTED}"
    assert redact_text("Authorization: Basic dXNlcjpwYXNzd29yZA==") == (
        f"Authorization: Basic {REDACTED}"
    )
    assert redact_text("pip install https://bob:hunter2@pypi.example.com/simple") == (
        f"pip install https://{REDACTED}@pypi.example.com/simple"
    )
    assert redact_text("postgresql://app:s3cr3t@db:5432/x") == f"postgresql://{REDACTED}@db:5432/x"


@pytest.mark.parametrize(
    "text",
    [
        "task-scheduler-configuration-option-xyz",
        "disk-abcdefghijklmnopqrstuvwxyz",
        "Bearer authentication is used",
        "see https://github.com/o/r and git@github.com:o/r.git",
        "ghp_short",
        "XAKIAIOSFODNN7EXAMPLE1",
        "a time: 12:30 and http://host:8080/path",
        "",
    ],
)
def test_redact_leaves_ordinary_text_alone(text: str) -> None:
    assert redact_text(text) == text


def test_redact_is_fast_on_one_megabyte() -> None:
    line = "+    result = compute(value, key=other)  # a diff line with sk and gh and AK\n"
    text = (line * (1_000_000 // len(line) + 1))[:1_000_000] + GHP
    redact_text("warm up the compiled pattern")
    start = time.perf_counter()
    redacted = redact_text(text)
    elapsed = time.perf_counter() - start
    assert redacted.endswith(REDACTED)
    assert elapsed < 0.25, f"redact_text took {elapsed * 1000:.1f} ms for 1 MB"
