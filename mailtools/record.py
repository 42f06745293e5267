"""Plain records with defaults, like dataclasses, without importing dataclasses.

``dataclasses`` imports ``inspect`` (~5 ms); mq-send and bounce-ingest start
once per message, so the types on their path are built on this instead.
Fields are the class annotations in order; a ``Factory`` default is called
per instance (for lists and dicts).
"""

from __future__ import annotations


class Factory:
    def __init__(self, make) -> None:  # noqa: ANN001 - any zero-argument callable
        self.make = make


class Record:
    _fields: tuple[str, ...] = ()
    _types: dict[str, str] = {}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        types: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            for name, kind in klass.__dict__.get("__annotations__", {}).items():
                if not name.startswith("_"):
                    types[name] = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
        cls._types = types
        cls._fields = tuple(types)

    def __init__(self, *args, **kwargs) -> None:
        if len(args) > len(self._fields):
            raise TypeError(f"{type(self).__name__} takes at most {len(self._fields)} positional arguments")
        kwargs.update(zip(self._fields, args, strict=False))
        for name in self._fields:
            if name in kwargs:
                value = kwargs.pop(name)
            elif hasattr(type(self), name):
                value = getattr(type(self), name)
                if isinstance(value, Factory):
                    value = value.make()
            else:
                raise TypeError(f"{type(self).__name__}: missing argument {name!r}")
            setattr(self, name, value)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected argument(s) {', '.join(kwargs)}")

    def to_dict(self) -> dict:
        return {name: _plain(getattr(self, name)) for name in self._fields}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable, like a dataclass

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({inner})"


def _plain(value):  # noqa: ANN001, ANN202
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
