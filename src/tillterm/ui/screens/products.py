"""Products (back office): the catalogue, searched as you type; create, edit, import, export.

The search box finds a product by any word of its name, SKU or barcode, accents and
case ignored ("cafe" finds "Café crème"); empty, it lists the first products by name.
Down moves into the list; Enter or E edits the highlighted product, Ctrl+N creates one.
Ctrl+O imports a spreadsheet (checked first: the summary and the first problems are
shown, and nothing is written until the import is confirmed; a file with errors can be
written back annotated), Ctrl+E exports every product (the import template).

Pushable as ``ProductsScreen()`` from any screen (the back-office hub opens it).

Opening it is timed (issue 17: the first page <= 50 ms at 100k products): the first page
is read while the screen is built, and shown in the first frame if read by then
(``tillterm.ui.screens.base.FirstRead``; the restyle and re-layout Textual would add
after the first layout are skipped for every screen: ``QuickFirstFrame``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Key
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from tillterm.catalog.products import ProductInfo
from tillterm.i18n import _, ngettext
from tillterm.i18n.formats import decimal_text
from tillterm.ui.plain import plain, plain_text
from tillterm.ui.screens.base import TillScreen
from tillterm.ui.screens.confirm import Choice, ChoiceScreen, PromptScreen
from tillterm.ui.screens.product_form import ProductForm
from tillterm.ui.styles import css
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.results_table import PlainCell, ResultsTable, fit
from tillterm.ui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from tillterm.spreadsheet.product_import import ProductImport

#: problems the import summary lists before "and N more"
SHOWN_PROBLEMS = 4


class ProductsScreen(TillScreen[None]):
    HELP_TITLE = _("Products")
    CSS_PATH = css("products.tcss")
    AUTO_FOCUS = "#product-search"
    BINDINGS = [
        Binding("ctrl+n", "new_product", _("New")),
        Binding("e", "edit_product", _("Edit")),
        Binding("ctrl+o", "import_products", _("Import")),
        # priority: a search box takes Ctrl+E (end of line) for itself
        Binding("ctrl+e", "export_products", _("Export"), priority=True),
        Binding("escape", "clear_search", _("Clear search"), show=False),
    ]

    @dataclass
    class Listed(Message):
        """A page of products for ``text`` came back (``error`` says why not)."""

        text: str
        products: tuple[ProductInfo, ...]
        error: str | None = None

    @dataclass
    class ImportChecked(Message):
        """A spreadsheet was checked (nothing written); ``error``: it could not be."""

        checked: ProductImport | None
        error: str | None = None

    @dataclass
    class Imported(Message):
        summary: str
        error: str | None = None

    @dataclass
    class Exported(Message):
        summary: str
        error: str | None = None

    def __init__(self) -> None:
        super().__init__()
        self.products: tuple[ProductInfo, ...] = ()

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(plain(_("Products")), classes="screen-title", id="products-title")
        yield Input(
            placeholder=_("Search: name, SKU or barcode (accents, case ignored)"),
            id="product-search",
            compact=True,
        )
        # a ResultsTable: plain cells drawn on its fast path, a page shown with
        # ``show_rows`` (only the lines that differ are redrawn)
        table = ResultsTable(id="product-table")
        table.add_column(plain_text(_("Name")), width=30, key="name")
        table.add_column(plain_text(_("SKU")), width=12, key="sku")
        table.add_column(plain_text(_("Barcode")), width=13, key="barcode")
        table.add_column(plain_text(_("Price")), width=9, key="price")
        table.add_column(plain_text(_("On")), width=3, key="active")
        yield table
        yield Static(
            plain(_("Enter/E: edit · Ctrl+N: new · Ctrl+O: import · Ctrl+E: export")),
            id="products-status",
            markup=False,
        )
        yield KeyFooter()
        # the first page is read while the screen is mounted and laid out, and shown in
        # its first frame (issue 17: first page <= 50 ms at 100k products)
        self.load("", first=True)  # the search box is not mounted yet: it starts empty

    def on_screen_resume(self) -> None:
        """Coming back (from a form, an import): the list again, fresh."""
        if not self.never_covered:
            self.load()

    def load(self, text: str | None = None, *, first: bool = False) -> None:
        if text is None:
            text = self.query_one("#product-search", Input).value
        care = self.services.products
        run = partial(self.first_read, show=self._listed) if first else self.run_job
        run(
            "products",
            lambda: tuple(care.page(text)),
            lambda found: self.Listed(text, found),
            lambda error: self.Listed(text, (), error),
            description=_("searching the products"),
        )

    @on(Input.Changed, "#product-search")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.load()

    @on(Listed)
    def _listed(self, message: Listed) -> None:
        if message.text != self.query_one("#product-search", Input).value:
            return  # an older search: the newer one is on its way
        if message.error:
            self.notify(message.error, title=_("Products"), severity="error", markup=False)
            return
        self.products = message.products
        self.query_one("#product-table", ResultsTable).show_rows(
            [
                (
                    PlainCell(fit(product.name, 30)),
                    PlainCell(fit(product.sku or "", 12)),
                    PlainCell(fit(product.barcode or "", 13)),
                    PlainCell(decimal_text(product.price).rjust(9)),
                    PlainCell(_("yes") if product.active else _("no")),
                )
                for product in message.products
            ]
        )
        count = len(message.products)
        if message.text.strip():
            title = _("Products matching “{text}”: {count}").format(
                text=message.text.strip(), count=count
            ) + ("+" if count >= 50 else "")
        elif count:
            title = (
                _("Products (first 50 by name; type to search)") if count >= 50 else _("Products")
            )
        else:
            title = _("Products: none yet (Ctrl+N: new, Ctrl+O: import)")
        if message.text.strip() and not count:
            title = _("No product matches “{text}”").format(text=message.text.strip())
        self.query_one("#products-title", Static).update(plain(title))

    @property
    def current(self) -> ProductInfo | None:
        table = self.query_one("#product-table", ResultsTable)
        if not self.products or not 0 <= table.cursor_row < len(self.products):
            return None
        return self.products[table.cursor_row]

    def on_key(self, event: Key) -> None:
        """Down from the search box goes into the list (Up from its first row: back)."""
        if event.key != "down" or self.focused is not self.query_one("#product-search", Input):
            return
        table = self.query_one("#product-table", ResultsTable)
        if table.row_count:
            event.stop()
            table.focus()

    @on(ResultsTable.ExitedTop)
    def _back_to_search(self, event: ResultsTable.ExitedTop) -> None:
        event.stop()
        self.query_one("#product-search", Input).focus()

    @on(Input.Submitted, "#product-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_edit_product()

    @on(DataTable.RowSelected, "#product-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit_product()

    def action_clear_search(self) -> None:
        search = self.query_one("#product-search", Input)
        search.value = ""
        search.focus()

    def action_new_product(self) -> None:
        self.app.push_screen(ProductForm(), self._form_closed)

    def action_edit_product(self) -> None:
        product = self.current
        if product is None:
            self.notify(_("No product to edit: Ctrl+N creates one."), title=_("Products"))
            return
        self.app.push_screen(ProductForm(product), self._form_closed)

    def _form_closed(self, product: ProductInfo | None) -> None:
        if product is not None:
            self.notify(
                _("Product {name} saved.").format(name=product.name),
                title=_("Products"),
                markup=False,
            )
            self.load()

    # -- import and export -----------------------------------------------------------

    def action_import_products(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self._check(path)

        self.app.push_screen(
            PromptScreen(
                _("Import products"),
                _(
                    "The spreadsheet to import (.csv, .xlsx, .xls). It is checked first: "
                    "nothing is written until you confirm."
                ),
                accept=_("Check"),
            ),
            chosen,
        )

    def _check(self, path: str) -> None:
        care = self.services.products
        self.query_one("#products-status", Static).update(
            plain(_("Checking {path}…").format(path=path))
        )
        self.run_job(
            "products-import",
            lambda: care.check_import(path),
            self.ImportChecked,
            lambda error: self.ImportChecked(None, error),
            exclusive=False,
            description=_("checking the product spreadsheet"),
        )

    @on(ImportChecked)
    def _checked(self, message: ImportChecked) -> None:
        self._idle()
        checked = message.checked
        if checked is None:
            self.notify(
                message.error or "", title=_("Not imported"), severity="error", markup=False
            )
            return
        report = checked.report
        lines = [report.detected, report.summary()]
        for problem in report.problems[:SHOWN_PROBLEMS]:
            lines.append(
                _("row {row}, {column}: {message}").format(
                    row=problem.row, column=problem.column, message=problem.message
                )
            )
        more = report.errors + report.warnings - min(SHOWN_PROBLEMS, len(report.problems))
        if more > 0:
            lines.append(_("… and {more:,} more (in the annotated copy)").format(more=more))
        if report.errors:
            lines.append(_("Nothing can be imported until the errors are fixed."))
            choices = [Choice("annotate", _("Annotated copy"), "a", "primary")]
        elif report.warnings:
            choices = [Choice("import", _("Import anyway"), "i", "warning")]
        else:
            choices = [Choice("import", _("Import"), "i", "primary")]

        def answered(choice: str | None) -> None:
            if choice == "import":
                self._apply(checked)
            elif choice == "annotate":
                self._annotate(checked)

        self.app.push_screen(
            ChoiceScreen(
                _("Import {name}").format(name=report.path.name), "\n".join(lines), choices
            ),
            answered,
        )

    def _apply(self, checked: ProductImport) -> None:
        care = self.services.products
        self.query_one("#products-status", Static).update(plain(_("Importing…")))
        self.run_job(
            "products-import",
            lambda: care.apply_import(checked, allow_warnings=True).summary(),
            self.Imported,
            lambda error: self.Imported("", error),
            exclusive=False,  # a write is never cancelled: its answer always comes
            description=_("importing the products"),
        )

    def _annotate(self, checked: ProductImport) -> None:
        imports = self.services.imports

        def write() -> str:
            path = imports.save_annotated(checked.report, overwrite=True)
            return _(
                "Annotated copy written to {path}: fix the rows it marks, import again."
            ).format(path=path)

        self.run_job(
            "products-import",
            write,
            self.Imported,
            lambda error: self.Imported("", error),
            exclusive=False,
            description=_("writing the annotated copy"),
        )

    @on(Imported)
    def _imported(self, message: Imported) -> None:
        self._idle()
        if message.error:
            self.notify(message.error, title=_("Not imported"), severity="error", markup=False)
            return
        self.notify(message.summary, title=_("Products"), markup=False, timeout=10)
        self.load()

    def action_export_products(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self._export(path)

        self.app.push_screen(
            PromptScreen(
                _("Export products"),
                _("Write every product to (.csv or .xlsx; an existing file is not replaced):"),
                value="products.csv",
                accept=_("Export"),
            ),
            chosen,
        )

    def _export(self, path: str) -> None:
        care = self.services.products

        def export() -> str:
            count = care.export(path)
            return ngettext(
                "Exported {count:,} product to {path}.",
                "Exported {count:,} products to {path}.",
                count,
            ).format(count=count, path=path)

        self.run_job(
            "products-export",
            export,
            self.Exported,
            lambda error: self.Exported("", error),
            exclusive=False,
            description=_("exporting the products"),
        )

    @on(Exported)
    def _exported(self, message: Exported) -> None:
        if message.error:
            self.notify(message.error, title=_("Export failed"), severity="error", markup=False)
            return
        self.notify(message.summary, title=_("Products"), markup=False)

    def _idle(self) -> None:
        self.query_one("#products-status", Static).update(
            plain(_("Enter/E: edit · Ctrl+N: new · Ctrl+O: import · Ctrl+E: export"))
        )
