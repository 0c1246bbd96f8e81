"""De tien VerwerkingsCodes van GLOBE-R-BV-Result, met uitleg in gewone taal.

Bron: berichtenbox-interface.md sectie 5.2 (XSD-enumeratie; betekenis volgens de TAH).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class VerwerkingsCode(StrEnum):
    VERWERKT = "Verwerkt"
    TECHNISCH_PROBLEEM = "TechnischProbleem"
    NIET_ACTIEF_OF_GEABONNEERD = "NietActiefOfGeabonneerd"
    BERICHTTYPE_NIET_ONDERSTEUND = "BerichtTypeNietOndersteund"
    PUBLICATIEDATUM_TE_VER = "PublicatieDatumLigtTeVerInDeToekomst"
    AANMAAKDATUM_TE_OUD = "AanmaakDatumLigtTeVerInHetVerleden"
    BERICHT_BESTAAT_AL = "BerichtBestaatAl"
    BIJLAGE_TE_GROOT = "BijlageTeGroot"
    OIN_MISMATCH = "OinInCPAKomtNietOvereenMetOinInBericht"
    XML_VALIDATIE = "XmlValidatieTegenXsdValtNegatiefUit"


class Outcome(StrEnum):
    """How the console treats a code."""

    DELIVERED = "delivered"  # in de Berichtenbox
    PAPER = "paper"  # burger niet digitaal bereikbaar: per post versturen
    FIX_AND_RESEND = "fix_and_resend"  # oorzaak herstellen, daarna opnieuw met dezelfde IDs
    DUPLICATE = "duplicate"  # eerder aangeboden; geen nieuwe fout
    CONTACT_LOGIUS = "contact_logius"  # technisch probleem bij Logius


@dataclass(frozen=True, slots=True)
class CodeExplanation:
    code: VerwerkingsCode
    title: str  # kort, voor een badge
    explanation: str  # wat er gebeurd is, in gewone taal
    next_step: str  # wat de gebruiker nu doet
    outcome: Outcome
    resend_allowed: bool  # mag met dezelfde BatchID/BerichtID opnieuw na herstel


CATALOGUE: dict[VerwerkingsCode, CodeExplanation] = {
    c.code: c
    for c in (
        CodeExplanation(
            VerwerkingsCode.VERWERKT,
            "Verwerkt",
            "Het bericht staat in de Berichtenbox van de burger.",
            "Niets te doen. Of en wanneer de burger het bericht leest, is niet te zien.",
            Outcome.DELIVERED,
            False,
        ),
        CodeExplanation(
            VerwerkingsCode.TECHNISCH_PROBLEEM,
            "Technisch probleem",
            "Bij MijnOverheid ging iets mis tijdens het verwerken van het bericht.",
            "Kijk naar het stadium bij de code en neem contact op met Logius voordat u het "
            "bericht opnieuw verstuurt.",
            Outcome.CONTACT_LOGIUS,
            True,
        ),
        CodeExplanation(
            VerwerkingsCode.NIET_ACTIEF_OF_GEABONNEERD,
            "Niet geabonneerd",
            "De burger heeft geen actieve Berichtenbox of ontvangt van deze organisatie geen "
            "digitale post.",
            "Verstuur het bericht per post.",
            Outcome.PAPER,
            False,
        ),
        CodeExplanation(
            VerwerkingsCode.BERICHTTYPE_NIET_ONDERSTEUND,
            "Berichttype onbekend",
            "Dit berichttype bestaat niet of is niet actief bij MijnOverheid.",
            "Activeer het berichttype in het Leveranciersportaal en verstuur opnieuw.",
            Outcome.FIX_AND_RESEND,
            True,
        ),
        CodeExplanation(
            VerwerkingsCode.PUBLICATIEDATUM_TE_VER,
            "Publicatiedatum te ver",
            "De publicatiedatum ligt meer dan 13 dagen in de toekomst.",
            "Kies een publicatiedatum binnen 13 dagen en verstuur opnieuw.",
            Outcome.FIX_AND_RESEND,
            True,
        ),
        CodeExplanation(
            VerwerkingsCode.AANMAAKDATUM_TE_OUD,
            "Aanmaakdatum te oud",
            "De batch is meer dan 13 dagen na het aanmaken aangeboden.",
            "Verstuur het bericht opnieuw; de console zet een nieuwe aanmaakdatum.",
            Outcome.FIX_AND_RESEND,
            True,
        ),
        CodeExplanation(
            VerwerkingsCode.BERICHT_BESTAAT_AL,
            "Al eerder aangeboden",
            "Dit BerichtID is al eerder aangeboden.",
            "Controleer het eerste bericht voordat u iets opnieuw verstuurt. Dit is geen nieuwe "
            "fout.",
            Outcome.DUPLICATE,
            False,
        ),
        CodeExplanation(
            VerwerkingsCode.BIJLAGE_TE_GROOT,
            "Bijlage te groot",
            "De bijlage(n) bij dit bericht zijn samen groter dan MijnOverheid toestaat.",
            "Maak de PDF kleiner (samen ten hoogste 500 kB) en verstuur opnieuw.",
            Outcome.FIX_AND_RESEND,
            True,
        ),
        CodeExplanation(
            VerwerkingsCode.OIN_MISMATCH,
            "OIN klopt niet",
            "Het OIN in het bericht past niet bij het OIN in de CPA: deze koppeling mag niet "
            "voor deze organisatie versturen.",
            "Controleer het OIN van de organisatie, de koppeling en de CPA; vraag zo nodig "
            "Logius de machtiging voor de intermediair te regelen.",
            Outcome.FIX_AND_RESEND,
            True,
        ),
        CodeExplanation(
            VerwerkingsCode.XML_VALIDATIE,
            "Ongeldig bericht",
            "MijnOverheid kon het bericht niet lezen: het voldoet niet aan het XML-schema.",
            "Dit is een fout in de software die het bericht maakt. Meld het aan de leverancier "
            "met de ruwe XML erbij.",
            Outcome.FIX_AND_RESEND,
            True,
        ),
    )
}


STADIUM_EXPLANATIONS: dict[str, str] = {
    "NA": "Geen probleem.",
    "ValidatieBerichtType": "Het berichttype kon niet worden gecontroleerd.",
    "ValidatieGebruiker": "De burger kon niet worden gecontroleerd.",
    "StoreMessage": "Het bericht kon niet worden opgeslagen.",
}


def explain(code: str) -> CodeExplanation | None:
    """Look up a code as received; None for a code outside the catalogue."""
    try:
        return CATALOGUE[VerwerkingsCode(code)]
    except ValueError:
        return None


def explain_stadium(stadium: str | None) -> str:
    if not stadium:
        return ""
    return STADIUM_EXPLANATIONS.get(stadium, f"Probleem in stadium {stadium}.")
