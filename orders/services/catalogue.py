"""The canton's catalogue of materials, and the languages things exist in."""

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from orders.extensions import db
from orders.formatting import german_sort_key
from orders.models import CatalogueItem, Language, Municipality, User
from orders.services import audit

# The languages of the working folder's translations; de, fr, it, en for welcome folders.
LANGUAGES = [
    ("de", "Deutsch"),
    ("fr", "Französisch"),
    ("it", "Italienisch"),
    ("en", "Englisch"),
    ("sq", "Albanisch"),
    ("ar", "Arabisch"),
    ("hy", "Armenisch"),
    ("bs", "Bosnisch"),
    ("bg", "Bulgarisch"),
    ("zh", "Chinesisch"),
    ("fa", "Persisch (Farsi)"),
    ("prs", "Dari"),
    ("hr", "Kroatisch"),
    ("ku", "Kurdisch (Kurmanci)"),
    ("mk", "Mazedonisch"),
    ("mn", "Mongolisch"),
    ("ne", "Nepalesisch"),
    ("ps", "Paschtu"),
    ("pl", "Polnisch"),
    ("pt", "Portugiesisch"),
    ("ro", "Rumänisch"),
    ("ru", "Russisch"),
    ("so", "Somali"),
    ("sr", "Serbisch"),
    ("es", "Spanisch"),
    ("ta", "Tamil"),
    ("th", "Thailändisch"),
    ("ti", "Tigrinya"),
    ("tr", "Türkisch"),
    ("uk", "Ukrainisch"),
    ("hu", "Ungarisch"),
    ("vi", "Vietnamesisch"),
    # Further languages HEKS Linguadukt interprets.
    ("am", "Amharisch"),
    ("bn", "Bengalisch"),
    ("ka", "Georgisch"),
    ("el", "Griechisch"),
    ("hi", "Hindi"),
    ("ckb", "Kurdisch (Sorani)"),
    ("ln", "Lingala"),
    ("om", "Oromo"),
    ("pa", "Punjabi"),
    ("sw", "Swahili"),
    ("bo", "Tibetisch"),
    ("ur", "Urdu"),
    ("uz", "Usbekisch"),
    ("ug", "Uigurisch"),
    ("sgn-ch", "Gebärdensprache (DSGS)"),
]
WELCOME_FOLDER_LANGUAGES = ("de", "fr", "it", "en")  # in this order, in every list

MATERIALS = [
    # name, category, description, languages, max quantity
    (
        "Willkommensbrief",
        "Briefe",
        "Begrüssungsbrief des Kantons für Neuzuziehende",
        ["de", "fr", "it", "en"],
        200,
    ),
    (
        "Registerblätter Erstinfomappe",
        "Erstinformationsmappe",
        "Registerblätter zum Einordnen der Unterlagen",
        ["de", "en", "ar", "ti", "uk", "tr"],
        200,
    ),
    (
        "Flyer HEKS Linguadukt mit Bestellformular",
        "Flyer",
        "Interkulturelles Dolmetschen: Angebot und Bestellung",
        ["de"],
        100,
    ),
    (
        "Broschüre «Willkommen im Kanton Solothurn»",
        "Broschüren",
        "Informationen für Neuzugezogene",
        ["de", "fr", "it", "en", "ar", "ti", "uk"],
        150,
    ),
    (
        "Merkblatt Deutschkurse",
        "Merkblätter",
        "Deutsch- und Integrationskurse in der Region",
        ["de", "en", "ar", "uk"],
        150,
    ),
    (
        "Leere Mappen (ohne Inhalt)",
        "Erstinformationsmappe",
        "Mappen zum selbst Abfüllen",
        ["de"],
        100,
    ),
]


def language_positions(languages: list[tuple[str, str]]) -> dict[str, int]:
    """Where each language (code, German name) stands in every list of languages: the
    welcome folders' four first, as the folders are (de, fr, it, en), then all others A–Z."""
    codes = {code for code, _ in languages}
    first = [code for code in WELCOME_FOLDER_LANGUAGES if code in codes]
    others = sorted(
        (pair for pair in languages if pair[0] not in WELCOME_FOLDER_LANGUAGES),
        key=lambda pair: german_sort_key(pair[1]),
    )
    return {code: position for position, code in enumerate([*first, *(c for c, _ in others)])}


def seed() -> tuple[int, int]:
    """Create the languages and the starting catalogue if missing, and put the languages in
    their order (idempotent)."""
    existing = {language.code: language for language in db.session.scalars(select(Language))}
    positions = language_positions(LANGUAGES)
    new_languages = 0
    for code, name in LANGUAGES:
        if code in existing:
            existing[code].sort_order = positions[code]
            continue
        db.session.add(
            Language(
                code=code,
                name=name,
                sort_order=positions[code],
                welcome_folder=code in WELCOME_FOLDER_LANGUAGES,
            )
        )
        new_languages += 1
    db.session.flush()
    by_code = {language.code: language for language in db.session.scalars(select(Language))}
    names = set(db.session.scalars(select(CatalogueItem.name)))
    new_items = 0
    for position, (name, category, description, codes, maximum) in enumerate(MATERIALS):
        if name not in names:
            db.session.add(
                CatalogueItem(
                    name=name,
                    category=category,
                    description=description,
                    max_quantity=maximum,
                    sort_order=position,
                    languages=[by_code[c] for c in codes],
                )
            )
            new_items += 1
    db.session.commit()
    return new_languages, new_items


def all_languages() -> list[Language]:
    return list(db.session.scalars(select(Language).order_by(Language.sort_order)))


def welcome_folder_languages() -> list[Language]:
    return list(
        db.session.scalars(
            select(Language).where(Language.welcome_folder.is_(True)).order_by(Language.sort_order)
        )
    )


def orderable_items(municipality: Municipality) -> list[CatalogueItem]:
    """Active items for everyone, plus this municipality's own supplements."""
    items = db.session.scalars(
        select(CatalogueItem)
        .where(
            CatalogueItem.active.is_(True),
            or_(
                CatalogueItem.municipality_id.is_(None),
                CatalogueItem.municipality_id == municipality.id,
            ),
        )
        .order_by(CatalogueItem.sort_order, CatalogueItem.name)
        # The form lists each item's languages: in the same query (a few dozen rows).
        .options(joinedload(CatalogueItem.languages))
    )
    return list(items.unique())


@dataclass
class ItemData:
    name: str
    category: str
    description: str
    max_quantity: int
    active: bool
    languages: list[Language]
    municipality: Municipality | None


def name_problem(item: CatalogueItem | None, data: ItemData) -> str | None:
    """Another item of the same name for the same municipalities (or all) would be offered
    twice in the order form, with nothing to tell them apart. Compared in Python: SQLite's
    lower() leaves Ü as it is (the catalogue holds a few dozen items)."""
    others = select(CatalogueItem.name).where(
        CatalogueItem.municipality_id.is_(None)
        if data.municipality is None
        else CatalogueItem.municipality_id == data.municipality.id,
    )
    if item is not None:
        others = others.where(CatalogueItem.id != item.id)
    name = data.name.strip().casefold()
    if all(other.casefold() != name for other in db.session.scalars(others)):
        return None
    scope = "alle Gemeinden" if data.municipality is None else data.municipality.name
    return f"Für {scope} gibt es schon einen Artikel «{data.name.strip()}»: bitte jenen ändern."


def save_item(item: CatalogueItem | None, data: ItemData, actor: User) -> CatalogueItem:
    """Create or change a catalogue item. Old orders keep the name they were placed with."""
    created = item is None
    item = item or CatalogueItem()
    item.name = data.name.strip()
    item.category = data.category.strip()
    item.description = data.description.strip()
    item.max_quantity = data.max_quantity
    item.active = data.active
    item.languages = sorted(data.languages, key=lambda language: language.sort_order)
    item.municipality = data.municipality
    db.session.add(item)
    db.session.flush()
    audit.record(
        "catalogue.create" if created else "catalogue.update",
        actor=actor,
        obj=item,
        name=item.name,
        active=item.active,
    )
    db.session.commit()
    return item
