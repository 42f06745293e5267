"""The pages' words, one catalogue per language (config ``[web] language``).

A site adds a language by adding a catalogue with the same keys; a missing key
falls back to English, so a half-translated catalogue still gives whole pages.
``{address}`` is filled in (escaped) by the page.
"""

from __future__ import annotations

CATALOGUES: dict[str, dict[str, str]] = {
    "en": {
        "unsubscribe.title": "Unsubscribe",
        "unsubscribe.ask": "Stop sending this mail to {address}?",
        "unsubscribe.button": "Unsubscribe",
        "unsubscribe.done.title": "Unsubscribed",
        "unsubscribe.done": "{address} will not receive this mail any more.",
        "reenable.title": "Receive mail again",
        "reenable.ask": "Send mail to {address} again?",
        "reenable.button": "Receive mail again",
        "reenable.done.title": "Mail enabled again",
        "reenable.done": "Mail to {address} is enabled again.",
        "forged.title": "This link is not valid",
        "forged": "This link is damaged or incomplete. Nothing was changed. "
                  "Please copy the whole link from the message.",
        "expired.title": "This link has expired",
        "expired": "This link is too old to use. Nothing was changed.",
        "used.title": "This link was already used",
        "used": "This link has already been used. Nothing was changed.",
        "notoneclick.title": "Nothing was changed",
        "notoneclick": "This request did not ask to unsubscribe. Nothing was changed.",
        "notfound.title": "Page not found",
        "notfound": "There is no page at this address.",
        "method.title": "Not allowed",
        "method": "This page cannot be used that way. Nothing was changed.",
        "unavailable.title": "Please try again later",
        "unavailable": "The service cannot record your request right now. Nothing was changed. "
                       "Please try again in a few minutes.",
    },
    "de": {
        "unsubscribe.title": "Abmelden",
        "unsubscribe.ask": "Diese E-Mails nicht mehr an {address} senden?",
        "unsubscribe.button": "Abmelden",
        "unsubscribe.done.title": "Abgemeldet",
        "unsubscribe.done": "{address} erhält diese E-Mails nicht mehr.",
        "reenable.title": "Wieder E-Mails erhalten",
        "reenable.ask": "Wieder E-Mails an {address} senden?",
        "reenable.button": "Wieder E-Mails erhalten",
        "reenable.done.title": "E-Mails wieder aktiviert",
        "reenable.done": "E-Mails an {address} sind wieder aktiviert.",
        "forged.title": "Dieser Link ist ungültig",
        "forged": "Dieser Link ist beschädigt oder unvollständig. Es wurde nichts geändert. "
                  "Bitte kopieren Sie den ganzen Link aus der Nachricht.",
        "expired.title": "Dieser Link ist abgelaufen",
        "expired": "Dieser Link ist zu alt. Es wurde nichts geändert.",
        "used.title": "Dieser Link wurde schon benutzt",
        "used": "Dieser Link wurde bereits benutzt. Es wurde nichts geändert.",
        "notoneclick.title": "Es wurde nichts geändert",
        "notoneclick": "Diese Anfrage hat keine Abmeldung verlangt. Es wurde nichts geändert.",
        "notfound.title": "Seite nicht gefunden",
        "notfound": "Unter dieser Adresse gibt es keine Seite.",
        "method.title": "Nicht erlaubt",
        "method": "Diese Seite kann so nicht benutzt werden. Es wurde nichts geändert.",
        "unavailable.title": "Bitte später noch einmal versuchen",
        "unavailable": "Der Dienst kann Ihre Anfrage gerade nicht speichern. Es wurde nichts geändert. "
                       "Bitte versuchen Sie es in einigen Minuten noch einmal.",
    },
    "fr": {
        "unsubscribe.title": "Se désabonner",
        "unsubscribe.ask": "Ne plus envoyer ces messages à {address} ?",
        "unsubscribe.button": "Se désabonner",
        "unsubscribe.done.title": "Désabonnement enregistré",
        "unsubscribe.done": "{address} ne recevra plus ces messages.",
        "reenable.title": "Recevoir à nouveau les messages",
        "reenable.ask": "Envoyer à nouveau des messages à {address} ?",
        "reenable.button": "Recevoir à nouveau",
        "reenable.done.title": "Messages réactivés",
        "reenable.done": "Les messages vers {address} sont réactivés.",
        "forged.title": "Ce lien n'est pas valide",
        "forged": "Ce lien est abîmé ou incomplet. Rien n'a été modifié. "
                  "Copiez le lien entier depuis le message.",
        "expired.title": "Ce lien a expiré",
        "expired": "Ce lien est trop ancien. Rien n'a été modifié.",
        "used.title": "Ce lien a déjà servi",
        "used": "Ce lien a déjà été utilisé. Rien n'a été modifié.",
        "notoneclick.title": "Rien n'a été modifié",
        "notoneclick": "Cette requête ne demandait pas de désabonnement. Rien n'a été modifié.",
        "notfound.title": "Page introuvable",
        "notfound": "Il n'y a pas de page à cette adresse.",
        "method.title": "Non autorisé",
        "method": "Cette page ne s'utilise pas ainsi. Rien n'a été modifié.",
        "unavailable.title": "Réessayez plus tard",
        "unavailable": "Le service ne peut pas enregistrer votre demande pour le moment. "
                       "Rien n'a été modifié. Réessayez dans quelques minutes.",
    },
}


def languages() -> list[str]:
    return sorted(CATALOGUES)


def words(language: str) -> dict[str, str]:
    """The catalogue for ``language`` ("de", "de-AT" falls back to "de"), English filling gaps."""
    base = language.split("-", 1)[0].lower()
    return {**CATALOGUES["en"], **CATALOGUES.get(base, {})}
