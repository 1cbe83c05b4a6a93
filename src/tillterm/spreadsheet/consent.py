"""The words yes/no columns are written with, in the files other systems export.

The customer core accepts yes/no, 1/0, true/false and oui/non (``TRUE_WORDS``,
``FALSE_WORDS``); files from other systems and other countries also say ja/nein, si/no,
waar/onwaar, and consent columns say what a mailing list says: "subscribed",
"unsubscribed", "not subscribed", "Unknown" (Square's state for "never asked"), which is
not a yes. An unknown word stays an error that names the value: a consent is never
guessed.
"""

from __future__ import annotations

from tillterm.customers.profiles import FALSE_WORDS, TRUE_WORDS

#: yes and no in the languages the importer's headers know (compared in lower case)
YES_WORDS: frozenset[str] = TRUE_WORDS | frozenset(
    {"ja", "j", "si", "sí", "waar", "wahr", "verdadero", "checked", "✓"}
)
NO_WORDS: frozenset[str] = FALSE_WORDS | frozenset(
    {"nein", "nee", "falsch", "onwaar", "falso", "unchecked"}
)
#: what a consent column may say besides yes and no (mailing-list and shop exports)
CONSENT_YES: frozenset[str] = frozenset(
    {
        "subscribed",
        "opted in",
        "opt-in",
        "opt in",
        "optin",
        "accepted",
        "granted",
        "confirmed",
        "abonné",
        "abonne",
        "inscrit",
        "abonniert",
        "geabonneerd",
        "suscrito",
    }
)
CONSENT_NO: frozenset[str] = frozenset(
    {
        "unsubscribed",
        "not subscribed",
        "not_subscribed",
        "never subscribed",
        "unknown",
        "pending",
        "opted out",
        "opt-out",
        "opt out",
        "optout",
        "declined",
        "denied",
        "désabonné",
        "desabonne",
        "désinscrit",
        "desinscrit",
        "non inscrit",
        "abgemeldet",
        "nicht abonniert",
        "afgemeld",
        "niet geabonneerd",
        "no suscrito",
        "cancelled",
        "redacted",
        "invalid",
    }
)
#: the fields that record a consent (the customer record's opt-in and three channels)
CONSENT_FIELDS: frozenset[str] = frozenset(
    {"marketing_opt_in", "consent_email", "consent_mail", "consent_phone"}
)


def bool_words(field: str) -> dict[str, bool]:
    """Every word a yes/no cell of this field may hold (lower case) → its value."""
    words = {w: True for w in YES_WORDS} | {w: False for w in NO_WORDS}
    if field in CONSENT_FIELDS:
        words |= {w: True for w in CONSENT_YES} | {w: False for w in CONSENT_NO}
    return words
