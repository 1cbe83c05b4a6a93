"""Tags: free keywords on customers ("newsletter", "wedding 2026").

A tag is spelled as first typed and compared trimmed, with inner spaces collapsed and
case ignored, so "Wine  club" and "wine club" are one tag. Tags are created on first
use; a customer's tags are replaced as a whole from the profile.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, insert, select
from sqlmodel import Session, col

from tillterm.core.errors import ValidationFailed
from tillterm.core.typed_text import text_problem
from tillterm.i18n import _, pgettext
from tillterm.store.models import CustomerTag, Tag, table_of

MAX_LENGTH = 60
#: writes go through the tables (Core): ORM-enabled bulk statements cost milliseconds
_TAG = table_of(Tag)
_LINK = table_of(CustomerTag)


def normalise_tag(name: str) -> str:
    """The tag as it is kept: trimmed, inner whitespace collapsed (case kept)."""
    return " ".join(str(name).split())


def tag_key(name: str) -> str:
    """What two tags are compared by."""
    return normalise_tag(name).casefold()


def parse_tags(value: str | Iterable[str] | None) -> list[str]:
    """Tags from a comma-separated text or a list, normalised, blanks and repeats dropped."""
    if value is None:
        return []
    parts = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    seen: dict[str, str] = {}
    for part in parts:
        tag = normalise_tag(part)
        if tag:
            seen.setdefault(tag.casefold(), tag)
    return list(seen.values())


def tag_problem(tags: Iterable[str]) -> str | None:
    """Why these tags cannot be saved, in a cashier's words (``None`` when they can)."""
    too_long = [t for t in tags if len(t) > MAX_LENGTH]
    if too_long:
        tag = too_long[0]
        shown = tag if len(tag) <= 40 else tag[:37] + "..."
        return _("tag “{tag}” is {count} characters (at most {limit})").format(
            tag=shown, count=len(tag), limit=MAX_LENGTH
        )
    for tag in tags:
        problem = text_problem(tag, MAX_LENGTH)
        if problem:
            return _("a tag: {problem}").format(problem=problem)
    return None


def list_tags(session: Session) -> list[str]:
    """Every tag, alphabetically (case ignored)."""
    return list(session.execute(select(col(Tag.name)).order_by(col(Tag.name_key))).scalars())


def tag_counts(session: Session) -> dict[str, int]:
    """Every tag with how many customers carry it."""
    stmt = (
        select(col(Tag.name), func.count(col(CustomerTag.customer_id)))
        .outerjoin(CustomerTag, col(CustomerTag.tag_id) == col(Tag.id))
        .group_by(col(Tag.id), col(Tag.name), col(Tag.name_key))
        .order_by(col(Tag.name_key))
    )
    return {name: int(count) for name, count in session.execute(stmt)}


def ensure_tags(session: Session, names: Iterable[str]) -> dict[str, int]:
    """Tag ids by key for these names, creating the missing tags."""
    wanted = {tag_key(n): normalise_tag(n) for n in names if normalise_tag(n)}
    if not wanted:
        return {}
    found = {
        key: int(tag_id)
        for key, tag_id in session.execute(
            select(col(Tag.name_key), col(Tag.id)).where(col(Tag.name_key).in_(list(wanted)))
        )
    }
    for key, name in wanted.items():
        if key not in found:
            found[key] = int(
                session.exec(
                    insert(_TAG).values(name=name, name_key=key).returning(_TAG.c.id)
                ).scalar_one()
            )
    return found


def customer_tags(session: Session, customer_id: int) -> tuple[str, ...]:
    stmt = (
        select(col(Tag.name))
        .join(CustomerTag, col(CustomerTag.tag_id) == col(Tag.id))
        .where(col(CustomerTag.customer_id) == customer_id)
        .order_by(col(Tag.name_key))
    )
    return tuple(session.execute(stmt).scalars())


def set_customer_tags(
    session: Session, customer_id: int, names: str | Iterable[str]
) -> tuple[str, ...]:
    """Replace a customer's tags (creating new tags as needed); returns them sorted."""
    tags = parse_tags(names)
    problem = tag_problem(tags)
    if problem:
        raise ValidationFailed({"tags": problem}, {"tags": pgettext("customer field", "Tags")})
    ids = ensure_tags(session, tags)
    session.exec(delete(_LINK).where(_LINK.c.customer_id == customer_id))
    if ids:
        session.exec(
            insert(_LINK),
            params=[{"customer_id": customer_id, "tag_id": tag_id} for tag_id in ids.values()],
        )
    return tuple(sorted(tags, key=str.casefold))
