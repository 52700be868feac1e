"""The local AWS world: the emulator with its state kept in a folder between commands.

``pipeline run --local`` registers a model package, ``approve`` and ``deploy --local`` find it there later: each
command opens the world, which loads the saved emulator state, and saves it again when the command ends. An
exclusive lock on the folder makes two commands run one after the other, never interleaved. Every request is in
the project's account (the dev account), so ARNs look like the ones on AWS.

The state is a pickle of moto's backends for the services below, behind a one-line JSON header (format and moto
version). A state from another moto version is refused, not guessed at: ``local reset`` starts a new world.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import io
import json
import logging
import os
import pickle
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from ...errors import MlopsError
from . import emulator
from .emulator import Aws

log = logging.getLogger(__name__)

FORMAT = 1
KIND = "mlops-local-world"
STATE_FILE = "state.pickle"
LOCK_FILE = "lock"
LOCK_TIMEOUT = 600.0  # seconds a command waits for the one holding the world (a long local run, say)
_TEMP_PREFIX = ".state-"
_HEADER_LIMIT = 4096

# moto services whose state the world keeps (moto.backends.get_backend names, which are also their BackendDicts'
# service_name). Others start empty every command.
SERVICES = (
    "s3",
    "kms",
    "sagemaker",
    "sagemaker-runtime",
    "cloudwatch",
    "logs",
    "events",
    "scheduler",
    "sns",
    "ssm",
    "sts",
    "iam",
)


class WorldError(MlopsError):
    """The local world cannot be opened or saved: locked too long, unreadable, from another moto version."""


def state_file(folder: Path) -> Path:
    return Path(folder) / STATE_FILE


@contextlib.contextmanager
def open_world(
    folder: Path,
    *,
    account: str,
    region: str,
    cli: str | None = None,
    timeout: float = LOCK_TIMEOUT,
    waiting: Callable[[str], None] | None = None,
) -> Iterator[Aws]:
    """The emulator with the state saved in ``folder``; saved again on exit, also when the block raised.

    Takes the folder's lock first (waiting at most ``timeout`` seconds; ``waiting`` is told once if it has to
    wait). Requests are in ``account``. ``cli`` names the command line in the reset hint of errors.
    """
    folder = Path(folder)
    path = state_file(folder)
    with _owned(folder, timeout, waiting):
        started = time.perf_counter()
        loaded = False
        with emulator.server() as endpoint:
            try:
                emulator.reset_state(endpoint)  # whatever an earlier emulator left in this process
                # Unpickle only after the reset: moto's reset disposes every S3 object it ever tracked (FakeKey
                # instances register themselves when created, unpickled ones too), emptying their bodies.
                _restore(_read(path, account, cli))
                loaded = True
                log.debug("opened %s in %.0f ms", folder, (time.perf_counter() - started) * 1000)
                yield Aws(emulator.emulator_session(region, account), endpoint)
            finally:
                try:
                    if loaded:  # never overwrite a good state with one that failed to load
                        _write(path, _snapshot(), account=account, region=region)
                finally:
                    emulator.reset_state(endpoint)  # the objects are on disk: free them, leave nothing behind


def reset(folder: Path, *, timeout: float = LOCK_TIMEOUT) -> bool:
    """Remove the saved state (under the lock); True if there was anything to remove."""
    folder = Path(folder)
    if not folder.is_dir():
        return False
    with _owned(folder, timeout, None):
        removed = False
        for path in [state_file(folder), *folder.glob(f"{_TEMP_PREFIX}*.tmp")]:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed = True
        return removed


# --- lock -------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _owned(folder: Path, timeout: float, waiting: Callable[[str], None] | None) -> Iterator[None]:
    """This process's emulator state, then the folder's lock (in that order: a second flock here would wait)."""
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(emulator.hold(f"the local world {folder}"))
        except emulator.EmulatorBusy as exc:
            raise WorldError(str(exc)) from exc
        stack.enter_context(_locked(folder, timeout, waiting))
        yield


@contextlib.contextmanager
def _locked(folder: Path, timeout: float, waiting: Callable[[str], None] | None) -> Iterator[None]:
    """``fcntl.flock`` on folder/lock. The kernel drops it when the process ends: no stale locks."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(path)
                if time.monotonic() >= deadline:
                    raise WorldError(
                        f"the local world is busy: {holder} has held the lock {path} for more than {timeout:g} s; "
                        "wait for that command to finish and try again"
                    ) from None
                if waiting is not None and not told:
                    waiting(f"waiting for {holder} to release the local world (lock {path})")
                    told = True
                time.sleep(0.05)
        # Who holds it, for the message of whoever waits; the lock itself is the flock, not this text.
        command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:3]]) if sys.argv and sys.argv[0] else "python"
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {command}"[:200].encode(), 0)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(lock: Path) -> str:
    with contextlib.suppress(OSError, ValueError):
        pid, _, command = lock.read_text(encoding="utf-8").partition(" ")
        if pid.strip():
            return f"process {int(pid)} ({command.strip() or 'unknown command'})"
    return "another command"


# --- state --------------------------------------------------------------------------------------------------------


def _hint(path: Path, cli: str | None) -> str:
    command = f"{cli} local reset" if cli else "local reset"
    return f"run `{command}` to start a new local world (this deletes {path})"


def _header(account: str, region: str) -> bytes:
    import moto

    fields = {
        "kind": KIND,
        "format": FORMAT,
        "moto": moto.__version__,
        "python": ".".join(map(str, sys.version_info[:3])),
        "account": account,
        "region": region,
        "saved": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return json.dumps(fields, sort_keys=True).encode() + b"\n"


def _read(path: Path, account: str, cli: str | None) -> dict[str, Any] | None:
    """The saved services, or None if there is no saved state yet."""
    import moto

    try:
        f = path.open("rb")
    except FileNotFoundError:
        return None
    started = time.perf_counter()
    with f:
        try:
            header = json.loads(f.readline(_HEADER_LIMIT))
            if not isinstance(header, dict) or header.get("kind") != KIND:
                raise ValueError("no local world header")
        except ValueError as exc:
            raise WorldError(f"the local world state {path} is corrupt ({exc}); {_hint(path, cli)}") from exc
        if header.get("format") != FORMAT or header.get("moto") != moto.__version__:
            raise WorldError(
                f"the local world state {path} was written in format {header.get('format')} with moto "
                f"{header.get('moto')}; this is format {FORMAT} with moto {moto.__version__} and cannot read it; "
                f"{_hint(path, cli)}"
            )
        if header.get("account") != account:
            raise WorldError(
                f"the local world state {path} belongs to account {header.get('account')}, "
                f"the project's is {account}; {_hint(path, cli)}"
            )
        try:
            # Unpickling runs code named in the file: only ever done on the state file this module wrote, in the
            # project's own .mlops folder (never a downloaded or shared one), after checking its header.
            state = pickle.load(f)  # noqa: S301 - our own file, see above
            services = state["services"]
        except Exception as exc:
            raise WorldError(f"the local world state {path} is corrupt ({exc!r}); {_hint(path, cli)}") from exc
    log.debug("read %s (%d bytes) in %.0f ms", path, path.stat().st_size, (time.perf_counter() - started) * 1000)
    return services


def _base_attributes() -> set[str]:
    from moto.core.base_backend import BackendDict

    probe: Any = BackendDict  # an empty BackendDict, only for its own attribute names
    probe = probe(object, "probe")
    return set(vars(probe))


def _snapshot() -> dict[str, Any]:
    """Each service's backends by account, and the extra attributes of its BackendDict (S3's bucket_accounts).

    Only the services in use: moto lists them (``BackendDict._instances``, what its reset clears). Asking
    ``get_backend`` for the others would import their moto modules, seconds for nothing: they hold no state.
    """
    from moto.core.base_backend import BackendDict

    base = _base_attributes()
    services = {}
    for live in list(BackendDict._instances):  # type: ignore[misc]  # moto's registry of backends in use
        if live.service_name in SERVICES:
            extra = {key: value for key, value in vars(live).items() if key not in base}
            services[live.service_name] = {"backends": dict(live), "attributes": extra}
    return services


def _restore(services: dict[str, Any] | None) -> None:
    from moto.backends import get_backend

    for name, saved in (services or {}).items():
        live: Any = get_backend(name)  # type: ignore[call-overload]  # names from SERVICES, checked by a test
        live.clear()
        live.update(saved["backends"])
        for key, value in saved["attributes"].items():
            setattr(live, key, value)
        for account in saved["backends"]:
            live[account]  # registers the dict with moto's reset (BackendDict._instances), as a request would


def _write(path: Path, services: dict[str, Any], *, account: str, region: str) -> None:
    """Atomically: a temporary file in the same folder, fsync, rename over the old state."""
    started = time.perf_counter()
    fd, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_header(account, region))
            try:
                _Pickler(f).dump({"services": services})
            except Exception as exc:
                raise WorldError(f"cannot save the local world to {path}: {_culprit(services, exc)}") from exc
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself
    finally:
        os.close(directory)
    log.debug("saved %s (%d bytes) in %.0f ms", path, path.stat().st_size, (time.perf_counter() - started) * 1000)


def _culprit(services: dict[str, Any], exc: Exception) -> str:
    for name, saved in services.items():
        try:
            _Pickler(_Discard()).dump(saved)
        except Exception as found:
            return f"the {name} emulator holds something that does not pickle ({found!r})"
    return repr(exc)


class _Discard(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return len(data)


# --- what moto keeps that pickle cannot ----------------------------------------------------------------------------


def _private_key(der: bytes) -> Any:
    return serialization.load_der_private_key(der, password=None)


def _public_key(der: bytes) -> Any:
    return serialization.load_der_public_key(der)


def _defaultdict(cls: type[defaultdict[Any, Any]], factory: Any) -> defaultdict[Any, Any]:
    """A defaultdict (sub)class without calling its ``__init__``, which may want other arguments (SSM's)."""
    made = cls.__new__(cls)
    defaultdict.__init__(made, factory)
    return made


def _versioned_store(cls: type[dict[Any, Any]], lists: list[tuple[Any, list[Any]]]) -> dict[Any, Any]:
    """moto's S3 key store with every version of every key (its own ``__setitem__`` would append)."""
    made = cls.__new__(cls)
    for key, versions in lists:
        dict.__setitem__(made, key, list(versions))
    return made


class _Template:
    """A picklable stand-in for a ``defaultdict`` factory that is a lambda: makes copies of its (empty) result."""

    def __init__(self, template: Any) -> None:
        self.template = template

    def __call__(self) -> Any:
        return copy.deepcopy(self.template)


_EMPTY_CONTAINERS = (dict, list, set)
_PRIVATE_KEYS = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
    dsa.DSAPrivateKey,
)
_PUBLIC_KEYS = (
    rsa.RSAPublicKey,
    ec.EllipticCurvePublicKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
    dsa.DSAPublicKey,
)


class _Pickler(pickle.Pickler):
    """pickle, plus the objects moto keeps that pickle would lose or refuse, for this pickler only (no copyreg).

    * KMS asymmetric keys are ``cryptography`` Rust objects: saved as DER (PKCS8 / SubjectPublicKeyInfo).
    * ``defaultdict(lambda: defaultdict(dict))`` (SSM's tags): the lambda becomes a ``_Template``.
    * ``defaultdict`` subclasses whose ``__init__`` takes other arguments (SSM's ``ParameterDict``): pickle's own
      reduction calls ``cls(default_factory)`` on load; rebuilt without ``__init__``, then their ``__dict__``.
    * S3's versioned key store (a dict of version lists whose ``items()`` shows the latest only): all versions.
    """

    def __init__(self, file: BinaryIO | io.RawIOBase) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)

    def reducer_override(self, obj: Any) -> Any:
        if type(obj).__name__ == "_VersionedKeyStore":
            # moto's S3 keys: items() yields only each key's latest version, so pickle's dict reduction would keep
            # one version per key and lose the rest (an overwritten audit entry would look untouched).
            lists = [(key, dict.__getitem__(obj, key)) for key in dict.keys(obj)]
            return _versioned_store, (type(obj), lists), getattr(obj, "__dict__", None) or None
        if isinstance(obj, _PRIVATE_KEYS):
            der = obj.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            return _private_key, (der,)
        if isinstance(obj, _PUBLIC_KEYS):
            der = obj.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
            return _public_key, (der,)
        if isinstance(obj, defaultdict) and (type(obj) is not defaultdict or _is_local_function(obj.default_factory)):
            factory: Any = obj.default_factory
            if _is_local_function(factory):
                template = factory()
                if not isinstance(template, _EMPTY_CONTAINERS) or template:
                    raise pickle.PicklingError(f"defaultdict factory {factory!r} makes {template!r}")
                factory = _Template(template)
            return _defaultdict, (type(obj), factory), getattr(obj, "__dict__", None) or None, None, iter(obj.items())
        return NotImplemented


def _is_local_function(factory: Any) -> bool:
    qualname = getattr(factory, "__qualname__", "")
    return callable(factory) and ("<lambda>" in qualname or "<locals>" in qualname)
