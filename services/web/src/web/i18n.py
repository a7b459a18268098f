"""The web app's texts in Swedish, Norwegian, Dutch and English, and the choice of language: ``?lang=``
first, then the remembered choice or the signed-in account's language, then the browser's Accept-Language (by
its weights), then WEB_DEFAULT_LANGUAGE."""

from __future__ import annotations

LANGUAGES = ("sv", "nb", "nl", "en")
#: Accept-Language tags that mean one of ours (Norwegian comes as nb, no or nn)
ALIASES = {"no": "nb", "nn": "nb"}


def choose(query: str | None, accept_language: str | None, default: str, *, preferred: str | None = None) -> str:
    """``?lang=``, then ``preferred`` (the remembered choice or the account's language), then the browser's."""
    if query in LANGUAGES:
        return query  # type: ignore[return-value]
    if preferred in LANGUAGES:
        return preferred  # type: ignore[return-value]
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        primary = ALIASES.get(tag.split("-")[0].strip().lower(), tag.split("-")[0].strip().lower())
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if primary in LANGUAGES and weight > 0:
            weighted.append((-weight, index, primary))
    return sorted(weighted)[0][2] if weighted else default


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

    def get(self, key: str, default: str) -> str:
        """The text of ``key`` (a status's name), or ``default`` for a value without one."""
        return TEXTS[key][self.language] if key in TEXTS else default

    def __getattr__(self, key: str) -> str:
        try:
            return TEXTS[key][self.language]
        except KeyError as missing:
            raise AttributeError(key) from missing


def _t(sv: str, nb: str, nl: str, en: str) -> dict[str, str]:
    return {"sv": sv, "nb": nb, "nl": nl, "en": en}


TEXTS.update({
    # signing in
    "sign_in": _t("Logga in", "Logg inn", "Inloggen", "Sign in"),
    "sign_in_title": _t("Logga in", "Logg inn", "Inloggen", "Sign in"),
    "sign_in_intro": _t("Välj hur du loggar in.", "Velg hvordan du logger inn.", "Kies hoe u inlogt.", "Choose how you sign in."),
    "sign_in_again": _t("Logga in igen", "Logg inn igjen", "Opnieuw inloggen", "Sign in again"),
    "by_bankid": _t("Mobilt BankID", "BankID", "BankID", "BankID"),
    "by_siths": _t("SITHS-kort", "SITHS-kort", "SITHS-kaart", "SITHS card"),
    "by_password": _t("Användarnamn eller e-post och lösenord", "Brukernavn eller e-post og passord",
                      "Gebruikersnaam of e-mail en wachtwoord", "Username or email and password"),
    "bankid_title": _t("Logga in med BankID", "Logg inn med BankID", "Inloggen met BankID", "Sign in with BankID"),
    "bankid_scan": _t("Öppna BankID-appen och skanna QR-koden. Koden byts varje sekund.",
                      "Åpne BankID-appen og skann QR-koden. Koden byttes hvert sekund.",
                      "Open de BankID-app en scan de QR-code. De code wisselt elke seconde.",
                      "Open the BankID app and scan the QR code. The code changes every second."),
    "bankid_qr_label": _t("QR-kod för BankID", "QR-kode for BankID", "QR-code voor BankID", "QR code for BankID"),
    "bankid_same_device": _t("BankID på den här enheten", "BankID på denne enheten", "BankID op dit apparaat",
                             "BankID on this device"),
    "bankid_pending": _t("Väntar på BankID …", "Venter på BankID …", "Wachten op BankID …", "Waiting for BankID …"),
    "bankid_user_sign": _t("Skriv din säkerhetskod i BankID-appen.", "Skriv sikkerhetskoden din i BankID-appen.",
                           "Voer uw beveiligingscode in de BankID-app in.", "Enter your security code in the BankID app."),
    "bankid_failed": _t("Inloggningen avbröts eller tog för lång tid.", "Innloggingen ble avbrutt eller tok for lang tid.",
                        "Het inloggen is afgebroken of duurde te lang.", "The sign-in was cancelled or took too long."),
    "try_again": _t("Försök igen", "Prøv igjen", "Opnieuw proberen", "Try again"),
    "simulator_title": _t("Utveckling: BankID-simulatorn", "Utvikling: BankID-simulatoren", "Ontwikkeling: de BankID-simulator",
                          "Development: the BankID simulator"),
    "simulator_intro": _t("Simulatorn godkänner ordern som BankID-appen skulle göra.",
                          "Simulatoren godkjenner ordren slik BankID-appen ville gjort.",
                          "De simulator keurt de order goed zoals de BankID-app zou doen.",
                          "The simulator approves the order as the BankID app would."),
    "personal_number": _t("Personnummer (12 siffror)", "Personnummer (12 sifre)", "Persoonsnummer (12 cijfers)",
                          "Personal number (12 digits)"),
    "full_name": _t("Namn", "Navn", "Naam", "Name"),
    "simulate": _t("Godkänn i simulatorn", "Godkjenn i simulatoren", "Goedkeuren in de simulator", "Approve in the simulator"),
    "simulated": _t("Godkänt i simulatorn: inloggningen slutförs strax.", "Godkjent i simulatoren: innloggingen fullføres straks.",
                    "Goedgekeurd in de simulator: het inloggen wordt zo afgerond.",
                    "Approved in the simulator: the sign-in completes in a moment."),
    "claim_title": _t("Bekräfta ditt konto", "Bekreft kontoen din", "Bevestig uw account", "Confirm your account"),
    "claim_intro": _t("{made_by} har skapat kontot ”{account}” åt dig. Är det ditt?",
                      "{made_by} har opprettet kontoen «{account}» for deg. Er den din?",
                      "{made_by} heeft het account ‘{account}’ voor u gemaakt. Is het van u?",
                      "{made_by} made the account “{account}” for you. Is it yours?"),
    "claim_yes": _t("Ja, det är mitt konto", "Ja, det er min konto", "Ja, dit is mijn account", "Yes, it is my account"),
    "claim_no": _t("Nej, skapa ett eget konto", "Nei, lag en egen konto", "Nee, maak een eigen account", "No, make my own account"),
    "siths_title": _t("Logga in med SITHS-kort", "Logg inn med SITHS-kort", "Inloggen met SITHS-kaart", "Sign in with a SITHS card"),
    "siths_steps": _t("Sätt kortet i läsaren. Tryck på knappen: webbläsaren frågar efter kortets certifikat; välj det och skriv din PIN-kod.",
                      "Sett kortet i leseren. Trykk på knappen: nettleseren spør etter kortets sertifikat; velg det og skriv PIN-koden.",
                      "Steek de kaart in de lezer. Druk op de knop: de browser vraagt om het certificaat van de kaart; kies het en voer uw pincode in.",
                      "Put the card in the reader. Press the button: the browser asks for the card's certificate; choose it and enter your PIN."),
    "siths_dev": _t("Utveckling: certifikaten finns i var/siths/ (<användarnamn>.pem med nyckeln <användarnamn>-key.pem, utfärdade av var/siths/ca.pem).",
                    "Utvikling: sertifikatene ligger i var/siths/ (<brukernavn>.pem med nøkkelen <brukernavn>-key.pem, utstedt av var/siths/ca.pem).",
                    "Ontwikkeling: de certificaten staan in var/siths/ (<gebruikersnaam>.pem met sleutel <gebruikersnaam>-key.pem, uitgegeven door var/siths/ca.pem).",
                    "Development: the certificates are in var/siths/ (<username>.pem with the key <username>-key.pem, issued by var/siths/ca.pem)."),
    "siths_go": _t("Logga in med kortet", "Logg inn med kortet", "Inloggen met de kaart", "Sign in with the card"),
    "siths_refused": _t("Kortets certifikat godtogs inte.", "Kortets sertifikat ble ikke godtatt.",
                        "Het certificaat van de kaart is niet geaccepteerd.", "The card's certificate was not accepted."),
    "siths_again": _t("Inloggningen kunde inte slutföras. Börja om.", "Innloggingen kunne ikke fullføres. Begynn på nytt.",
                      "Het inloggen kon niet worden afgerond. Begin opnieuw.", "The sign-in could not be completed. Start again."),
    "password_title": _t("Logga in med lösenord", "Logg inn med passord", "Inloggen met wachtwoord", "Sign in with a password"),
    "password_label": _t("Lösenord", "Passord", "Wachtwoord", "Password"),
    "password_then_code": _t("Med användarnamn skickar vi sedan en kod med sms.", "Med brukernavn sender vi deretter en kode på SMS.",
                             "Met een gebruikersnaam sturen we daarna een code per sms.",
                             "With a username we then send you a code by SMS."),
    "next": _t("Fortsätt", "Fortsett", "Verder", "Continue"),
    "wrong_login": _t("Fel användarnamn eller lösenord.", "Feil brukernavn eller passord.", "Verkeerde gebruikersnaam of wachtwoord.",
                      "Wrong username or password."),
    "temporary_expired": _t("Det tillfälliga lösenordet har gått ut. Be om ett nytt.", "Det midlertidige passordet er utløpt. Be om et nytt.",
                            "Het tijdelijke wachtwoord is verlopen. Vraag een nieuw aan.",
                            "The temporary password has expired. Ask for a new one."),
    "code_mailed": _t("Vi har mejlat en kod till {to}.", "Vi har sendt en kode på e-post til {to}.",
                      "We hebben een code gemaild naar {to}.", "We have emailed a code to {to}."),
    "change_title": _t("Välj ditt eget lösenord", "Velg ditt eget passord", "Kies uw eigen wachtwoord", "Choose your own password"),
    "change_intro": _t("Du loggade in med ett tillfälligt lösenord. Välj ett eget.",
                       "Du logget inn med et midlertidig passord. Velg et eget.",
                       "U bent ingelogd met een tijdelijk wachtwoord. Kies een eigen wachtwoord.",
                       "You signed in with a temporary password. Choose your own."),
    "current_password": _t("Nuvarande lösenord", "Nåværende passord", "Huidig wachtwoord", "Current password"),
    "wrong_current": _t("Det nuvarande lösenordet stämmer inte.", "Det nåværende passordet stemmer ikke.",
                        "Het huidige wachtwoord klopt niet.", "The current password is not right."),
    "terms_title": _t("Användarvillkor", "Bruksvilkår", "Gebruiksvoorwaarden", "Terms of use"),
    "terms_intro": _t("Innan du fortsätter: läs och godkänn användarvillkoren, version {version}.",
                      "Før du fortsetter: les og godta bruksvilkårene, versjon {version}.",
                      "Voordat u verdergaat: lees en accepteer de gebruiksvoorwaarden, versie {version}.",
                      "Before you go on: read and accept the terms of use, version {version}."),
    "terms_text": _t("Plattformen behandlar dina personuppgifter för att ge dig vård och stöd. Du ansvarar för att hålla dina inloggningsuppgifter hemliga.",
                     "Plattformen behandler personopplysningene dine for å gi deg omsorg og støtte. Du er ansvarlig for å holde innloggingen din hemmelig.",
                     "Het platform verwerkt uw persoonsgegevens om u zorg en ondersteuning te bieden. U houdt uw inloggegevens geheim.",
                     "The platform processes your personal data to give you care and support. You keep your sign-in details secret."),
    "terms_accept": _t("Jag godkänner användarvillkoren", "Jeg godtar bruksvilkårene", "Ik accepteer de gebruiksvoorwaarden",
                       "I accept the terms of use"),
    "terms_must": _t("Kryssa i att du godkänner villkoren.", "Kryss av for at du godtar vilkårene.",
                     "Vink aan dat u de voorwaarden accepteert.", "Tick that you accept the terms."),
    "choose_title": _t("Välj klient", "Velg klient", "Kies een cliënt", "Choose a client"),
    "choose_intro": _t("Du företräder flera personer. Välj vem du agerar för.", "Du representerer flere personer. Velg hvem du handler for.",
                       "U vertegenwoordigt meerdere personen. Kies voor wie u optreedt.",
                       "You represent several people. Choose whom you act for."),
    "choose": _t("Välj", "Velg", "Kiezen", "Choose"),
    "acting_for": _t("Du agerar för {name}", "Du handler for {name}", "U treedt op voor {name}", "You act for {name}"),
    "switch_client": _t("Byt klient", "Bytt klient", "Andere cliënt", "Switch client"),
    "sign_out": _t("Logga ut", "Logg ut", "Uitloggen", "Sign out"),
    "signed_out_title": _t("Utloggad", "Logget ut", "Uitgelogd", "Signed out"),
    "signed_out": _t("Du är utloggad.", "Du er logget ut.", "U bent uitgelogd.", "You are signed out."),
    "start_title": _t("Hej {name}", "Hei {name}", "Hallo {name}", "Hello {name}"),
    "start_intro": _t("Vad vill du göra?", "Hva vil du gjøre?", "Wat wilt u doen?", "What would you like to do?"),
    "signed_in_as": _t("Inloggad som {name}", "Logget inn som {name}", "Ingelogd als {name}", "Signed in as {name}"),
    "main_menu": _t("Meny", "Meny", "Menu", "Menu"),
    # the marketplace
    "questionnaire_title": _t("Hitta en terapeut", "Finn en terapeut", "Vind een therapeut", "Find a therapist"),
    "questionnaire_intro": _t("Hur mycket besvärar varje område dig, från 0 (inte alls) till 10 (mycket)? Välj sedan varför du söker kontakt.",
                              "Hvor mye plager hvert område deg, fra 0 (ikke i det hele tatt) til 10 (mye)? Velg så hvorfor du søker kontakt.",
                              "Hoeveel last heeft u van elk gebied, van 0 (helemaal niet) tot 10 (veel)? Kies daarna waarom u contact zoekt.",
                              "How much does each area trouble you, from 0 (not at all) to 10 (a lot)? Then choose why you seek contact."),
    "areas_legend": _t("Problemområden", "Problemområder", "Probleemgebieden", "Problem areas"),
    "reason_legend": _t("Anledning till kontakt", "Grunn til kontakt", "Reden van contact", "Reason for contact"),
    "show_matches": _t("Visa terapeuter", "Vis terapeuter", "Therapeuten tonen", "Show therapists"),
    "score_range": _t("Ange ett tal från 0 till 10.", "Oppgi et tall fra 0 til 10.", "Vul een getal van 0 tot 10 in.",
                      "Enter a number from 0 to 10."),
    "reason_required": _t("Välj en anledning.", "Velg en grunn.", "Kies een reden.", "Choose a reason."),
    "matches_title": _t("Terapeuter för dig", "Terapeuter for deg", "Therapeuten voor u", "Therapists for you"),
    "matches_intro": _t("Rankade efter hur väl terapeutens inriktning möter dina svar.",
                        "Rangert etter hvor godt terapeutens fagområder møter svarene dine.",
                        "Gerangschikt naar hoe goed de aandachtsgebieden van de therapeut bij uw antwoorden passen.",
                        "Ranked by how well the therapist's focus meets your answers."),
    "no_matches": _t("Inga terapeuter matchar ännu. Ändra dina svar.", "Ingen terapeuter passer ennå. Endre svarene dine.",
                     "Nog geen therapeuten gevonden. Pas uw antwoorden aan.", "No therapists match yet. Change your answers."),
    "score": _t("Poäng", "Poeng", "Score", "Score"),
    "why": _t("Varför", "Hvorfor", "Waarom", "Why"),
    "area": _t("Område", "Område", "Gebied", "Area"),
    "your_score": _t("Ditt svar", "Ditt svar", "Uw antwoord", "Your answer"),
    "their_weight": _t("Terapeutens vikt", "Terapeutens vekt", "Gewicht therapeut", "Therapist's weight"),
    "points": _t("Poäng", "Poeng", "Punten", "Points"),
    "fee": _t("Arvode", "Honorar", "Tarief", "Fee"),
    "see_profile": _t("Se {name} och lediga tider", "Se {name} og ledige tider", "Bekijk {name} en vrije tijden",
                      "See {name} and free times"),
    "change_answers": _t("Ändra dina svar", "Endre svarene dine", "Antwoorden aanpassen", "Change your answers"),
    "therapist_title": _t("Terapeut", "Terapeut", "Therapeut", "Therapist"),
    "reception": _t("Mottagning", "Mottak", "Praktijk", "Reception"),
    "free_slots": _t("Lediga tider", "Ledige tider", "Vrije tijden", "Free times"),
    "no_slots": _t("Inga lediga tider de närmaste fyra veckorna.", "Ingen ledige tider de neste fire ukene.",
                   "Geen vrije tijden in de komende vier weken.", "No free times in the next four weeks."),
    "video": _t("Video", "Video", "Video", "Video"),
    "on_site": _t("På plats", "På stedet", "Op locatie", "On site"),
    "reserve": _t("Boka {when}", "Bestill {when}", "Reserveer {when}", "Book {when}"),
    "reserve_title": _t("Boka", "Bestill", "Reserveren", "Book"),
    "slot_taken": _t("Tiden hann bokas av någon annan. Välj en annan tid.", "Tiden ble bestilt av noen andre. Velg en annen tid.",
                     "Deze tijd is net door iemand anders gereserveerd. Kies een andere tijd.",
                     "Someone else booked this time first. Choose another time."),
    "back_to_matches": _t("Tillbaka till terapeuterna", "Tilbake til terapeutene", "Terug naar de therapeuten",
                          "Back to the therapists"),
    "pay_title": _t("Betala", "Betal", "Betalen", "Pay"),
    "pay_provider": _t("Betalleverantörens sida (utveckling: testleverantören)", "Betalingsleverandørens side (utvikling: testleverandøren)",
                       "Pagina van de betaalprovider (ontwikkeling: de testprovider)",
                       "The payment provider's page (development: the test provider)"),
    "pay_hold": _t("Tiden hålls åt dig till {until}.", "Tiden holdes av for deg til {until}.", "De tijd wordt voor u vastgehouden tot {until}.",
                   "The time is held for you until {until}."),
    "card_legend": _t("Testkort", "Testkort", "Testkaart", "Test card"),
    "stub_card_ok": _t("Testkort som godkänns", "Testkort som godkjennes", "Testkaart die wordt goedgekeurd", "Test card that is approved"),
    "stub_card_declined": _t("Testkort som nekas", "Testkort som avvises", "Testkaart die wordt geweigerd", "Test card that is declined"),
    "card_required": _t("Välj ett kort.", "Velg et kort.", "Kies een kaart.", "Choose a card."),
    "pay_amount": _t("Betala {amount}", "Betal {amount}", "Betaal {amount}", "Pay {amount}"),
    "payment_waiting": _t("Betalningen behandlas …", "Betalingen behandles …", "De betaling wordt verwerkt …", "The payment is being processed …"),
    "payment_failed": _t("Betalningen gick inte igenom.", "Betalingen gikk ikke gjennom.", "De betaling is mislukt.", "The payment did not go through."),
    "pay_again": _t("Försök betala igen", "Prøv å betale igjen", "Opnieuw betalen", "Try paying again"),
    "booking_title": _t("Din bokning", "Din bestilling", "Uw afspraak", "Your booking"),
    "confirmed_title": _t("Bokningen är bekräftad", "Bestillingen er bekreftet", "De afspraak is bevestigd", "The booking is confirmed"),
    "confirmed_text": _t("Vi har skickat en bekräftelse till din e-post.", "Vi har sendt en bekreftelse til e-posten din.",
                         "We hebben een bevestiging naar uw e-mail gestuurd.", "We have sent a confirmation to your email."),
    "when": _t("Tid", "Tid", "Tijd", "Time"),
    "with_whom": _t("Terapeut", "Terapeut", "Therapeut", "Therapist"),
    "price": _t("Pris", "Pris", "Prijs", "Price"),
    "status": _t("Status", "Status", "Status", "Status"),
    "status_pending_payment": _t("Väntar på betalning", "Venter på betaling", "Wacht op betaling", "Waiting for payment"),
    "status_confirmed": _t("Bekräftad", "Bekreftet", "Bevestigd", "Confirmed"),
    "status_cancelled": _t("Avbokad", "Avbestilt", "Geannuleerd", "Cancelled"),
    "status_expired": _t("Förfallen", "Utløpt", "Verlopen", "Expired"),
    "status_completed": _t("Genomförd", "Gjennomført", "Afgerond", "Completed"),
    "bookings_title": _t("Mina bokningar", "Mine bestillinger", "Mijn afspraken", "My bookings"),
    "no_bookings": _t("Du har inga bokningar.", "Du har ingen bestillinger.", "U heeft geen afspraken.", "You have no bookings."),
    "rule_full_refund": _t("Avbokar du nu får du hela beloppet tillbaka (mer än 24 timmar före start, till {until}).",
                           "Avbestiller du nå, får du hele beløpet tilbake (mer enn 24 timer før start, til {until}).",
                           "Annuleert u nu, dan krijgt u het hele bedrag terug (meer dan 24 uur voor de start, tot {until}).",
                           "If you cancel now you get the whole amount back (more than 24 hours before the start, until {until})."),
    "rule_fee_kept": _t("Avbokar du nu får du inte tillbaka arvodet: det är 24 timmar eller mindre kvar till start.",
                        "Avbestiller du nå, får du ikke honoraret tilbake: det er 24 timer eller mindre til start.",
                        "Annuleert u nu, dan krijgt u het tarief niet terug: de start is over 24 uur of minder.",
                        "If you cancel now the fee is kept: the start is 24 hours away or less."),
    "cancel": _t("Avboka", "Avbestill", "Annuleren", "Cancel"),
    "cancel_booking": _t("Avboka tiden {when}", "Avbestill timen {when}", "Annuleer de afspraak van {when}", "Cancel the booking at {when}"),
    "cancel_title": _t("Avboka", "Avbestill", "Annuleren", "Cancel"),
    "cancel_confirm": _t("Ja, avboka", "Ja, avbestill", "Ja, annuleren", "Yes, cancel"),
    "keep_booking": _t("Behåll bokningen", "Behold bestillingen", "Afspraak houden", "Keep the booking"),
    "cancelled_refund": _t("Bokningen är avbokad. Hela beloppet betalas tillbaka.", "Bestillingen er avbestilt. Hele beløpet betales tilbake.",
                           "De afspraak is geannuleerd. Het hele bedrag wordt terugbetaald.",
                           "The booking is cancelled. The whole amount is refunded."),
    "cancelled_fee_kept": _t("Bokningen är avbokad. Arvodet betalas inte tillbaka (24-timmarsregeln).",
                             "Bestillingen er avbestilt. Honoraret betales ikke tilbake (24-timersregelen).",
                             "De afspraak is geannuleerd. Het tarief wordt niet terugbetaald (de 24-uursregel).",
                             "The booking is cancelled. The fee is not refunded (the 24-hour rule)."),
    "consents_title": _t("Samtycken", "Samtykker", "Toestemmingen", "Consents"),
    "consents_intro": _t("Terapeuter som bett att få läsa anteckningar andra terapeuter skrivit om dig.",
                         "Terapeuter som har bedt om å lese notater andre terapeuter har skrevet om deg.",
                         "Therapeuten die hebben gevraagd notities te lezen die andere therapeuten over u schreven.",
                         "Therapists who asked to read notes other therapists wrote about you."),
    "no_consents": _t("Inga förfrågningar.", "Ingen forespørsler.", "Geen verzoeken.", "No requests."),
    "consent_asks": _t("{who} vill läsa anteckningar av {whose}.", "{who} vil lese notater av {whose}.",
                       "{who} wil notities lezen van {whose}.", "{who} asks to read notes by {whose}."),
    "consent_status_pending": _t("Väntar på ditt svar", "Venter på svaret ditt", "Wacht op uw antwoord", "Waiting for your answer"),
    "consent_status_approved": _t("Godkänt", "Godkjent", "Goedgekeurd", "Approved"),
    "consent_status_denied": _t("Nekat", "Avslått", "Geweigerd", "Denied"),
    "consent_status_withdrawn": _t("Återkallat", "Trukket tilbake", "Ingetrokken", "Withdrawn"),
    "withdraw": _t("Återkalla samtycket", "Trekk tilbake samtykket", "Toestemming intrekken", "Withdraw the consent"),
})
