"""The web app's texts in Swedish, Norwegian, Dutch and English, and the choice of language: ``?lang=``
first, then the browser's Accept-Language (by its weights), then WEB_DEFAULT_LANGUAGE."""

from __future__ import annotations

from kit.languages import LANGUAGES
from kit.languages import choose as _choose


def choose(query: str | None, accept_language: str | None, default: str) -> str:
    if query in LANGUAGES:
        return query  # type: ignore[return-value]
    return _choose(accept_language, default)


TEXTS: dict[str, dict[str, str]] = {
    "app_name": {"sv": "Vårdplattformen", "nb": "Omsorgsplattformen", "nl": "Zorgplatform", "en": "Care platform"},
    "language_choice": {"sv": "Språk", "nb": "Språk", "nl": "Taal", "en": "Language"},
    "skip": {"sv": "Till innehållet", "nb": "Til innholdet", "nl": "Naar de inhoud", "en": "Skip to content"},
    "error_title": {"sv": "Något blev fel", "nb": "Noe gikk galt", "nl": "Er ging iets mis", "en": "Something went wrong"},
    "back_home": {"sv": "Till startsidan", "nb": "Til startsiden", "nl": "Naar de startpagina", "en": "To the start page"},
    # home
    "home_title": {"sv": "Välkommen", "nb": "Velkommen", "nl": "Welkom", "en": "Welcome"},
    "home_intro": {
        "sv": "Här bekräftar du inbjudningar, svarar på samtyckesförfrågningar, väljer ett nytt lösenord och bekräftar din e-postadress: öppna länken i mejlet du fick.",
        "nb": "Her bekrefter du invitasjoner, svarer på forespørsler om samtykke, velger nytt passord og bekrefter e-postadressen din: åpne lenken i e-posten du fikk.",
        "nl": "Hier accepteert u uitnodigingen, beantwoordt u toestemmingsverzoeken, kiest u een nieuw wachtwoord en bevestigt u uw e-mailadres: open de link in de e-mail die u kreeg.",
        "en": "Here you accept invitations, answer consent requests, choose a new password and confirm your email address: open the link in the email you received."},
    # forgotten password
    "forgot_link": {"sv": "Glömt lösenordet?", "nb": "Glemt passordet?", "nl": "Wachtwoord vergeten?", "en": "Forgot your password?"},
    "forgot_title": {"sv": "Glömt lösenordet", "nb": "Glemt passordet", "nl": "Wachtwoord vergeten", "en": "Forgotten password"},
    "forgot_intro": {
        "sv": "Skriv ditt användarnamn eller din e-postadress. Vi mejlar en länk där du väljer ett nytt lösenord.",
        "nb": "Skriv brukernavnet eller e-postadressen din. Vi sender en lenke der du velger et nytt passord.",
        "nl": "Vul uw gebruikersnaam of e-mailadres in. We mailen u een link waarmee u een nieuw wachtwoord kiest.",
        "en": "Enter your username or email address. We email you a link where you choose a new password."},
    "login_label": {"sv": "Användarnamn eller e-postadress", "nb": "Brukernavn eller e-postadresse",
                    "nl": "Gebruikersnaam of e-mailadres", "en": "Username or email address"},
    "send_link": {"sv": "Skicka länken", "nb": "Send lenken", "nl": "Link versturen", "en": "Send the link"},
    "forgot_sent": {
        "sv": "Om uppgiften hör till ett konto med lösenord har vi mejlat en länk till kontots e-postadress. Den fungerar en gång, i 30 minuter.",
        "nb": "Hvis opplysningen hører til en konto med passord, har vi sendt en lenke til kontoens e-postadresse. Den virker én gang, i 30 minutter.",
        "nl": "Als dit bij een account met een wachtwoord hoort, hebben we een link naar het e-mailadres van dat account gestuurd. Die werkt één keer, 30 minuten lang.",
        "en": "If this belongs to an account with a password, we have emailed a link to the account's address. It works once, for 30 minutes."},
    # reset
    "reset_title": {"sv": "Välj ett nytt lösenord", "nb": "Velg et nytt passord", "nl": "Kies een nieuw wachtwoord",
                    "en": "Choose a new password"},
    "new_password": {"sv": "Nytt lösenord", "nb": "Nytt passord", "nl": "Nieuw wachtwoord", "en": "New password"},
    "repeat_password": {"sv": "Upprepa lösenordet", "nb": "Gjenta passordet", "nl": "Herhaal het wachtwoord",
                        "en": "Repeat the password"},
    "password_hint": {
        "sv": "Minst 12 tecken, stora och små bokstäver och en siffra eller ett annat tecken. Gärna några ovanliga ord.",
        "nb": "Minst 12 tegn, store og små bokstaver og et tall eller et annet tegn. Gjerne noen uvanlige ord.",
        "nl": "Minstens 12 tekens, hoofdletters en kleine letters en een cijfer of ander teken. Liefst een paar ongewone woorden.",
        "en": "At least 12 characters, upper- and lower-case letters and a digit or another character. A few uncommon words work well."},
    "reset_needs_code": {
        "sv": "Därefter skickar vi en kod med sms till kontots mobilnummer.",
        "nb": "Deretter sender vi en kode på SMS til kontoens mobilnummer.",
        "nl": "Daarna sturen we een code per sms naar het mobiele nummer van het account.",
        "en": "Then we send a code by SMS to the account's mobile number."},
    "save_password": {"sv": "Spara lösenordet", "nb": "Lagre passordet", "nl": "Wachtwoord opslaan", "en": "Save the password"},
    "passwords_differ": {"sv": "Lösenorden är inte likadana.", "nb": "Passordene er ikke like.",
                         "nl": "De wachtwoorden zijn niet gelijk.", "en": "The passwords are not the same."},
    "weak_password": {"sv": "Lösenordet räcker inte:", "nb": "Passordet er ikke godt nok:",
                      "nl": "Het wachtwoord is niet sterk genoeg:", "en": "The password is not good enough:"},
    "code_title": {"sv": "Skriv koden", "nb": "Skriv koden", "nl": "Vul de code in", "en": "Enter the code"},
    "code_sent": {"sv": "Vi har skickat en kod med sms till {to}.", "nb": "Vi har sendt en kode på SMS til {to}.",
                  "nl": "We hebben een code per sms gestuurd naar {to}.", "en": "We have sent a code by SMS to {to}."},
    "code_label": {"sv": "Kod (6 siffror)", "nb": "Kode (6 sifre)", "nl": "Code (6 cijfers)", "en": "Code (6 digits)"},
    "confirm": {"sv": "Bekräfta", "nb": "Bekreft", "nl": "Bevestigen", "en": "Confirm"},
    "wrong_code": {"sv": "Fel kod.", "nb": "Feil kode.", "nl": "Verkeerde code.", "en": "Wrong code."},
    "reset_done": {
        "sv": "Ditt nya lösenord gäller nu. Alla inloggningar på kontot har avslutats: logga in igen med det nya lösenordet.",
        "nb": "Det nye passordet ditt gjelder nå. Alle innlogginger på kontoen er avsluttet: logg inn igjen med det nye passordet.",
        "nl": "Uw nieuwe wachtwoord geldt nu. Alle sessies van het account zijn beëindigd: log opnieuw in met het nieuwe wachtwoord.",
        "en": "Your new password counts now. Every session of the account has ended: sign in again with the new password."},
    "link_not_valid": {
        "sv": "Länken fungerar inte: den är redan använd, ersatt av en nyare eller felskriven.",
        "nb": "Lenken virker ikke: den er allerede brukt, erstattet av en nyere eller skrevet feil.",
        "nl": "Deze link werkt niet: hij is al gebruikt, vervangen door een nieuwere of verkeerd overgenomen.",
        "en": "This link does not work: it was used already, a newer one replaced it, or it is mistyped."},
    "link_expired": {"sv": "Länken har gått ut.", "nb": "Lenken har gått ut.", "nl": "Deze link is verlopen.",
                     "en": "This link has expired."},
    "ask_new_link": {"sv": "Be om en ny länk", "nb": "Be om en ny lenke", "nl": "Vraag een nieuwe link aan",
                     "en": "Ask for a new link"},
    # invitation
    "invitation_title": {"sv": "Skapa ditt konto", "nb": "Opprett kontoen din", "nl": "Maak uw account aan",
                         "en": "Create your account"},
    "invitation_intro": {
        "sv": "Din terapeut har bjudit in dig. Skriv namnet du vill visa; inloggningsuppgifterna kommer med e-post.",
        "nb": "Terapeuten din har invitert deg. Skriv navnet du vil vise; innloggingsopplysningene kommer på e-post.",
        "nl": "Uw therapeut heeft u uitgenodigd. Vul de naam in die u wilt tonen; de inloggegevens komen per e-mail.",
        "en": "Your therapist has invited you. Enter the name you want to show; the sign-in details come by email."},
    "display_name": {"sv": "Ditt namn", "nb": "Navnet ditt", "nl": "Uw naam", "en": "Your name"},
    "create_account": {"sv": "Skapa kontot", "nb": "Opprett kontoen", "nl": "Account aanmaken", "en": "Create the account"},
    "invitation_done": {
        "sv": "Tack! Ditt konto skapas nu. Användarnamn och ett tillfälligt lösenord kommer med e-post; inloggningskoden får du med sms eller e-post.",
        "nb": "Takk! Kontoen din opprettes nå. Brukernavn og et midlertidig passord kommer på e-post; innloggingskoden får du på SMS eller e-post.",
        "nl": "Dank u! Uw account wordt nu aangemaakt. Gebruikersnaam en een tijdelijk wachtwoord komen per e-mail; de inlogcode krijgt u per sms of e-mail.",
        "en": "Thank you! Your account is being created. The username and a temporary password come by email; the login code by SMS or email."},
    "invitation_used": {"sv": "Inbjudan är redan använd.", "nb": "Invitasjonen er allerede brukt.",
                        "nl": "Deze uitnodiging is al gebruikt.", "en": "This invitation has been used already."},
    "invitation_expired": {"sv": "Inbjudan har gått ut; be din terapeut om en ny.",
                           "nb": "Invitasjonen har gått ut; be terapeuten din om en ny.",
                           "nl": "Deze uitnodiging is verlopen; vraag uw therapeut om een nieuwe.",
                           "en": "This invitation has expired; ask your therapist for a new one."},
    # consent
    "consent_title": {"sv": "Samtycke till att läsa tidigare anteckningar", "nb": "Samtykke til å lese tidligere notater",
                      "nl": "Toestemming om eerdere notities te lezen", "en": "Consent to read earlier notes"},
    "consent_intro": {
        "sv": "Din terapeut ber om att få läsa anteckningarna som dina tidigare terapeuter skrev. Du bestämmer, och du kan ta tillbaka ett ja senare.",
        "nb": "Terapeuten din ber om å få lese notatene dine tidligere terapeuter skrev. Du bestemmer, og du kan trekke tilbake et ja senere.",
        "nl": "Uw therapeut vraagt de notities te mogen lezen die uw eerdere therapeuten schreven. U beslist, en u kunt een ja later intrekken.",
        "en": "Your therapist asks to read the notes your earlier therapists wrote. You decide, and you can withdraw a yes later."},
    "approve": {"sv": "Ja, jag godkänner", "nb": "Ja, jeg godkjenner", "nl": "Ja, ik geef toestemming", "en": "Yes, I approve"},
    "deny": {"sv": "Nej, jag nekar", "nb": "Nei, jeg avslår", "nl": "Nee, ik weiger", "en": "No, I deny"},
    "consent_approved": {"sv": "Tack. Du har godkänt förfrågan.", "nb": "Takk. Du har godkjent forespørselen.",
                         "nl": "Dank u. U heeft toestemming gegeven.", "en": "Thank you. You have approved the request."},
    "consent_denied": {"sv": "Tack. Du har nekat förfrågan.", "nb": "Takk. Du har avslått forespørselen.",
                       "nl": "Dank u. U heeft het verzoek geweigerd.", "en": "Thank you. You have denied the request."},
    "consent_answered": {"sv": "Förfrågan är redan besvarad.", "nb": "Forespørselen er allerede besvart.",
                         "nl": "Dit verzoek is al beantwoord.", "en": "This request has been answered already."},
    # email verification
    "verify_title": {"sv": "Bekräfta din e-postadress", "nb": "Bekreft e-postadressen din", "nl": "Bevestig uw e-mailadres",
                     "en": "Confirm your email address"},
    "verify_intro": {
        "sv": "Bekräfta att adressen är din. Därefter får du bekräftelser och meddelanden dit.",
        "nb": "Bekreft at adressen er din. Deretter får du bekreftelser og meldinger dit.",
        "nl": "Bevestig dat dit adres van u is. Daarna krijgt u bevestigingen en berichten op dit adres.",
        "en": "Confirm that this address is yours. From then on, confirmations and messages come there."},
    "verify_done": {"sv": "Tack! E-postadressen är bekräftad.", "nb": "Takk! E-postadressen er bekreftet.",
                    "nl": "Dank u! Het e-mailadres is bevestigd.", "en": "Thank you! The email address is confirmed."},
    # errors
    "csrf": {"sv": "Formuläret har gått ut. Ladda om sidan och försök igen.",
             "nb": "Skjemaet har gått ut. Last inn siden på nytt og prøv igjen.",
             "nl": "Het formulier is verlopen. Laad de pagina opnieuw en probeer het nog eens.",
             "en": "The form has expired. Reload the page and try again."},
    "too_many": {"sv": "För många försök. Vänta en stund och försök igen.", "nb": "For mange forsøk. Vent litt og prøv igjen.",
                 "nl": "Te veel pogingen. Wacht even en probeer het opnieuw.", "en": "Too many tries. Wait a while and try again."},
    "required": {"sv": "Fyll i fältet.", "nb": "Fyll ut feltet.", "nl": "Vul dit veld in.", "en": "Fill in this field."},
    "unavailable": {"sv": "Tjänsten svarar inte just nu. Försök igen om en stund.",
                    "nb": "Tjenesten svarer ikke akkurat nå. Prøv igjen om litt.",
                    "nl": "De dienst reageert nu niet. Probeer het straks opnieuw.",
                    "en": "The service does not answer right now. Try again in a while."},
    "not_found": {"sv": "Sidan finns inte.", "nb": "Siden finnes ikke.", "nl": "Deze pagina bestaat niet.",
                  "en": "This page does not exist."},
}


class Texts:
    """The texts of one language, for templates: ``t.reset_title``, ``t("code_sent", to=…)``."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, key: str, **values: str) -> str:
        return TEXTS[key][self.language].format(**values)

    def __getattr__(self, key: str) -> str:
        try:
            return TEXTS[key][self.language]
        except KeyError as missing:
            raise AttributeError(key) from missing
