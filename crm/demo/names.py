"""Names, places and products the demo draws from: plain data, no logic.

Company domains end in ``.example`` (RFC 2606) so that nothing the demo holds can ever reach
a real inbox.
"""

from __future__ import annotations

from dataclasses import dataclass


def _listed(names: str) -> tuple[str, ...]:
    """Split a comma-separated list: keeps long name tables to a few lines."""
    return tuple(name.strip() for name in names.split(","))


@dataclass(frozen=True)
class Country:
    code: str
    locale: str
    currency: str
    phone_prefix: str
    regions: tuple[str, ...]
    # Index into people.TEAMS: the team whose territory this is.
    team: int
    weight: int


COUNTRIES: tuple[Country, ...] = (
    Country(
        "DE",
        "de",
        "EUR",
        "+49",
        ("Bavaria", "Berlin", "Hamburg", "Hesse", "North Rhine-Westphalia", "Saxony"),
        0,
        18,
    ),
    Country("AT", "de", "EUR", "+43", ("Vienna", "Tyrol", "Styria", "Upper Austria"), 0, 5),
    Country("CH", "de", "EUR", "+41", ("Zurich", "Bern", "Basel-Stadt", "Lucerne"), 0, 5),
    Country("NL", "nl", "EUR", "+31", ("North Holland", "South Holland", "Utrecht"), 0, 6),
    Country(
        "IT",
        "it",
        "EUR",
        "+39",
        ("Lombardy", "Lazio", "Piedmont", "Veneto", "Emilia-Romagna", "Tuscany"),
        1,
        16,
    ),
    Country("FR", "fr", "EUR", "+33", ("Île-de-France", "Auvergne-Rhône-Alpes", "Occitanie"), 1, 8),
    Country("ES", "es", "EUR", "+34", ("Madrid", "Catalonia", "Andalusia", "Valencia"), 1, 6),
    Country(
        "GB", "en", "GBP", "+44", ("London", "Greater Manchester", "Scotland", "Bristol"), 2, 10
    ),
    Country("US", "en", "USD", "+1", ("California", "New York", "Texas", "Illinois"), 2, 8),
    Country(
        "ID", "id", "USD", "+62", ("Jakarta", "West Java", "East Java", "Bali", "Banten"), 2, 12
    ),
    Country("SG", "en", "USD", "+65", ("Singapore",), 2, 4),
    Country("AU", "en", "USD", "+61", ("New South Wales", "Victoria", "Queensland"), 2, 2),
)

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "de": _listed(
        "Anna, Lukas, Lea, Leon, Hannah, Paul, Mia, Felix, Laura, Jonas, Katrin, Stefan, "
        "Julia, Tobias, Sabine, Markus, Nina, Florian"
    ),
    "it": _listed(
        "Giulia, Alessandro, Francesca, Matteo, Sara, Lorenzo, Chiara, Andrea, Martina, "
        "Davide, Elena, Simone, Valentina, Federico, Silvia, Marco"
    ),
    "id": _listed(
        "Putri, Adi, Ayu, Rizky, Dewi, Bayu, Intan, Eko, Sari, Hendra, Wulan, Yusuf, "
        "Ratna, Fajar, Indah, Dimas"
    ),
    "en": _listed(
        "Olivia, James, Emily, Oliver, Sophie, Jack, Charlotte, Harry, Grace, Daniel, "
        "Emma, Michael, Sarah, David, Lucy, Thomas"
    ),
    "fr": _listed("Camille, Louis, Chloé, Hugo, Manon, Julien, Léa, Nicolas, Claire"),
    "es": _listed("Lucía, Javier, Carmen, Pablo, Marta, Diego, Elena, Sergio, Ana"),
    "nl": _listed("Sanne, Daan, Lotte, Bram, Femke, Thijs, Eva, Ruben, Anouk"),
}

LAST_NAMES: dict[str, tuple[str, ...]] = {
    "de": _listed(
        "Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, "
        "Hoffmann, Koch, Richter, Klein, Wolf, Neumann, Braun"
    ),
    "it": _listed(
        "Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, "
        "Greco, Bruno, Gallo, Conti, De Luca, Costa, Fontana"
    ),
    "id": _listed(
        "Santoso, Wijaya, Saputra, Hidayat, Kusuma, Pratama, Siregar, Nasution, Halim, "
        "Gunawan, Setiawan, Lestari, Rahmawati, Utomo"
    ),
    "en": _listed(
        "Smith, Jones, Taylor, Brown, Williams, Wilson, Johnson, Davies, Miller, Clarke, "
        "Walker, Wright, Thompson, Evans, Hughes, Baker"
    ),
    "fr": _listed("Martin, Bernard, Dubois, Thomas, Robert, Petit, Durand, Leroy"),
    "es": _listed("García, Fernández, González, Rodríguez, López, Martínez, Sánchez"),
    "nl": _listed("de Jong, Jansen, de Vries, van Dijk, Bakker, Visser, Smit, Meijer"),
}

# Company names: a distinctive word, a sector word in the local language, a legal form.
COMPANY_WORDS: dict[str, tuple[str, ...]] = {
    "de": _listed(
        "Nordlicht, Bergmann, Alpenblick, Rheintal, Falkenstein, Lindenhof, Sonnenberg, "
        "Eisenwerk, Weißdorn, Brückner, Hansa, Isartal"
    ),
    "it": _listed(
        "Aurora, Vesuvio, Dolomiti, Serenissima, Levante, Marconi, Olivetta, Castello, "
        "Brenta, Ponente, Galilei, Ardesia"
    ),
    "id": _listed("Sinar, Maju, Nusantara, Cahaya, Mitra, Bintang, Sentosa, Garuda"),
    "en": _listed(
        "Harbour, Northgate, Bluebell, Kingsbridge, Redwood, Silverline, Oakridge, "
        "Summit, Lighthouse, Pinecrest, Granite, Meridian"
    ),
    "fr": _listed("Lumière, Rivage, Mistral, Azur, Boréal, Cèdre"),
    "es": _listed("Sierra, Albero, Brisa, Mirador, Solana, Cumbre"),
    "nl": _listed("Polder, Dijkstra, Tulp, Zeewind, Molen, Kade"),
}

# (industry, sector word per locale); the industry is stored in English as a filter value.
SECTORS: tuple[tuple[str, dict[str, str]], ...] = (
    ("Manufacturing", {"de": "Maschinenbau", "it": "Meccanica", "id": "Manufaktur"}),
    ("Logistics", {"de": "Logistik", "it": "Trasporti", "id": "Logistik"}),
    ("Software", {"de": "Software", "it": "Informatica", "id": "Teknologi"}),
    ("Retail", {"de": "Handel", "it": "Commercio", "id": "Niaga"}),
    ("Healthcare", {"de": "Medizintechnik", "it": "Sanità", "id": "Medika"}),
    ("Financial services", {"de": "Finanz", "it": "Finanza", "id": "Finansial"}),
    ("Energy", {"de": "Energie", "it": "Energia", "id": "Energi"}),
    ("Food & beverage", {"de": "Feinkost", "it": "Alimentari", "id": "Pangan"}),
    ("Construction", {"de": "Bau", "it": "Costruzioni", "id": "Konstruksi"}),
    ("Consulting", {"de": "Beratung", "it": "Consulenza", "id": "Konsultan"}),
    ("Telecommunications", {"de": "Telekom", "it": "Telecomunicazioni", "id": "Telekomunikasi"}),
    ("Education", {"de": "Bildung", "it": "Formazione", "id": "Edukasi"}),
)
ENGLISH_SECTORS: dict[str, str] = {
    "Manufacturing": "Engineering",
    "Logistics": "Logistics",
    "Software": "Software",
    "Retail": "Retail",
    "Healthcare": "Health",
    "Financial services": "Finance",
    "Energy": "Energy",
    "Food & beverage": "Foods",
    "Construction": "Construction",
    "Consulting": "Consulting",
    "Telecommunications": "Telecom",
    "Education": "Learning",
}

LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "DE": ("GmbH", "AG", "GmbH & Co. KG"),
    "AT": ("GmbH", "AG"),
    "CH": ("AG", "GmbH", "SA"),
    "NL": ("B.V.", "N.V."),
    "IT": ("S.r.l.", "S.p.A."),
    "FR": ("SAS", "SA", "SARL"),
    "ES": ("S.L.", "S.A."),
    "GB": ("Ltd", "plc"),
    "US": ("Inc.", "LLC", "Corp."),
    "ID": ("Tbk", ""),
    "SG": ("Pte. Ltd.",),
    "AU": ("Pty Ltd",),
}

JOB_TITLES: tuple[str, ...] = _listed(
    "CEO, CFO, COO, CTO, Head of Sales, Head of Operations, IT Manager, Procurement Manager, "
    "Marketing Director, Office Manager, Project Manager, Finance Manager, Operations Lead, "
    "Purchasing Officer, Managing Director"
)

# New-business products with a typical deal size in EUR; renewals reuse them.
PRODUCTS: tuple[tuple[str, int], ...] = (
    ("CRM licences ({seats} seats)", 12_000),
    ("Enterprise licence", 45_000),
    ("Analytics add-on", 8_000),
    ("Onboarding package", 5_000),
    ("Premium support plan", 9_000),
    ("Data migration project", 15_000),
    ("Sales training ({seats} people)", 6_000),
    ("API integration", 11_000),
    ("Field-sales mobile app", 7_500),
)
