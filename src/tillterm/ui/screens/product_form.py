"""Create or edit a product: name, SKU, barcode, price, tax rate, active.

The same conventions as the customer form: Ctrl+S saves, Esc leaves without saving,
every field that is wrong says so under itself at once (the domain checks them all in
one go: :func:`tillterm.catalog.products.check_draft`), and what was typed stays. Only
active tax rates are offered (a product's own rate, if retired since, is still shown
and kept, marked "retired").
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Select, Static, Switch

from tillterm.catalog.products import ProductDraft, ProductInfo
from tillterm.i18n import _
from tillterm.i18n.formats import decimal_text
from tillterm.services.products import ProductInvalid, ProductSaved, TaxChoice
from tillterm.ui.plain import plain, plain_options
from tillterm.ui.screens.base import TillModal
from tillterm.ui.styles import css
from tillterm.ui.widgets.form_row import FormRow, set_field_value, show_errors


class ProductForm(TillModal[ProductInfo | None]):
    """The product window; dismisses with the saved product, or ``None`` on Esc."""

    HELP_TITLE = _("Product")
    CSS_PATH = css("product_form.tcss")
    BINDINGS = [
        Binding("ctrl+s", "save", _("Save"), priority=True),
        Binding("escape", "cancel", _("Cancel")),
    ]

    @dataclass
    class TaxesLoaded(Message):
        taxes: tuple[TaxChoice, ...]

    @dataclass
    class Saved(Message):
        """The product was created or changed."""

        product: ProductInfo

    @dataclass
    class Refused(Message):
        """Field → what to correct (``""``: not about one field)."""

        errors: dict[str, str]

    def __init__(self, product: ProductInfo | None = None) -> None:
        super().__init__()
        self.product = product
        #: a save is under way: another Ctrl+S waits for its answer
        self._saving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="product-box"):
            title = (
                _("Edit product {name}").format(name=self.product.name)
                if self.product
                else _("New product")
            )
            yield Static(plain(title), id="product-title", markup=False)
            yield FormRow(_("Name"), Input(id="product-name", compact=True), field_name="name")
            yield FormRow(_("SKU"), Input(id="product-sku", compact=True), field_name="sku")
            yield FormRow(
                _("Barcode"),
                Input(
                    id="product-barcode",
                    placeholder=_("EAN-13, EAN-8, UPC-A or own code"),
                    compact=True,
                ),
                field_name="barcode",
            )
            yield FormRow(
                _("Price"),
                Input(id="product-price", placeholder=_("12.50"), compact=True),
                field_name="price",
            )
            yield FormRow(
                _("Tax rate"),
                Select[int]([], prompt=_("Store default"), id="product-tax", compact=True),
                field_name="tax_rate",
            )
            # off until mounted: turning it on then says "yes" beside it (FormRow's words)
            yield FormRow(_("Active"), Switch(id="product-active"), field_name="active")
            yield Static("", id="product-status", markup=False)
            with Horizontal(id="product-buttons"):
                label = _("Save changes (Ctrl+S)") if self.product else _("Create (Ctrl+S)")
                yield Button(plain(label), id="product-save", variant="primary", compact=True)
                yield Button(plain(_("Cancel (Esc)")), id="product-cancel", compact=True)

    def on_mount(self) -> None:
        product = self.product
        if product is not None:
            set_field_value(self.query_one("#product-name"), product.name)
            set_field_value(self.query_one("#product-sku"), product.sku)
            set_field_value(self.query_one("#product-barcode"), product.barcode)
            set_field_value(self.query_one("#product-price"), decimal_text(product.price))
        active = product.active if product is not None else True
        # after the first refresh: a switch turned on before it runs posts no change, and
        # the words beside it would still say "no"
        self.call_after_refresh(set_field_value, self.query_one("#product-active"), active)
        self.query_one("#product-name").focus()
        keep = product.tax_rate_id if product is not None else None
        care = self.services.products
        self.run_job(
            "product-form-taxes",
            lambda: tuple(care.tax_choices(keep)),
            self.TaxesLoaded,
            lambda _error: self.TaxesLoaded(()),  # "Store default" is still a choice
            description=_("reading the tax rates"),
        )

    @on(TaxesLoaded)
    def _taxes_loaded(self, message: TaxesLoaded) -> None:
        select = self.query_one("#product-tax", Select)
        select.set_options(plain_options((t.label, t.id) for t in message.taxes))
        if self.product is not None:
            set_field_value(select, self.product.tax_rate_id)

    def draft(self) -> ProductDraft:
        tax = self.query_one("#product-tax", Select).selection
        return ProductDraft(
            name=self.query_one("#product-name", Input).value,
            sku=self.query_one("#product-sku", Input).value,
            barcode=self.query_one("#product-barcode", Input).value,
            price=self.query_one("#product-price", Input).value,
            tax_rate_id=None if tax is None else int(tax),
            active=self.query_one("#product-active", Switch).value,
        )

    def action_save(self) -> None:
        if self._saving:
            return
        self._saving = True
        for row in self.query(FormRow):
            row.set_error(None)
        self.query_one("#product-status", Static).update("")
        draft = self.draft()
        care = self.services.products
        product_id = self.product.id if self.product is not None else None

        def answered(outcome: ProductSaved | ProductInvalid) -> Message:
            if isinstance(outcome, ProductInvalid):
                return self.Refused(dict(outcome.errors))
            return self.Saved(outcome.product)

        self.run_job(
            "product-form-save",
            lambda: care.save(draft, product_id),
            answered,
            lambda error: self.Refused({"": _("Not saved: {error}").format(error=error)}),
            exclusive=False,  # a write is never cancelled: its answer always comes
            description=_("saving the product"),
        )

    @on(Button.Pressed, "#product-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def job_failed(self, group: str, error: BaseException) -> None:
        """An unexpected failure (told and logged by the app): the form stays, as typed."""
        if group == "product-form-save":
            self._saving = False
            self.query_one("#product-status", Static).update(
                plain(_("Not saved: an unexpected error (see the log). Ctrl+S tries again."))
            )

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        self._saving = False
        unplaced = show_errors(self, message.errors)
        self.query_one("#product-status", Static).update(plain(" ".join(unplaced)))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self.dismiss(message.product)

    @on(Button.Pressed, "#product-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
