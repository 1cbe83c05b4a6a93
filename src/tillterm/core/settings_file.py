"""One machine's settings in a small TOML file: read, section found, every value typed.

The scanner and the receipt printer belong to a machine, not to the store, so their
settings live in the user's configuration folder (``scanner.toml``, ``printer.toml``)
rather than the shared database. Both files are read the same way — a missing file is
the defaults, a value of the wrong type is refused naming the key — so it is done here,
once, for any frozen dataclass whose fields are ``str``, ``int`` or ``bool``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from tillterm.core.errors import TilltermError
from tillterm.i18n import _

_TYPES: dict[str, type] = {"str": str, "int": int, "bool": bool}


def read_settings(
    path: Path,
    section: str,
    settings: type,
    error: type[TilltermError],
    *,
    coerce: Mapping[str, Callable[[object], object]] | None = None,
) -> dict[str, Any] | None:
    """The values of ``[section]`` in ``path`` for the fields of ``settings``, each
    checked against its field's type (``None``: no file, use the defaults).

    ``coerce`` turns a key's value into its field's type first (a USB id written as a
    TOML number, ``0x04b8``, for a text field). Keys ``settings`` does not have are
    ignored, so a newer file still opens in an older tillterm. Raises ``error`` with the
    file's name and what is wrong.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(_("cannot read {path}: {error}").format(path=path, error=exc)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(_("{path} is not valid TOML: {error}").format(path=path, error=exc)) from exc
    table = data.get(section, data)
    if not isinstance(table, dict):
        raise error(_("{path}: [{section}] must be a table").format(path=path, section=section))
    values: dict[str, Any] = {}
    for field in fields(settings):
        if field.name not in table:
            continue
        value = table[field.name]
        if coerce and field.name in coerce:
            value = coerce[field.name](value)
        expected = _TYPES[str(field.type)]
        if (expected is int and isinstance(value, bool)) or not isinstance(value, expected):
            raise error(
                _("{path}: {name} must be a {type}").format(
                    path=path, name=field.name, type=expected.__name__
                )
            )
        values[field.name] = value
    return values
