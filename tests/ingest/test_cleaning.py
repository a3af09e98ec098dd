"""Boilerplate removal, checked on the real scraped articles."""

import pytest

from assistant.ingest.cleaning import clean_text
from tests.conftest import CORPUS

FURNITURE = [
    "Suivez RT en français",
    "Telegram",
    "Lire aussi",
    "cookies",
    "Tout Accepter",
    "Tout refuser",
    "Paramétrer vos choix",
    "Politique de Confidentialité",
    "Vous devez être membre",
    "Devenez membre",
    "Aucun commentaire",
    "Signalez-le ici",
    "Contenu partenaire",
    "©",
    "pic.twitter.com",
    "https://t.co",
    "(@RTenfrancais)",
    "voir ID:",
    "Image d'illustration",
    "Raconter l'actualité",
]


@pytest.fixture(scope="module")
def cleaned():
    return {p.name: (p.read_text(), clean_text(p.read_text())) for p in sorted(CORPUS.glob("*.txt"))}


def test_furniture_present_in_raw_and_gone_after(cleaned):
    raw_all = "\n".join(raw for raw, _ in cleaned.values())
    clean_all = "\n".join(c.text for _, c in cleaned.values())
    for phrase in FURNITURE:
        assert phrase.lower() in raw_all.lower(), f"test premise: {phrase!r} is in the raw corpus"
        assert phrase.lower() not in clean_all.lower(), f"{phrase!r} survived cleaning"


def test_article_content_is_kept(cleaned):
    text = cleaned["000_55f2b78b0a1d9555.txt"][1].text
    for fact in ["890 000 citoyens syriens", "Guerassimov", "Joseph Dunford", "Al-Tanf", "Dans un communiqué du 4 août"]:
        assert fact in text
    assert "Choïgou" in cleaned["004_d9708b5f1dfb3cd5.txt"][1].text
    assert "Londres" in cleaned["004_d9708b5f1dfb3cd5.txt"][1].text


def test_title_outlet_date_from_the_text(cleaned):
    c000 = cleaned["000_55f2b78b0a1d9555.txt"][1]
    assert c000.title == "Syrie : Moscou accuse Washington d'avoir laissé fuiter une lettre confidentielle"
    assert c000.outlet == "RT en français"
    # the headline appears twice in the scrape (masthead + caption); kept once
    assert c000.text.count("laissé fuiter une lettre confidentielle") == 1
    c001 = cleaned["001_8c149a3a79ef84b9.txt"][1]
    assert c001.date == "2018-08"
    assert not c001.text.startswith("date")
    assert cleaned["002_27ca0a4dde6cff53.txt"][1].outlet == "Le Vif"
    assert cleaned["004_d9708b5f1dfb3cd5.txt"][1].outlet == "Reuters"
    assert cleaned["004_d9708b5f1dfb3cd5.txt"][1].title == "Les ministres russe et US de la Défense ont discuté de la Syrie"


def test_unknown_outlet_is_not_guessed(cleaned):
    assert cleaned["003_15df5f8cc0ffe991.txt"][1].outlet is None
