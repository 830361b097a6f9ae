"""Keeping secrets out of what is recorded, logged or shown: the one place that scrubs.

Secrets are never stored: environment variables are captured from an allowlist only, URLs
lose their credentials, and text (diffs, environment values) has well-known token formats
masked before it leaves this module. Settings that must hold a secret (a database URL with
its password, an fsspec URL with a token) are shown through :func:`mask_url`, and error
messages that may quote one go through a :class:`Scrubber` that knows it.

Stdlib only, and cheap to import: the kernel extension loads it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "ENV_ALLOWLIST",
    "MASK",
    "REDACTED",
    "Scrubber",
    "capture_environment_variables",
    "is_secret_name",
    "is_secret_param",
    "mask_url",
    "redact_text",
    "scrub_url_query",
    "secret_params",
    "strip_url_credentials",
    "url_secrets",
]

REDACTED = "***REDACTED***"
#: What replaces a password in a URL that is shown (``postgresql://user:***@host/db``).
MASK = "***"

# Variables that change numerical results or the devices used, and hold no secret.
ENV_ALLOWLIST: frozenset[str] = frozenset(
    {
        # Python
        "PYTHONHASHSEED",
        "PYTHONUTF8",
        "PYTHONIOENCODING",
        # thread pools of the BLAS/OpenMP back ends (change float summation order)
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "BLIS_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
        "NUMEXPR_NUM_THREADS",
        "MKL_CBWR",
        "KMP_DETERMINISTIC_REDUCTION",
        # accelerators and their determinism switches
        "CUDA_VISIBLE_DEVICES",
        "CUDA_DEVICE_ORDER",
        "CUDA_LAUNCH_BLOCKING",
        "CUBLAS_WORKSPACE_CONFIG",
        "NVIDIA_VISIBLE_DEVICES",
        "HIP_VISIBLE_DEVICES",
        "ROCR_VISIBLE_DEVICES",
        "PYTORCH_ENABLE_MPS_FALLBACK",
        "TF_DETERMINISTIC_OPS",
        "TF_CUDNN_DETERMINISTIC",
        "TF_ENABLE_ONEDNN_OPTS",
        "JAX_ENABLE_X64",
        "JAX_PLATFORMS",
        "JAX_DEFAULT_MATMUL_PRECISION",
        "XLA_FLAGS",
        # locale and time zone (sorting, parsing, date arithmetic)
        "LANG",
        "LC_ALL",
        "LC_NUMERIC",
        "LC_COLLATE",
        "TZ",
    }
)

_SECRET_WORDS = (
    "TOKEN",
    "SECRET",
    "KEY",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "CREDENTIAL",
    "AUTH",
    "COOKIE",
    "PRIVATE",
    "SESSION",
    "SIGNATURE",
    "CERT",
    "DSN",
)
_SECRET_PREFIXES = (
    "JUPYTERHUB_",
    "JPY_",
    "AWS_",
    "AZURE_",
    "GOOGLE_",
    "GCP_",
    "GH_",
    "GITHUB_",
    "GITLAB_",
    "OPENAI_",
    "ANTHROPIC_",
    "HF_",
    "HUGGING_FACE_",
    "WANDB_",
    "MLFLOW_TRACKING_",
    "DATABRICKS_",
    "SLACK_",
)

# Query parameters that carry credentials under names is_secret_name does not catch.
_SECRET_QUERY_NAMES = frozenset({"sig", "code", "pass", "pwd", "x-amz-credential"})

_URL_RE = re.compile(
    r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<netloc>[^/?#]*)(?P<rest>.*)$", re.S
)
_SSH_SCHEMES = frozenset({"ssh", "git+ssh", "ssh+git"})

# One alternation, every branch starting with a literal character: the regex engine then
# scans for those first characters with a fast charset check instead of trying each branch
# at each position (1 MB of text in a few ms). Prefixes that also occur inside ordinary
# words ("task-", "disk-") check a word boundary *after* the literal prefix, with a
# fixed-width lookbehind, so the common case (an "s" not followed by "k-") fails on the
# cheap literal comparison. Distinctive prefixes (ghp_, AIza, xoxb-) need no boundary.
_PATTERN_SOURCE = "|".join(
    [
        # GitHub: ghp_ gho_ ghu_ ghs_ ghr_ and fine-grained github_pat_
        r"gh[pousr]_[A-Za-z0-9]{20,}",
        r"github_pat_[A-Za-z0-9_]{20,}",
        # OpenAI (sk-..., sk-proj-...) and Anthropic (sk-ant-...)
        r"sk-(?<![\w\-]...)[A-Za-z0-9_\-]{20,}",
        # AWS access key ids
        r"A(?:KIA|SIA)(?<![A-Za-z0-9]....)[A-Z0-9]{16}(?![A-Za-z0-9])",
        # Google API keys
        r"AIza[A-Za-z0-9_\-]{35}",
        # Slack
        r"xox[abeprs]-[A-Za-z0-9\-]{10,}",
        # PEM private keys (an unterminated block is masked to the end of the text)
        r"-----BEGIN[A-Z ]{0,40} PRIVATE KEY-----"
        r"(?:.*?-----END[A-Z ]{0,40} PRIVATE KEY-----|.*\Z)",
        # HTTP authorization headers: keep the scheme word, mask the credentials
        r"Bearer(?<![\w\-]......)[ \t]+(?P<bearer>[A-Za-z0-9\-._~+/]{16,}=*)",
        r"bearer(?<![\w\-]......)[ \t]+(?P<bearer2>[A-Za-z0-9\-._~+/]{16,}=*)",
        r"Authorization:[ \t]*Basic[ \t]+(?P<basic>[A-Za-z0-9+/]{8,}={0,2})",
        # user:password@ in URLs
        r"://(?<=[A-Za-z0-9]...)(?P<userinfo>[^\s/@:?#]*:[^\s/@?#]+)@",
    ]
)
_pattern: re.Pattern[str] | None = None


def _compiled() -> re.Pattern[str]:
    # Compiled on first use: importing this module must stay cheap.
    global _pattern
    if _pattern is None:
        _pattern = re.compile(_PATTERN_SOURCE, re.S)
    return _pattern


def is_secret_name(name: str) -> bool:
    """Tell whether a variable or parameter name looks like it holds a secret.

    The check is deliberately broad (case-insensitive): a name containing TOKEN, SECRET,
    KEY, PASSWORD, PASSWD, PASSPHRASE, CREDENTIAL, AUTH, COOKIE, PRIVATE, SESSION, SIGNATURE,
    CERT or DSN, or starting with the prefix of a service whose variables are mostly secrets
    (JUPYTERHUB_, JPY_, AWS_, AZURE_, GOOGLE_, GITHUB_, OPENAI_, HF_, ...). Dropping a harmless
    value is cheap; storing a secret is not.

    Args:
        name: The name, e.g. ``"MY_API_TOKEN"``.

    Returns:
        True if the name looks secret.
    """
    upper = name.upper()
    return any(word in upper for word in _SECRET_WORDS) or upper.startswith(_SECRET_PREFIXES)


def capture_environment_variables(environ: Mapping[str, str]) -> dict[str, str]:
    """Select the environment variables worth recording for reproducibility.

    Only names in :data:`ENV_ALLOWLIST` are kept (thread counts, visible devices,
    determinism switches, hash seed, locale); a name that also looks secret is dropped all
    the same, and values go through :func:`redact_text`.

    Args:
        environ: The environment, usually ``os.environ``.

    Returns:
        The selected variables, sorted by name.
    """
    return {
        name: redact_text(environ[name])
        for name in sorted(environ)
        if name in ENV_ALLOWLIST and not is_secret_name(name)
    }


def strip_url_credentials(url: str) -> str:
    """Remove the credentials from a URL.

    ``https://user:token@host/x.git`` becomes ``https://host/x.git``; for ssh URLs the user
    name is kept and only a password dropped (``ssh://git:pw@host/x`` becomes
    ``ssh://git@host/x``) since ssh needs it and it is not a secret. Query parameters whose
    names look secret (``?access_token=...``, ``&sig=...``) are removed; everything else is
    kept byte for byte. Strings that are not ``scheme://`` URLs, such as the scp-like
    ``git@github.com:org/repo.git`` or local paths, are returned unchanged.

    Args:
        url: The URL.

    Returns:
        The URL without credentials.
    """
    match = _URL_RE.match(url)
    if match is None:
        return url
    scheme, netloc, rest = match.group("scheme", "netloc", "rest")
    userinfo, at, host = netloc.rpartition("@")
    if at:
        user, _colon, _password = userinfo.partition(":")
        if scheme.lower() in _SSH_SCHEMES and user and not is_secret_name(user):
            netloc = f"{user}@{host}"
        else:
            netloc = host
    path, hash_, fragment = rest.partition("#")
    path, question, query = path.partition("?")
    if question:
        kept = [part for part in query.split("&") if not _is_secret_query_part(part)]
        query = "&".join(kept)
        question = "?" if kept else ""
    return f"{scheme}://{netloc}{path}{question}{query}{hash_}{fragment}"


def redact_text(text: str) -> str:
    """Mask well-known secret formats anywhere in a text.

    Masked with ``***REDACTED***``: GitHub tokens (``ghp_``, ``gho_``, ``ghu_``, ``ghs_``,
    ``ghr_``, ``github_pat_``), OpenAI/Anthropic keys (``sk-...``, ``sk-ant-...``), AWS
    access key ids (``AKIA``/``ASIA`` + 16), Slack tokens (``xoxb-`` ...), Google API keys
    (``AIza...``), PEM private key blocks, ``Bearer`` tokens, ``Authorization: Basic``
    credentials and ``user:password@`` in URLs (the scheme word and the URL stay readable).

    Args:
        text: Any text, e.g. a diff or an environment value.

    Returns:
        The text with the secrets masked.
    """
    return _compiled().sub(_replace, text)


def _replace(match: re.Match[str]) -> str:
    for group in ("bearer", "bearer2", "basic", "userinfo"):
        start = match.start(group)
        if start >= 0:
            offset = start - match.start()
            whole = match.group(0)
            return whole[:offset] + REDACTED + whole[offset + len(match.group(group)) :]
    return REDACTED


def _is_secret_query_part(part: str) -> bool:
    from urllib.parse import unquote_plus

    name = unquote_plus(part.partition("=")[0]).strip()
    return is_secret_name(name) or name.lower() in _SECRET_QUERY_NAMES


# Query parameters of connection URLs whose value is a credential.
_SECRET_QUERY_KEYS = frozenset({"password", "passwd", "pwd", "secret", "token", "sslpassword"})


def mask_url(url: str) -> str:
    """Return ``url`` with its password (and password-like query values) replaced by ``***``.

    fsspec's chained URLs (``simplecache::s3://key:secret@bucket/x``) are masked link by
    link.

    Args:
        url: A database or filesystem URL such as ``postgresql://user:secret@host/db``.

    Returns:
        The URL safe to log or show, e.g. ``postgresql://user:***@host/db``.
    """
    if "::" in url:
        return "::".join(mask_url(part) for part in url.split("::"))
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, hostinfo = netloc.rpartition("@")
            if ":" in userinfo:
                user = userinfo.split(":", 1)[0]
                netloc = f"{user}:{MASK}@{hostinfo}"
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            if any(k.lower() in _SECRET_QUERY_KEYS for k, _ in pairs):
                query = urlencode(
                    [(k, MASK if k.lower() in _SECRET_QUERY_KEYS else v) for k, v in pairs],
                    safe="*",
                )
        if netloc == parts.netloc and query == parts.query:
            return url  # nothing to hide: as given (urlunsplit rewrites sqlite:////abs/x.db)
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        # An unparsable URL may still hold a secret: show only its scheme.
        return url.split("://", 1)[0] + "://" + MASK


def url_secrets(url: str) -> list[str]:
    """The secret parts of a URL (password, secret query values), raw and percent-decoded.

    Longest first, so that a secret containing another is replaced whole.
    """
    from urllib.parse import parse_qsl, unquote, urlsplit

    found: set[str] = set()
    for link in url.split("::"):  # fsspec's chained URLs
        try:
            parts = urlsplit(link)
            userinfo = parts.netloc.rpartition("@")[0]
            if ":" in userinfo:
                found.add(userinfo.split(":", 1)[1])
            for key, value in parse_qsl(parts.query, keep_blank_values=True):
                if key.lower() in _SECRET_QUERY_KEYS:
                    found.add(value)
        except ValueError:
            continue
    found |= {unquote(s) for s in found}
    return sorted((s for s in found if s), key=len, reverse=True)


# Query parameters Jupyter's access log hides (any name containing one of these).
_LOGGED_QUERY_WORDS = ("token", "auth", "key", "code", "state", "xsrf")


def scrub_url_query(url: str) -> str:
    """Return ``url`` with the values of secret-looking query parameters replaced by
    ``[secret]``, for logging a request.

    As Jupyter's access log does (``/api/x?token=[secret]``), and a little more: a
    parameter is hidden when its name (percent-decoded, any case) contains token, auth,
    key, code, state or xsrf, or looks secret to :func:`is_secret_name` (``sig``,
    ``password``, ...). Everything else is kept byte for byte, so the line still says which
    request it was.

    Args:
        url: A request URI (``/path?query``) or a whole URL.

    Returns:
        The URL safe to log.
    """
    head, hash_, fragment = url.partition("#")
    path, question, query = head.partition("?")
    if not question:
        return url
    parts = query.split("&")
    for i, part in enumerate(parts):
        name, equals, _value = part.partition("=")
        if equals and _is_logged_secret(name):
            parts[i] = f"{name}=[secret]"
    return f"{path}?{'&'.join(parts)}{hash_}{fragment}"


def _is_logged_secret(name: str) -> bool:
    from urllib.parse import unquote_plus

    lowered = unquote_plus(name).strip().lower()
    return (
        any(word in lowered for word in _LOGGED_QUERY_WORDS)
        or is_secret_name(lowered)
        or lowered in _SECRET_QUERY_NAMES
    )


class Scrubber:
    """Removes known secrets (and well-known token formats) from text before it is shown.

    Driver and filesystem errors may quote the URL they were given, password included: a
    store keeps a scrubber built from its URLs and passes every message through it.

    Args:
        urls: Settings that may hold credentials: each URL is replaced by its masked form,
            then every secret part left anywhere by ``***``.
    """

    def __init__(self, *urls: str) -> None:
        self._urls = [(url, mask_url(url)) for url in urls if url]
        self._secrets = sorted(
            {secret for url in urls if url for secret in url_secrets(url)},
            key=len,
            reverse=True,
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        """The secrets this scrubber removes (longest first)."""
        return tuple(self._secrets)

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def leaks(self, text: str) -> bool:
        """Whether ``text`` quotes one of the secrets."""
        return any(secret in text for secret in self._secrets)

    def __call__(self, text: str) -> str:
        """Return ``text`` with the URLs masked, the secrets and token formats removed."""
        for url, masked in self._urls:
            text = text.replace(url, masked)
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return redact_text(text)


# -- secrets in code and parameters ---------------------------------------------------------

# Name components that mark a parameter as a credential (split on "_" and case changes).
_SECRET_COMPONENTS = frozenset(
    {"token", "secret", "password", "passwd", "passphrase", "pwd", "credential", "credentials"}
)
# "key" is a secret only after one of these (api_key, access_key): `key = "label"` is not.
_KEY_QUALIFIERS = frozenset({"api", "access", "secret", "private", "signing", "auth", "master"})
_NAME_PARTS_RE = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def _name_parts(name: str) -> list[str]:
    return [part.lower() for part in _NAME_PARTS_RE.findall(name)]


def is_secret_param(name: str, value: object) -> bool:
    """Whether a parameter holds a credential that must not be stored.

    A string value in a well-known token format (see :func:`redact_text`) is one whatever
    its name; so is a non-empty string assigned to a name made of a credential word
    (``api_token``, ``password``, ``aws_access_key_id``, ``secretKey``), but not a
    ``tokenizer`` or a ``key`` alone.
    """
    if not isinstance(value, str) or not value.strip():
        return False
    if redact_text(value) != value:
        return True
    parts = _name_parts(name)
    if any(part in _SECRET_COMPONENTS for part in parts):
        return True
    return any(
        part in ("key", "keys") and i > 0 and parts[i - 1] in _KEY_QUALIFIERS
        for i, part in enumerate(parts)
    )


def secret_params(params: Mapping[str, object]) -> list[str]:
    """The names of the parameters that hold credentials (see :func:`is_secret_param`)."""
    return [name for name, value in params.items() if is_secret_param(str(name), value)]
