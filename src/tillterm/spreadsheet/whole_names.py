"""One name per contact, split as the source writes it: Odoo's "Name".

Odoo keeps a single name for a contact, person or company ("Anna Martin", "Boulangerie
Martin"), and says which it is in "Is a Company" (True / False, or 1 / 0 in its import
template) or "Company Type" (Individual / Company). A person's name is written given
name first, so it is split at its first space: "Anna Martin" is Anna / Martin, "Jan de
Vries" Jan / de Vries, a single word is the last name. A company's name goes to the
company field (over its "Related Company", which a company does not have).

The split is made where the file is read, as columns of their own — the name column
becomes "Name (first name)", and "Name (last name)" (and "Name (company)" when the file
has no company column) are added — so the mapping shows each part with its samples, the
person can map them otherwise, and the summary says the split was made. Only a source
that declares its whole-name column (:attr:`~tillterm.spreadsheet.sources.Source.whole_name`)
is split, and only when the file has no first-name column of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tillterm.spreadsheet.columns import map_headers
from tillterm.spreadsheet.sources import detect_source, normalise_header

if TYPE_CHECKING:
    import polars as pl

    from tillterm.spreadsheet.sheet import SheetSource

FIRST_HEADER = "Name (first name)"
LAST_HEADER = "Name (last name)"
COMPANY_HEADER = "Name (company)"

#: values of a company flag column that say "this contact is a company" (folded): Odoo's
#: True / 1 and "Company" as its export writes them, in the store's languages
COMPANY_WORDS = (
    "true",
    "1",
    "yes",
    "company",
    "vrai",
    "oui",
    "société",
    "societe",
    "entreprise",
    "wahr",
    "ja",
    "unternehmen",
    "firma",
    "waar",
    "bedrijf",
    "verdadero",
    "sí",
    "si",
    "empresa",
    "compañía",
)


@dataclass(frozen=True)
class NameSplit:
    """Which columns the split reads and writes (indexes in the file's columns)."""

    #: the whole name, rewritten as the first name (the last name is added after the
    #: file's columns: names read first name first, as the summary shows them)
    name: int
    #: the column saying a row is a company ("Is a Company"), if the file has one
    flag: int | None
    #: the company column a company row's name goes to (added when ``None``)
    company: int | None
    #: the file's own column count: the added columns come after
    width: int
    #: the header the name came under, for the summary
    header: str
    flag_header: str | None

    def exprs(self) -> list[pl.Expr]:
        """The rewritten name column and the added ones, for a batch of text cells."""
        import polars as pl

        whole = pl.col(f"c{self.name}").str.strip_chars()
        if self.flag is None:
            is_company = pl.lit(False)
        else:
            flag = pl.col(f"c{self.flag}").str.strip_chars().str.to_lowercase()
            is_company = flag.is_in(list(COMPANY_WORDS))
        spaced = whole.str.contains(r"\s")
        first = pl.when(~is_company & spaced).then(whole.str.extract(r"^(\S+)\s", 1))
        last = (
            pl.when(is_company)
            .then(pl.lit(""))
            .when(spaced)
            .then(whole.str.replace(r"^\S+\s+", ""))
            .otherwise(whole)
        )
        kept = pl.col(f"c{self.company}") if self.company is not None else pl.lit("")
        company = pl.when(is_company).then(whole).otherwise(kept)
        company_column = self.company if self.company is not None else self.width + 1
        return [
            first.fill_null("").alias(f"c{self.name}"),
            last.alias(f"c{self.width}"),
            company.alias(f"c{company_column}"),
        ]

    def note(self) -> str:
        """What the summary says of the split."""
        from tillterm.i18n import _

        companies = (
            _("; a company's (“{header}”) goes to the company field").format(
                header=self.flag_header
            )
            if self.flag_header
            else ""
        )
        return _(
            "“{header}” holds one name per contact: a person's is split into the "
            "first name (its first word) and the last name (the rest){companies}."
        ).format(header=self.header, companies=companies)


def plan_split(headers: tuple[str, ...]) -> NameSplit | None:
    """The split these headers call for, or ``None`` (not such a source, or the file
    has a first-name column of its own)."""
    source = detect_source(headers)
    if source is None or not source.whole_name:
        return None
    cmap = map_headers(headers)
    if "first_name" in cmap.present:
        return None
    keys = [normalise_header(h or "") for h in headers]
    wholes = source.folded(source.whole_name)
    name = next((i for i, k in enumerate(keys) if k in wholes), None)
    if name is None or cmap.fields.get(name) != "last_name":
        return None
    flags = source.folded(source.company_flags)
    flag = next((i for i, k in enumerate(keys) if k in flags), None)
    company = next((i for i, f in cmap.fields.items() if f == "company"), None)
    return NameSplit(
        name,
        flag,
        company,
        len(headers),
        headers[name],
        headers[flag] if flag is not None else None,
    )


def split_whole_names(source: SheetSource) -> None:
    """Split the source's whole-name column when its system writes one (Odoo)."""
    plan = plan_split(source.headers)
    if plan is None:
        return
    headers = list(source.headers)
    headers[plan.name] = FIRST_HEADER
    headers.append(LAST_HEADER)
    if plan.company is None:
        headers.append(COMPANY_HEADER)
    source.derive(tuple(headers), plan.exprs(), plan.note())
