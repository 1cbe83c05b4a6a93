"""The Customers screen's filter panel: group, created dates, discount, sales tax, tags,
and which customers to show: the active ones (the default), the archived ones alone (to
find someone to restore), or both.

It only reads what the person typed and turns it into the keyword filters of a customer
search (``services.customers.page`` / ``count``); which customers match is the core's
business.
A filter typed wrongly (a date that is not a date) is shown in red and left out, so the
list never goes blank because of a typo.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select, Static
from textual.widgets.select import InvalidSelectValueError

from tillterm.core.money import parse_amount
from tillterm.i18n import _
from tillterm.ui.plain import plain, plain_options

#: a frozen, comparable form of the filters: ``(("group_id", 3), ("tags_all", ("bio",)))``
FilterItems = tuple[tuple[str, object], ...]

NO_GROUP = 0

#: the "Show" choice beside the default (blank: active customers only), and the search
#: keyword each one sets; an archived row is marked "(archived)" in the list itself
SHOW_CHOICES: tuple[tuple[str, str], ...] = (
    (_("Archived only"), "archived_only"),
    (_("Active and archived"), "include_archived"),
)


def parse_day(text: str) -> dt.date:
    """A day as a person types it: ``2026-03-01``, ``01/03/2026``, ``1.3.2026``."""
    cleaned = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y"):
        try:
            return dt.datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    raise ValueError(_("“{text}” is not a date (e.g. 2026-03-01)").format(text=cleaned))


def split_tags(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def filters_as_kwargs(items: FilterItems) -> dict[str, object]:
    """The keyword arguments for ``search_customers`` / ``count_customers``."""
    return {key: list(value) if isinstance(value, tuple) else value for key, value in items}


class CustomerFilters(Vertical):
    """Filter fields in three compact lines; posts :class:`Changed` on every edit."""

    DEFAULT_CSS = """
    CustomerFilters {
        height: auto;
        padding: 0 1;
        border-bottom: solid $primary;

        & > Horizontal {
            height: 1;
            width: 100%;
        }
        & Label {
            width: 10;
            color: $text-muted;
        }
        & Label.second {
            width: 11;
            padding-left: 1;
        }
        & Select, & Input {
            width: 1fr;
        }
        & Input.-bad {
            color: $error;
            text-style: bold;
        }
        & #filter-problem {
            color: $error;
            height: auto;
            display: none;
        }
        & #filter-problem.-shown {
            display: block;
        }
    }
    """

    @dataclass
    class Changed(Message):
        """The person edited a filter; ``items`` are the usable filters now."""

        filters: CustomerFilters
        items: FilterItems

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(plain(_("Group")))
            yield Select[int]([], prompt=_("Any group"), id="filter-group", compact=True)
            yield Label(plain(_("Sales tax")), classes="second")
            yield Select[int]([], prompt=_("Any tax"), id="filter-tax", compact=True)
        with Horizontal():
            yield Label(plain(_("Created")))
            yield Input(placeholder=_("from YYYY-MM-DD"), id="filter-from", compact=True)
            yield Input(placeholder=_("to YYYY-MM-DD"), id="filter-to", compact=True)
            yield Label(plain(_("Discount")), classes="second")
            yield Input(placeholder=_("any, or 10"), id="filter-discount", compact=True)
        with Horizontal():
            yield Label(plain(_("With tags")))
            yield Input(placeholder=_("bio, b2b"), id="filter-tags-all", compact=True)
            yield Label(plain(_("Without")), classes="second")
            yield Input(placeholder=_("late payer"), id="filter-tags-none", compact=True)
        with Horizontal():
            yield Label(plain(_("Show")))
            yield Select[str](
                plain_options(SHOW_CHOICES),
                prompt=_("Active customers"),
                id="filter-show",
                compact=True,
            )
        yield Static("", id="filter-problem", markup=False)

    def set_choices(
        self, groups: Sequence[tuple[str, int]], taxes: Sequence[tuple[str, int]]
    ) -> None:
        """Fill the group and tax lists (loaded from the database by the screen)."""
        group = self.query_one("#filter-group", Select)
        keep = group.value
        group.set_options(plain_options([(_("(no group)"), NO_GROUP), *groups]))
        if keep is not Select.NULL and any(v == keep for _, v in [("", NO_GROUP), *groups]):
            group.value = keep
        tax = self.query_one("#filter-tax", Select)
        keep = tax.value
        tax.set_options(plain_options(taxes))
        if keep is not Select.NULL and any(v == keep for _, v in taxes):
            tax.value = keep

    def select_group(self, group_id: int) -> None:
        select = self.query_one("#filter-group", Select)
        try:
            select.value = group_id
        except InvalidSelectValueError:  # deleted meanwhile: show everyone instead
            select.clear()

    def clear(self) -> None:
        """Back to "every customer" (posts :class:`Changed` once the fields settle)."""
        for select in self.query(Select):
            select.clear()
        for field in self.query(Input):
            field.value = ""

    @property
    def active(self) -> bool:
        return bool(self.items()[0])

    def items(self) -> tuple[FilterItems, list[str]]:
        """The usable filters and, separately, what could not be understood."""
        out: list[tuple[str, object]] = []
        problems: list[str] = []
        group = self.query_one("#filter-group", Select).value
        if group is not Select.NULL:
            out.append(("group_id", group))
        tax = self.query_one("#filter-tax", Select).value
        if tax is not Select.NULL:
            out.append(("tax_rate_id", tax))
        show = self.query_one("#filter-show", Select).value
        if isinstance(show, str):
            out.append((show, True))
        for widget_id, key in (("#filter-from", "created_from"), ("#filter-to", "created_to")):
            field = self.query_one(widget_id, Input)
            bad = False
            if field.value.strip():
                try:
                    out.append((key, parse_day(field.value)))
                except ValueError as exc:
                    problems.append(str(exc))
                    bad = True
            field.set_class(bad, "-bad")
        discount_field = self.query_one("#filter-discount", Input)
        discount = discount_field.value.strip()
        bad = False
        if discount:
            if discount.casefold() in {"any", "*", "yes", "y", _("any").casefold()}:
                out.append(("discount", "any"))
            else:
                try:
                    value: Decimal = parse_amount(discount.rstrip("%").strip())
                    out.append(("discount", value))
                except ValueError:
                    problems.append(
                        _("“{text}” is not a discount: type any, or e.g. 10").format(text=discount)
                    )
                    bad = True
        discount_field.set_class(bad, "-bad")
        with_tags = split_tags(self.query_one("#filter-tags-all", Input).value)
        if with_tags:
            out.append(("tags_all", with_tags))
        without = split_tags(self.query_one("#filter-tags-none", Input).value)
        if without:
            out.append(("tags_none", without))
        return tuple(out), problems

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self, event: Input.Changed | Select.Changed) -> None:
        event.stop()
        items, problems = self.items()
        problem = self.query_one("#filter-problem", Static)
        problem.update(plain("; ".join(problems)))
        problem.set_class(bool(problems), "-shown")
        self.post_message(self.Changed(self, items))
