"""A customer's profile and activity: who they are, what they bought, what they hold.

Opened from the Customers list (Enter, or a scanned card). The figures on the right —
recent sales, year-to-date spend, loyalty and account balances — are computed by the
core from the ledgers each time the profile opens, so they are never stale.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from tillterm.core.money import format_money
from tillterm.core.typed_text import visible_text
from tillterm.customers.ledger_reasons import shown_reason
from tillterm.customers.merging import MergeRecord, UndoDone
from tillterm.customers.phones import DEFAULT_REGION, display_phone, region_for_country
from tillterm.customers.records import CustomerActivity, CustomerRecord
from tillterm.i18n import _, ngettext, pgettext
from tillterm.i18n.formats import day, whole
from tillterm.services.customer_care import Opened
from tillterm.ui.messages import ScanReceived
from tillterm.ui.plain import plain
from tillterm.ui.screens.base import TillScreen
from tillterm.ui.screens.confirm import ConfirmScreen, KeyPromptScreen, PromptScreen
from tillterm.ui.styles import css
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.title_bar import TitleBar

LABEL_WIDTH = 10


def local_day(moment: dt.datetime | None) -> str:
    return day(moment.astimezone().date()) if moment else ""


def _percent(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f} %"


def _via(via: str) -> str:
    """How a consent was given, as stored ("form", "import", "register"), in words."""
    words = {"form": _("form"), "import": _("import"), "register": _("register"), "app": _("app")}
    return words.get(via, via)


def _sale_kind(kind: str) -> str:
    """A sale's kind as stored ("refund"), in words."""
    return {"refund": _("refund")}.get(kind, kind)


def _consent(shown: str, record: CustomerRecord, name: str) -> str:
    """A consent with when and how it was last set ("email (form, 2026-11-30)")."""
    at, via = getattr(record, f"{name}_at"), getattr(record, f"{name}_via")
    if at is None:
        return shown  # set before tillterm kept the record: nothing invented
    return f"{shown} ({_via(via)}, {local_day(at)})"


def profile_text(record: CustomerRecord, currency: str, region: str = DEFAULT_REGION) -> Text:
    """The left column: everything about the customer that is not activity.

    Phones are shown formatted for ``region`` (the store's): national there, else
    international; what was typed stays on file and in the form.

    Every value is data: appended as text (never markup), control characters visible.
    """
    out = Text()
    out.append(visible_text(record.display_name or _("(no name)")), style="bold")
    if record.archived_at:
        out.append("  " + _("ARCHIVED"), style="bold reverse")
    out.append("\n")
    subtitle = " · ".join(p for p in (record.title, record.company) if p)
    if subtitle:
        out.append(visible_text(subtitle) + "\n")

    #: (label, value) a line, ``None`` a blank line: the labels' column is as wide as the
    #: longest label the language has (at least ``LABEL_WIDTH``)
    rows: list[tuple[str, str] | None] = [None]

    def line(label: str, value: str) -> None:
        if value:
            rows.append((label, value))

    line(_("Code"), record.customer_code)
    line(_("Group"), record.group_name or pgettext("group", "none"))
    line(_("Email"), "\n".join(e for e in (record.email, record.email2) if e))
    phones = [
        (name, value)
        for name, value in (
            ("", record.phone),
            (_("mobile") + " ", record.phone_mobile),
            (_("home") + " ", record.phone_home),
            (_("work") + " ", record.phone_work),
            (_("pager") + " ", record.phone_pager),
            (_("fax") + " ", record.phone_fax),
        )
        if value
    ]
    line(_("Phone"), "\n".join(f"{name}{display_phone(value, region)}" for name, value in phones))
    town = " ".join(p for p in (record.postal_code, record.city) if p)
    address = [record.address1, record.address2, town, record.state, record.country]
    line(_("Address"), "\n".join(p for p in address if p))
    line(_("Born"), day(record.birth_date))
    line(_("Reg. no"), record.company_reg_no)
    line(_("VAT no"), record.vat_number)
    line(_("Website"), record.website)
    rows.append(None)
    line(_("Discount"), _percent(record.discount_percent) or pgettext("discount", "none"))
    line(
        _("Sales tax"),
        _("exempt") if record.tax_exempt else record.tax_rate_name or _("store default"),
    )
    if record.on_account_allowed:
        limit = (
            _("limit {amount}").format(amount=format_money(record.balance_limit, currency))
            if record.balance_limit is not None
            else _("no limit")
        )
        line(_("Account"), _("allowed, {limit}").format(limit=limit))
    else:
        line(_("Account"), _("not allowed"))
    line(_("Loyalty"), _("enabled") if record.loyalty_enabled else _("not enabled"))
    line(
        _("Marketing"),
        _consent(_("yes") if record.marketing_opt_in else _("no"), record, "marketing_opt_in"),
    )
    consents = [
        _consent(shown, record, f"consent_{name}")
        for name, shown, given in (
            ("email", pgettext("consent", "email"), record.consent_email),
            ("mail", pgettext("consent", "mail"), record.consent_mail),
            ("phone", pgettext("consent", "phone"), record.consent_phone),
        )
        if given
    ]
    line(_("Consents"), "\n".join(consents) or pgettext("consents", "none"))
    line(_("Tags"), ", ".join(record.tags))
    line(
        _("Custom"),
        "\n".join(f"{name}: {value}" for name, value in record.custom.items() if value),
    )
    line(_("Notes"), record.notes.strip())
    line(_("Created"), local_day(record.created_at))
    width = max([LABEL_WIDTH, *(cell_len(row[0]) + 1 for row in rows if row is not None)])
    for row in rows:
        if row is None:
            out.append("\n")
            continue
        label, value = row
        first, *rest = visible_text(value, multiline=True).split("\n")
        out.append(label + " " * (width - cell_len(label)), style="dim")
        out.append(first + "\n")
        for more in rest:
            out.append(" " * width + more + "\n")
    return out


def activity_text(activity: CustomerActivity, currency: str) -> Text:
    out = Text()
    points = activity.loyalty_balance
    figures = (
        (_("Year to date"), format_money(activity.year_to_date_spend, currency)),
        (_("Account balance"), format_money(activity.account_balance, currency)),
        (
            _("Loyalty balance"),
            ngettext("{count} point", "{count} points", abs(points)).format(count=whole(points)),
        ),
        (_("Sales"), whole(activity.sales_count)),
    )
    # the labels' column: 16 wide, or as wide as the language's longest label needs
    width = max([16, *(cell_len(label) + 1 for label, _value in figures)])
    for label, value in figures:
        out.append(label + " " * (width - cell_len(label)), style="dim")
        out.append(value + "\n", style="bold")
    return out


def sales_lines(activity: CustomerActivity, currency: str) -> Text:
    out = Text()
    if activity.recent_sales:
        date, receipt, total = _("Date"), _("Receipt"), _("Total")
        out.append(f"{date:<10}  {receipt:<12} {total:>12}\n", style="bold underline")
    for sale in activity.recent_sales:
        receipt = sale.receipt_no or f"#{sale.id}"
        if sale.kind != "sale":
            receipt = f"{receipt} {_sale_kind(sale.kind)}"
        total = format_money(sale.total, currency)
        receipt = visible_text(receipt)
        out.append(f"{local_day(sale.completed_at):<10}  {receipt[:12]:<12} {total:>12}\n")
    return out


def loyalty_lines(activity: CustomerActivity) -> Text:
    out = Text()
    if activity.loyalty_ledger:
        date, points, why = _("Date"), _("Points"), _("Why")
        out.append(f"{date:<10}  {points:>7}  {why:<14}\n", style="bold underline")
    for entry in activity.loyalty_ledger:
        out.append(
            f"{local_day(entry.created_at):<10}  {entry.points:>+7,}  "
            f"{visible_text(shown_reason(entry.reason))[:14]:<14}\n"
        )
    return out


def activity_content(activity: CustomerActivity, currency: str) -> Content:
    """The right column: figures, recent sales, loyalty ledger, each under a heading."""
    sections = (
        (_("Activity"), activity_text(activity, currency)),
        (
            _("Recent sales") if activity.recent_sales else _("Recent sales: none yet"),
            sales_lines(activity, currency),
        ),
        (
            _("Loyalty points") if activity.loyalty_ledger else _("Loyalty points: none yet"),
            loyalty_lines(activity),
        ),
    )
    out = Content("")
    for number, (heading, lines) in enumerate(sections):
        if number:
            out += "\n\n"
        out += Content.styled(heading, "bold $accent") + "\n" + Content.from_rich_text(lines)
    return out


def merges_text(merges: tuple[MergeRecord, ...]) -> Text:
    """Below the profile: the customers merged into this one, and when (U undoes the
    latest standing one)."""
    out = Text()
    if not merges:
        return out
    out.append("\n" + _("Merged in") + "\n", style="bold")
    for merge in merges:
        state = _("undone") if merge.undone_at else local_day(merge.created_at)
        who = ", ".join(
            f"{visible_text(code)} {visible_text(name)}" for code, name in merge.absorbed
        )
        out.append(f"#{merge.id} {state:<10} ", style="dim")
        out.append(who + "\n", style="strike" if merge.undone_at else "")
    return out


class CustomerView(TillScreen[None]):
    """One customer: profile on the left, activity on the right."""

    #: its letter keys act (see scan_input): a scan starting with one must not act
    HOLD_KEYS_FOR_SCANS = True

    HELP_TITLE = _("Customer")
    CSS_PATH = css("customer_view.tcss")
    BINDINGS = [
        Binding("escape", "back", _("Back")),
        Binding("e", "edit_customer", pgettext("footer", "Edit")),
        Binding("a", "attach_customer", _("Attach to sale")),
        Binding("delete", "archive_customer", _("Archive")),
        Binding("r", "restore_customer", _("Restore")),
        Binding("m", "merge_customer", pgettext("footer", "Merge")),
        Binding("u", "undo_merge", _("Unmerge")),
        Binding("x", "export_data", _("Export data (privacy)"), show=False),
        Binding("ctrl+x", "erase_customer", _("Erase identity (privacy)"), show=False),
    ]

    @dataclass
    class Loaded(Message):
        """The profile and its activity were read."""

        customer: CustomerRecord
        activity: CustomerActivity

    @dataclass
    class LoadFailed(Message):
        error: str

    @dataclass
    class Archived(Message):
        """The customer was archived (``error`` says why not)."""

        customer_id: int
        error: str | None = None

    @dataclass
    class Restored(Message):
        """The archived customer was restored (``error`` says why not)."""

        customer_id: int
        error: str | None = None

    @dataclass
    class DataExported(Message):
        """A privacy export was written (``error`` says why not)."""

        folder: str
        files: int = 0
        error: str | None = None

    @dataclass
    class Erased(Message):
        """The customer's identity was erased (``error`` says why not)."""

        code: str
        error: str | None = None

    @dataclass
    class MergesLoaded(Message):
        """The merges into this customer were read."""

        customer_id: int
        merges: tuple[MergeRecord, ...]

    @dataclass
    class Unmerged(Message):
        """A merge was undone (``error`` says why not)."""

        done: UndoDone | None
        error: str | None = None

    @dataclass
    class AttachRequested(Message):
        """Attach this customer to the register's current sale (the app forwards it)."""

        customer_id: int

    def __init__(
        self,
        customer_id: int,
        loaded: tuple[CustomerRecord, CustomerActivity] | None = None,
    ) -> None:
        """``loaded``: the profile and activity, already read (see :meth:`show`)."""
        super().__init__()
        self.customer_id = customer_id
        self.customer: CustomerRecord | None = None
        self.activity: CustomerActivity | None = None
        #: the merges into this customer, latest first (read after the profile)
        self.merges: tuple[MergeRecord, ...] = ()
        if loaded is not None:
            self.customer, self.activity = loaded

    @property
    def currency(self) -> str:
        settings = getattr(self.app, "settings", None)
        return settings.currency if settings is not None else "EUR"

    @property
    def phone_region(self) -> str:
        """The region phones are shown for (the store's country; FR when unknown)."""
        settings = getattr(self.app, "settings", None)
        return region_for_country(settings.country if settings is not None else "")

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Horizontal(id="view-body"):
            with VerticalScroll(id="profile"):
                yield Static(plain(_("Loading…")), id="profile-text")
            with VerticalScroll(id="activity"):
                # one text, not a widget per part: every widget costs on each opening
                yield Static("", id="activity-text")
        yield KeyFooter()

    def on_mount(self) -> None:
        if self.customer is not None and self.activity is not None:
            self._fill(self.customer, self.activity)
        else:
            self.load()

    def show(self, record: CustomerRecord, activity: CustomerActivity) -> None:
        """Show another customer in this same screen, already read.

        The Customers list keeps one profile screen and refills it: composing a new
        screen for every customer opened costs more than reading the customer does.
        """
        self.customer_id = record.id
        self.customer, self.activity = record, activity
        if self.is_mounted:
            self._fill(record, activity)
            for column in self.query(VerticalScroll):
                column.scroll_home(animate=False)

    def open(self, customer_id: int) -> None:
        """Read and show another customer (an existing duplicate chosen in the form)."""
        self.customer_id = customer_id
        self.customer = self.activity = None
        self.query_one("#profile-text", Static).update(plain(_("Loading…")))
        self.query_one("#activity-text", Static).update("")
        self.refresh_bindings()
        self.load()

    def load(self) -> None:
        self._load(self.customer_id)

    def _load(self, customer_id: int) -> None:
        care = self.services.customers

        def loaded(opened: Opened) -> CustomerView.Loaded:
            return self.Loaded(opened.record, opened.activity)

        self.run_job(
            "customer-view",
            lambda: care.open(customer_id),
            loaded,
            self.LoadFailed,
            description=_("reading the customer"),
        )

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.customer.id != self.customer_id:
            return  # read for a customer this screen no longer shows
        self.customer = message.customer
        self.activity = message.activity
        self._fill(message.customer, message.activity)

    def _fill(self, customer: CustomerRecord, activity: CustomerActivity) -> None:
        self.sub_title = customer.display_name
        currency = self.currency
        # both built from visible_text: data appended as text, never markup
        profile = profile_text(customer, currency, self.phone_region)
        shown = activity_content(activity, currency)
        self.query_one("#profile-text", Static).update(profile)  # drawn: visible_text
        self.query_one("#activity-text", Static).update(shown)  # drawn: visible_text
        # the screen is refilled for another customer: U must not undo the last one's
        self.merges = tuple(m for m in self.merges if m.survivor_id == customer.id)
        self.refresh_bindings()
        self._load_merges(customer.id)

    def _load_merges(self, customer_id: int) -> None:
        """The merges into this customer, read after it is shown: most have none, and
        then nothing on the screen changes."""
        merges = self.services.merges
        self.run_job(
            "customer-merges",
            lambda: self.MergesLoaded(customer_id, merges.of_customer(customer_id)),
            lambda loaded: loaded,
            description=_("reading the customer's merges"),
        )

    @on(MergesLoaded)
    def _merges_loaded(self, message: MergesLoaded) -> None:
        if message.customer_id != self.customer_id or self.customer is None:
            return
        had = bool(self.merges)
        self.merges = message.merges
        if not message.merges:
            if had:
                self.refresh_bindings()
            return  # the profile was drawn without merges already
        profile = profile_text(self.customer, self.currency, self.phone_region)
        profile.append_text(merges_text(message.merges))
        self.query_one("#profile-text", Static).update(profile)  # drawn: visible_text
        self.refresh_bindings()

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        self.query_one("#profile-text", Static).update(
            plain(_("Cannot open this customer: {error}").format(error=message.error), "bold")
        )
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {
            "edit_customer",
            "attach_customer",
            "archive_customer",
            "merge_customer",
            "export_data",
            "erase_customer",
        }:
            if self.customer is None:
                return None
            if (
                action in {"archive_customer", "attach_customer", "merge_customer"}
                and self.customer.archived_at
            ):
                return None
        if action == "undo_merge":
            # shown only where there is a merge to undo: the footer has no room to spare
            return self.standing_merge is not None
        if action == "restore_customer":
            # only an archived customer has anything to restore; Archive, Attach and
            # Merge are hidden then, so the footer has the room
            return self.customer is not None and self.customer.archived_at is not None
        return True

    @property
    def standing_merge(self) -> MergeRecord | None:
        """The latest merge into this customer not undone: the one U undoes."""
        return next((m for m in self.merges if m.undone_at is None), None)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_edit_customer(self) -> None:
        from tillterm.ui.screens.customer_form import CustomerForm

        def edited(record: CustomerRecord | None) -> None:
            if record is None:
                return
            if record.id == self.customer_id:
                self.load()
            else:  # the person chose to open an existing duplicate instead
                self.open(record.id)

        self.app.push_screen(CustomerForm(self.customer_id), edited)

    def action_attach_customer(self) -> None:
        self.app.post_message(self.AttachRequested(self.customer_id))
        self.dismiss(None)

    def action_archive_customer(self) -> None:
        if self.customer is None:
            return
        name = self.customer.display_name

        def answered(yes: bool | None) -> None:
            if yes:
                self._archive()

        self.app.push_screen(
            ConfirmScreen(
                _("Archive customer"),
                _(
                    "Archive {name}? They leave the customer list and cannot be attached to "
                    "new sales; their sales history is kept."
                ).format(name=name),
                yes=_("Archive"),
                no=_("Keep"),
            ),
            answered,
        )

    def _archive(self) -> None:
        customer_id = self.customer_id
        care = self.services.customers
        self.run_job(
            "customer-archive",
            lambda: care.archive(customer_id),
            lambda _record: self.Archived(customer_id),
            lambda error: self.Archived(customer_id, error),
            exclusive=False,  # a write is never cancelled: its answer always comes
            description=_("archiving the customer"),
        )

    def action_restore_customer(self) -> None:
        """Bring an archived customer back to the list and to new sales (confirmed)."""
        if self.customer is None or self.customer.archived_at is None:
            return
        name = self.customer.display_name or self.customer.customer_code
        customer_id = self.customer_id
        care = self.services.customers

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_job(
                    "customer-archive",
                    lambda: care.restore(customer_id),
                    lambda _record: self.Restored(customer_id),
                    lambda error: self.Restored(customer_id, error),
                    exclusive=False,  # a write is never cancelled: its answer always comes
                    description=_("restoring the customer"),
                )

        self.app.push_screen(
            ConfirmScreen(
                _("Restore customer"),
                _(
                    "Restore {name}? They come back to the customer list and can be attached "
                    "to new sales again."
                ).format(name=name),
                yes=_("Restore"),
                no=_("Keep archived"),
            ),
            answered,
        )

    @on(Restored)
    def _restored(self, message: Restored) -> None:
        if message.error:
            self.notify(message.error, title=_("Not restored"), severity="error", markup=False)
            return
        name = self.customer.display_name if self.customer else _("The customer")
        self.notify(_("{name} restored.").format(name=name), title=_("Customer"), markup=False)
        if message.customer_id == self.customer_id:
            self.load()

    def action_export_data(self) -> None:
        """Everything stored about the customer, for a privacy request (to a new folder)."""
        if self.customer is None:
            return
        from tillterm.customers.privacy import export_folder_name

        now = dt.datetime.now(dt.UTC)
        default = Path.home() / export_folder_name(self.customer.customer_code, now)
        customer_id = self.customer_id
        care = self.services.customers
        actor = getattr(self.app, "register_name", "") or "app"

        def write(folder: str) -> CustomerView.DataExported:
            target = Path(folder).expanduser()
            try:
                if target.exists() and any(target.iterdir()):
                    return self.DataExported(
                        folder, error=_("{folder} is not empty").format(folder=target)
                    )
                written = care.export_data(customer_id, target, via="app", actor=actor)
            except OSError as exc:  # a full disk, a folder not ours: said, not raised
                return self.DataExported(
                    folder,
                    error=_("cannot write {folder}: {reason}").format(
                        folder=target, reason=exc.strerror
                    ),
                )
            return self.DataExported(str(target), len(written))

        def chosen(folder: str | None) -> None:
            if folder:
                self.run_job(
                    "customer-privacy",
                    lambda: write(folder),
                    lambda done: done,
                    lambda error: self.DataExported(folder, error=error),
                    exclusive=False,
                    description=_("exporting the customer's data"),
                )

        self.app.push_screen(
            PromptScreen(
                _("Export the customer's data"),
                _(
                    "Everything stored about this customer (JSON and CSV) goes into this new "
                    "folder, readable by you only:"
                ),
                str(default),
                _("Export"),
            ),
            chosen,
        )

    @on(DataExported)
    def _exported(self, message: DataExported) -> None:
        if message.error:
            self.notify(message.error, title=_("Not exported"), severity="error", markup=False)
            return
        self.notify(
            ngettext(
                "{count} file written to {folder}.",
                "{count} files written to {folder}.",
                message.files,
            ).format(count=message.files, folder=message.folder),
            title=_("Exported"),
            markup=False,
        )

    def action_erase_customer(self) -> None:
        """Erase the person, keep the books; confirmed by typing the code and F10 (a
        scanner types a code and Enter, never F10)."""
        if self.customer is None:
            return
        code = self.customer.customer_code
        customer_id = self.customer_id
        care = self.services.customers
        actor = getattr(self.app, "register_name", "") or "app"

        def chosen(typed: str | None) -> None:
            if typed is None:
                return
            if typed.strip() != code:
                self.notify(
                    _("The code typed is not this customer's: nothing was erased."),
                    title=_("Not erased"),
                    severity="warning",
                    markup=False,
                )
                return
            self.run_job(
                "customer-privacy",
                lambda: self.Erased(care.erase(customer_id, via="app", actor=actor).code),
                lambda done: done,
                lambda error: self.Erased(code, error),
                exclusive=False,  # a write is never cancelled: its answer always comes
                description=_("erasing the customer"),
            )

        self.app.push_screen(
            KeyPromptScreen(
                _("Erase this customer's identity"),
                _(
                    "Names, contacts, address, notes, tags and custom fields are removed; sales "
                    "and ledgers stay, with the name masked. This cannot be undone. Type the "
                    "customer's code ({code}) and press F10."
                ).format(code=code),
                "",
                _("Erase"),
            ),
            chosen,
        )

    @on(Erased)
    def _erased(self, message: Erased) -> None:
        if message.error:
            self.notify(message.error, title=_("Not erased"), severity="error", markup=False)
            return
        self.notify(
            _("Erased: the record is now {code}.").format(code=message.code),
            title=_("Erased"),
            markup=False,
        )
        self.dismiss(None)

    def job_failed(self, group: str, error: BaseException) -> None:
        """A read that failed unexpectedly leaves the screen saying so, keys usable."""
        if group == "customer-view" and self.customer is None:
            self.query_one("#profile-text", Static).update(
                plain(_("Cannot open this customer (the error is in the log)."), "bold")
            )
            self.refresh_bindings()

    @on(Archived)
    def _archived(self, message: Archived) -> None:
        if message.error:
            self.notify(message.error, title=_("Not archived"), severity="error")
            return
        name = self.customer.display_name if self.customer else _("The customer")
        self.notify(_("{name} archived.").format(name=name), title=_("Customer"))
        self.dismiss(None)

    def action_merge_customer(self) -> None:
        from tillterm.ui.screens.customer_merge import CustomerMerge

        if self.customer is None:
            return

        def merged(merge_id: int | None) -> None:
            if merge_id is not None:
                self.load()

        self.app.push_screen(CustomerMerge(self.customer_id, self.customer.display_name), merged)

    def action_undo_merge(self) -> None:
        merge = self.standing_merge
        if merge is None:
            return
        names = ", ".join(f"{name} ({code})" for code, name in merge.absorbed)

        def answered(yes: bool | None) -> None:
            if yes:
                merges = self.services.merges
                self.run_job(
                    "customer-unmerge",
                    lambda: merges.undo(merge.id),
                    self.Unmerged,
                    lambda error: self.Unmerged(None, error),
                    exclusive=False,  # a write is never cancelled: its answer always comes
                    description=_("undoing the merge"),
                )

        self.app.push_screen(
            ConfirmScreen(
                _("Undo merge"),
                _(
                    "Undo merge {number}? {names} come back with their own sales, ledgers "
                    "and fields; what was sold here since the merge stays here."
                ).format(number=merge.id, names=names),
                yes=_("Undo merge"),
                no=_("Keep"),
            ),
            answered,
        )

    @on(Unmerged)
    def _unmerged(self, message: Unmerged) -> None:
        if message.done is None:
            self.notify(message.error or _("Not undone."), title=_("Not undone"), severity="error")
            return
        done = (
            _("Merge {number} undone. Fields changed since were kept.")
            if message.done.kept
            else _("Merge {number} undone.")
        )
        self.notify(done.format(number=message.done.id), title=_("Customer"))
        self.load()

    @on(ScanReceived)
    def _scanned(self, message: ScanReceived) -> None:
        """A card scanned while a profile is open: the list underneath opens that one."""
        message.stop()
        stack = self.app.screen_stack
        below = stack[-2] if len(stack) > 1 else None
        self.dismiss(None)
        if below is not None:
            below.post_message(ScanReceived(message.code, message.source))
