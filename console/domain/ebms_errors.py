"""De ebMS 2.0 foutcodes (ErrorList) met uitleg in gewone taal."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EbmsErrorCode(StrEnum):
    VALUE_NOT_RECOGNIZED = "ValueNotRecognized"
    NOT_SUPPORTED = "NotSupported"
    INCONSISTENT = "Inconsistent"
    OTHER_XML = "OtherXml"
    DELIVERY_FAILURE = "DeliveryFailure"
    TIME_TO_LIVE_EXPIRED = "TimeToLiveExpired"
    SECURITY_FAILURE = "SecurityFailure"
    MIME_PROBLEM = "MimeProblem"
    UNKNOWN = "Unknown"


@dataclass(frozen=True, slots=True)
class EbmsErrorExplanation:
    code: EbmsErrorCode
    explanation: str
    next_step: str


EBMS_ERRORS: dict[EbmsErrorCode, EbmsErrorExplanation] = {
    e.code: e
    for e in (
        EbmsErrorExplanation(
            EbmsErrorCode.VALUE_NOT_RECOGNIZED,
            "De ontvanger herkent een waarde in de berichtkop niet (bijvoorbeeld de CPA, "
            "partij, dienst of actie).",
            "Controleer of de CPA bij beide partijen dezelfde is en of de koppeling de juiste "
            "CPA gebruikt.",
        ),
        EbmsErrorExplanation(
            EbmsErrorCode.NOT_SUPPORTED,
            "De ontvanger ondersteunt een gevraagde functie niet.",
            "Controleer het profiel in de CPA (osb-rm of osb-be) en neem contact op met de "
            "beheerder van de ontvanger.",
        ),
        EbmsErrorExplanation(
            EbmsErrorCode.INCONSISTENT,
            "De berichtkop spreekt zichzelf of de CPA tegen.",
            "Controleer de CPA en de instellingen van de koppeling.",
        ),
        EbmsErrorExplanation(
            EbmsErrorCode.OTHER_XML,
            "De XML van het bericht is niet in orde.",
            "Dit is een fout in de software. Meld het met de ruwe XML erbij.",
        ),
        EbmsErrorExplanation(
            EbmsErrorCode.DELIVERY_FAILURE,
            "Het bericht kon niet worden afgeleverd.",
            "Probeer het later opnieuw; blijft het mislukken, neem dan contact op met Logius.",
        ),
        EbmsErrorExplanation(
            EbmsErrorCode.TIME_TO_LIVE_EXPIRED,
            "Het bericht kwam te laat aan: de geldigheidsduur was verstreken.",
            "Verstuur het bericht opnieuw.",
        ),
        EbmsErrorExplanation(
            EbmsErrorCode.SECURITY_FAILURE,
            "De beveiliging klopt niet: certificaat of OIN past niet bij de CPA.",
            "Controleer het certificaat en het OIN van de koppeling.",
        ),
        EbmsErrorExplanation(
            EbmsErrorCode.MIME_PROBLEM,
            "De verpakking (MIME) van het bericht is niet in orde.",
            "Dit is een fout in de software. Meld het met het ruwe bericht erbij.",
        ),
        EbmsErrorExplanation(
            EbmsErrorCode.UNKNOWN,
            "Er ging iets mis bij de ontvanger; de oorzaak is niet bekend.",
            "Probeer het later opnieuw; blijft het mislukken, neem dan contact op met Logius.",
        ),
    )
}


def explain_ebms_error(code: str) -> EbmsErrorExplanation:
    try:
        return EBMS_ERRORS[EbmsErrorCode(code)]
    except ValueError:
        return EbmsErrorExplanation(
            EbmsErrorCode.UNKNOWN, f"Onbekende ebMS-foutcode {code}.", "Neem contact op met Logius."
        )
