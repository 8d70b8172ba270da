"""The interface between the core and an ORM, and the id converters it shares."""

from __future__ import annotations

import abc
import dataclasses
import importlib.util
import inspect
import typing as t
import uuid

from ..errors import ConfigurationError

if t.TYPE_CHECKING:
    from flask import Flask

#: Turns an id read from a token into the primary key's type, or raises
#: :class:`InvalidEntityId`.
IdConverter = t.Callable[[object], object]

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


class InvalidEntityId(ValueError):
    """A token's id cannot be the primary key of the entity it names."""


class EntityStoreError(Exception):
    """The store behind a backend failed (the database is down, a timeout).

    Backends raise it instead of their driver's exception; the request is then
    answered 503, so that clients keep a token that is still good.
    """


class BackendNotInstalled(ConfigurationError, ImportError):
    """A backend was asked for, but the ORM it needs is not installed.

    The message names the extra to install, such as
    ``pip install flask-jwt-router[peewee]``.
    """


def package_available(package: str) -> bool:
    """Whether ``package`` can be imported; it is looked for, not imported."""
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def require_package(package: str, backend: str, extra: str) -> None:
    """Raise :class:`BackendNotInstalled` unless ``package`` can be imported.

    :param backend: the backend's name as users know it, such as ``"Peewee"``.
    :param extra: the extra of flask-jwt-router that installs ``package``.
    """
    if not package_available(package):
        raise BackendNotInstalled(
            f"The {backend} entity backend needs the '{package}' package, which is"
            f" not installed. Install it with: pip install flask-jwt-router[{extra}]"
        )


@dataclasses.dataclass(frozen=True)
class PrimaryKey:
    """The primary key of an entity model."""

    #: Column name; tokens carry the id under this claim, as 0.2 did.
    name: str
    #: The Python type of the key's values: ``int``, ``str``, ``uuid.UUID``...
    python_type: type


class EntityBackend(abc.ABC):
    """Connects the extension to the models of one ORM.

    The registry asks each backend in turn whether it :meth:`handles` a model
    and uses the first that does. Everything but :meth:`load` runs once per
    model when an app is set up; per request, only the id converter and
    :meth:`load` run. A backend instance may serve several apps, so it keeps
    no per-app or per-request state of its own.

    See ``docs/backends/custom.rst`` for writing one.
    """

    #: Short name used in messages, such as ``"sqlalchemy"``.
    name: str = "custom"

    @abc.abstractmethod
    def handles(self, model: object) -> bool:
        """Whether ``model`` belongs to this backend.

        Any object can be passed in, not only classes. Must not import an ORM
        the app does not use: look in ``sys.modules`` first.
        """

    @abc.abstractmethod
    def table_name(self, model: t.Any) -> str:
        """The table name that tokens carry for ``model``: a non-empty string.

        It is also the name of the entity on ``flask.g``.
        """

    @abc.abstractmethod
    def primary_key(self, model: t.Any) -> PrimaryKey:
        """The single-column primary key of ``model``: its column name, which
        new tokens carry the id under, and the Python type of its values.

        :raises ConfigurationError: when there is none, it is composite, or
            its type cannot name an entity.
        """

    def id_converter(self, model: t.Any) -> IdConverter:
        """The function that turns a token's id into a value for :meth:`load`.

        It raises :class:`InvalidEntityId` for a value that cannot be a key
        (the request is then refused with 401). The default picks the
        converter for the key's ``python_type``: ``int``, ``str`` or
        ``uuid.UUID``.
        """
        return converter_for(self.primary_key(model).python_type)

    @abc.abstractmethod
    def load(self, model: t.Any, entity_id: object) -> object | None:
        """Load one entity by its already converted id.

        :returns: the entity, or ``None`` when there is none, including when
            the store refuses the value itself (out of range for its column,
            say). An ORM's own not-found exception never escapes.
        :raises EntityStoreError: when the store fails (down, timing out);
            the request is answered 503.
        """

    def instance_id(self, model: t.Any, instance: object) -> object:
        """The primary key value of ``instance``, a loaded entity of ``model``.

        Used by :mod:`flask_jwt_router.testing` to mint tokens for an entity.

        .. versionadded:: 1.0
        """
        return getattr(instance, self.primary_key(model).name)

    def init_app(self, app: Flask) -> None:  # noqa: B027 - optional hook
        """Prepare for ``app``; called once from ``JwtRoutes.init_app``, where
        request hooks may still be registered."""

    def check_model(self, model: t.Any) -> None:  # noqa: B027 - optional hook
        """Fail before the first request is served if ``model`` cannot be
        loaded in this app (no session or database, for example).

        Called inside an app context, once per app.

        :raises ConfigurationError: naming the model and the fix.
        """


def converter_for(python_type: type) -> IdConverter:
    """Return the converter for primary keys of ``python_type``."""
    if python_type is bool:
        raise TypeError("a boolean primary key cannot name an entity")

    if issubclass(python_type, int):
        return to_int

    if issubclass(python_type, uuid.UUID):
        return to_uuid

    if issubclass(python_type, str):
        return to_str

    raise TypeError(f"no id converter for primary keys of type {python_type!r}")


def to_int(value: object) -> int:
    """Accept an int, or a string of decimal digits, within 64 bits."""
    if isinstance(value, bool):
        raise InvalidEntityId("a boolean is not an integer id")

    if isinstance(value, str):
        digits = value[1:] if value.startswith("-") else value

        if not (0 < len(digits) <= 19 and digits.isascii() and digits.isdigit()):
            raise InvalidEntityId("not an integer id")

        value = int(value)

    if not isinstance(value, int) or not _INT64_MIN <= value <= _INT64_MAX:
        raise InvalidEntityId("not an integer id within 64 bits")

    return value


def to_str(value: object) -> str:
    """Accept a non-empty string without NUL characters."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidEntityId("not a string id")

    text = str(value)

    if not text or "\x00" in text or len(text) > 1024:
        raise InvalidEntityId("not a usable string id")

    return text


def to_uuid(value: object) -> uuid.UUID:
    """Accept a UUID in any of its usual string forms."""
    if isinstance(value, uuid.UUID):
        return value

    if not isinstance(value, str) or len(value) > 64:
        raise InvalidEntityId("not a UUID id")

    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidEntityId("not a UUID id") from None


def is_async_callable(func: object) -> bool:
    """Whether calling ``func`` returns a coroutine (``async def``, also as a
    ``functools.partial`` or an object with an ``async def __call__``).

    .. versionadded:: 1.0
    """
    if inspect.iscoroutinefunction(func):
        return True

    # An object whose __call__ method is ``async def``.
    return callable(func) and inspect.iscoroutinefunction(func.__call__)


def require_async_support(what: str) -> None:
    """Fail at startup when an async loader cannot be run.

    :param what: names the loader in the message.
    :raises ConfigurationError: when asgiref is not installed.

    .. versionadded:: 1.0
    """
    try:
        import asgiref.sync  # noqa: F401
    except ImportError:
        from ..errors import ConfigurationError

        raise ConfigurationError(
            f"{what} is an async function; running it needs asgiref. Install"
            " it with: pip install 'flask-jwt-router[async]'."
        ) from None


def call_maybe_async(func: t.Callable[..., t.Any], *args: t.Any) -> t.Any:
    """Call ``func`` from synchronous code, awaiting its result if needed.

    Loaders run in Flask's synchronous request handling (also for async
    views), so an async loader runs to completion here through asgiref, in
    the same way Flask runs async views.

    .. versionadded:: 1.0
    """
    if is_async_callable(func):
        from asgiref.sync import async_to_sync

        return async_to_sync(func)(*args)

    result = func(*args)

    if inspect.isawaitable(result):
        from asgiref.sync import async_to_sync

        return async_to_sync(_wait)(result)

    return result


async def _wait(awaitable: t.Awaitable[t.Any]) -> t.Any:
    return await awaitable
