"""What each problem type is called, in bokmål, nynorsk and English, and its HTTP status."""

from __future__ import annotations

from typing import NamedTuple


class ProblemText(NamedTuple):
    """A problem's HTTP status and its title in each language."""

    status: int
    nb: str
    nn: str
    en: str


# The front end keys its own texts by `type`; these titles serve API clients and tools.
PROBLEMS: dict[str, ProblemText] = {
    "bad_request": ProblemText(400, "Forespørselen er ugyldig", "Førespurnaden er ugyldig", "The request is invalid"),
    "malformed_body": ProblemText(
        400,
        "Forespørselen kunne ikke leses",
        "Førespurnaden kunne ikkje lesast",
        "The request could not be read",
    ),
    "unauthorized": ProblemText(401, "Du må logge inn", "Du må logge inn", "You must sign in"),
    "forbidden": ProblemText(
        403, "Du har ikke tilgang til dette", "Du har ikkje tilgang til dette", "You do not have access"
    ),
    "csrf_failed": ProblemText(
        403,
        "Siden er utløpt. Last den inn på nytt og prøv igjen",
        "Sida er utgått. Last henne inn på nytt og prøv igjen",
        "The page has expired. Reload it and try again",
    ),
    "sign_in_failed": ProblemText(
        400,
        "Innloggingen ble avbrutt eller er utløpt. Prøv å logge inn på nytt",
        "Innlogginga vart avbroten eller er utgått. Prøv å logge inn på nytt",
        "Signing in was interrupted or has expired. Please sign in again",
    ),
    "login_level_too_low": ProblemText(
        403,
        "Innloggingen din har for lavt sikkerhetsnivå. Logg inn på nytt med en sikrere metode, for eksempel BankID",
        "Innlogginga di har for lågt tryggleiksnivå. Logg inn på nytt med ein sikrare metode, til dømes BankID",
        "Your sign-in has too low a level of assurance. Sign in again with a stronger method, such as BankID",
    ),
    "not_registered": ProblemText(
        403,
        "Du er ikke registrert i Tjenesteshop. Kontakt tjenestekontoret i kommunen din",
        "Du er ikkje registrert i Tjenesteshop. Kontakt tenestekontoret i kommunen din",
        "You are not registered in Tjenesteshop. Contact your municipality's service office",
    ),
    "not_found": ProblemText(404, "Fant ikke det du ba om", "Fann ikkje det du bad om", "Not found"),
    "method_not_allowed": ProblemText(
        405,
        "Denne handlingen er ikke tillatt her",
        "Denne handlinga er ikkje tillaten her",
        "This method is not allowed here",
    ),
    "conflict": ProblemText(
        409, "Det du ba om, kolliderer med noe annet", "Det du bad om, kolliderer med noko anna", "Conflict"
    ),
    "request_too_large": ProblemText(
        413, "Forespørselen er for stor", "Førespurnaden er for stor", "The request is too large"
    ),
    "unsupported_media_type": ProblemText(
        415,
        "Innholdstypen støttes ikke",
        "Innhaldstypen er ikkje støtta",
        "Unsupported media type",
    ),
    "validation_failed": ProblemText(
        422,
        "Noen av feltene er ikke fylt ut riktig",
        "Nokre av felta er ikkje fylte ut rett",
        "Some fields are not valid",
    ),
    "time_zone_required": ProblemText(
        422,
        "Tidspunktet må ha en tidssone, for eksempel 2026-12-07T10:00:00+01:00",
        "Tidspunktet må ha ei tidssone, til dømes 2026-12-07T10:00:00+01:00",
        "The time must carry a time zone offset, such as 2026-12-07T10:00:00+01:00",
    ),
    "text_contains_nul": ProblemText(
        422,
        "Teksten inneholder et tegn som ikke er tillatt (NUL, \\u0000)",
        "Teksten inneheld eit teikn som ikkje er tillate (NUL, \\u0000)",
        "The text contains a character that is not allowed (NUL, \\u0000)",
    ),
    "date_out_of_range": ProblemText(
        422,
        "Datoen er utenfor det vi kan regne med. Velg en dato nærmere i tid",
        "Datoen er utanfor det vi kan rekne med. Vel ein dato nærare i tid",
        "The date is outside the range we can work with. Choose a date closer to now",
    ),
    "push_endpoint_not_allowed": ProblemText(
        422,
        "Varslingsadressen er ikke tillatt: bare offentlige push-tjenester over https kan brukes",
        "Varslingsadressa er ikkje tillaten: berre offentlege push-tenester over https kan brukast",
        "The push address is not allowed: only public push services over https can be used",
    ),
    "invalid_contact": ProblemText(
        422,
        "Telefonnummeret eller e-postadressen kan ikke brukes",
        "Telefonnummeret eller e-postadressa kan ikkje brukast",
        "The phone number or e-mail address cannot be used",
    ),
    "invalid_retention": ProblemText(
        422,
        "Lagringstiden er utenfor det som er tillatt",
        "Lagringstida er utanfor det som er tillate",
        "The retention period is outside what is allowed",
    ),
    "invalid_national_id": ProblemText(
        422,
        "Fødselsnummeret er ikke gyldig. Sjekk at alle de 11 sifrene er riktige",
        "Fødselsnummeret er ikkje gyldig. Sjekk at alle dei 11 sifra er rette",
        "The national identity number is not valid. Check all 11 digits",
    ),
    "invalid_scope": ProblemText(
        422,
        "Rollen eller avdelingen passer ikke sammen",
        "Rolla eller avdelinga passar ikkje saman",
        "The role and the department do not fit together",
    ),
    "invalid_period": ProblemText(
        422,
        "Perioden er ikke gyldig: sluttdatoen er før startdatoen eller allerede passert",
        "Perioden er ikkje gyldig: sluttdatoen er før startdatoen eller alt passert",
        "The period is not valid: it ends before it starts, or has already ended",
    ),
    "person_exists": ProblemText(
        409,
        "Personen er allerede registrert",
        "Personen er alt registrert",
        "This person is already registered",
    ),
    "invalid_range": ProblemText(
        422,
        "Datoene er ikke gyldige: til-datoen må være etter fra-datoen, og perioden kan ikke være for lang",
        "Datoane er ikkje gyldige: til-datoen må vere etter frå-datoen, og perioden kan ikkje vere for lang",
        "The dates are not valid: 'to' must follow 'from', and the range must not be too long",
    ),
    "capacity_conflict": ProblemText(
        409,
        "Endringen tar bort bemanning som allerede er bestilt. Flytt eller avlys disse timene først",
        "Endringa tek bort bemanning som alt er bestilt. Flytt eller avlys desse timane først",
        "The change removes staff time that is already booked. Move or cancel these bookings first",
    ),
    "unknown_timezone": ProblemText(
        422,
        "Tidssonen finnes ikke. Bruk et navn som Europe/Oslo",
        "Tidssona finst ikkje. Bruk eit namn som Europe/Oslo",
        "Unknown time zone. Use a name such as Europe/Oslo",
    ),
    "invalid_opening_hours": ProblemText(
        422,
        "Åpningstidene henger ikke sammen: sjekk at tidene ikke overlapper og følger rutenettet",
        "Opningstidene heng ikkje saman: sjekk at tidene ikkje overlappar og følgjer rutenettet",
        "The opening hours do not fit together: check that the times do not overlap and follow the grid",
    ),
    "invalid_exception": ProblemText(
        422,
        "En stengt dag kan ikke ha åpningstider, og en åpen dag må ha minst én åpningstid",
        "Ein stengd dag kan ikkje ha opningstider, og ein open dag må ha minst éi opningstid",
        "A closed day cannot have opening hours, and an open day needs at least one",
    ),
    "exception_exists": ProblemText(
        409,
        "Det finnes allerede et unntak denne dagen. Slett det først hvis du vil lage et nytt",
        "Det finst alt eit unntak denne dagen. Slett det først om du vil lage eit nytt",
        "There is already an exception on this day. Delete it first to make a new one",
    ),
    "day_passed": ProblemText(
        422,
        "Dagen har allerede vært. Velg i dag eller en senere dag",
        "Dagen har alt vore. Vel i dag eller ein seinare dag",
        "That day has already passed. Choose today or a later day",
    ),
    "not_a_holiday": ProblemText(
        422,
        "Dagen er ikke en helligdag. Vanlige åpningstider gjelder allerede",
        "Dagen er ikkje ein heilagdag. Vanlege opningstider gjeld alt",
        "That day is not a public holiday. The ordinary opening hours already apply",
    ),
    "invalid_durations": ProblemText(
        422,
        "Varighetene må gå opp i avdelingens rutenett (med et rutenett på 15 minutter: 15, 30, 45 og så videre)",
        "Lengdene må gå opp i rutenettet til avdelinga (med eit rutenett på 15 minutt: 15, 30, 45 og så vidare)",
        "The durations must fit the department's grid (with a 15-minute grid: 15, 30, 45 and so on)",
    ),
    "service_text_required": ProblemText(
        422,
        "Skriv tjenestens navn og beskrivelse på bokmål. Nynorsk og engelsk kan stå tomme: da vises bokmål",
        "Skriv namnet og skildringa av tenesta på bokmål. Nynorsk og engelsk kan stå tomme: då blir bokmål vist",
        "Write the service's name and description in Bokmål. Nynorsk and English may be empty: Bokmål is shown",
    ),
    "too_many_requests": ProblemText(
        429,
        "For mange forespørsler. Vent litt og prøv igjen",
        "For mange førespurnader. Vent litt og prøv igjen",
        "Too many requests. Wait a moment and try again",
    ),
    "internal_error": ProblemText(
        500,
        "Noe gikk galt hos oss. Prøv igjen om litt",
        "Noko gjekk gale hos oss. Prøv igjen om litt",
        "Something went wrong on our side. Try again shortly",
    ),
    "not_ready": ProblemText(
        503,
        "Tjenesten er ikke klar: databasen eller køen svarer ikke, eller databasen er ikke oppdatert ennå",
        "Tenesta er ikkje klar: databasen eller køen svarar ikkje, eller databasen er ikkje oppdatert enno",
        "Not ready: the database or the queue does not answer, or the database is not yet migrated",
    ),
    "overloaded": ProblemText(
        503,
        "Tjenesten har mye å gjøre akkurat nå. Prøv igjen om et øyeblikk",
        "Tenesta har mykje å gjere akkurat no. Prøv igjen om eit augneblink",
        "The service is busy right now. Try again in a moment",
    ),
    "service_unavailable": ProblemText(
        503,
        "Tjenesten er midlertidig utilgjengelig",
        "Tenesta er mellombels utilgjengeleg",
        "The service is temporarily unavailable",
    ),
    "choose_municipality": ProblemText(
        409,
        "Du er registrert i flere kommuner. Velg kommunen du vil logge inn i",
        "Du er registrert i fleire kommunar. Vel kommunen du vil logge inn i",
        "You are registered in several municipalities. Choose the one to sign in to",
    ),
}


# Why a booking is refused: one type per reason, in words a recipient understands.
PROBLEMS.update(
    {
        "slot_full": ProblemText(
            409,
            "Tiden er dessverre tatt. Velg en annen tid",
            "Tida er dessverre teken. Vel ei anna tid",
            "That time has just been taken. Please choose another",
        ),
        "allocation_used_up": ProblemText(
            409,
            "Du har ikke nok timer igjen i vedtaket for denne perioden",
            "Du har ikkje nok timar att i vedtaket for denne perioden",
            "You do not have enough hours left in your decision for this period",
        ),
        "outside_opening_hours": ProblemText(
            422,
            "Tiden er utenfor åpningstiden",
            "Tida er utanfor opningstida",
            "That time is outside the opening hours",
        ),
        "too_short_notice": ProblemText(
            422,
            "Det er for kort tid til denne timen. Velg en senere tid",
            "Det er for kort tid til denne timen. Vel ei seinare tid",
            "That is too soon. Please choose a later time",
        ),
        "in_the_past": ProblemText(
            422,
            "Tiden har allerede vært",
            "Tida har alt vore",
            "That time has already passed",
        ),
        "beyond_horizon": ProblemText(
            422,
            "Du kan ikke bestille så langt fram i tid ennå",
            "Du kan ikkje bestille så langt fram i tid enno",
            "You cannot book that far ahead yet",
        ),
        "overlaps_own_booking": ProblemText(
            409,
            "Du har allerede en time som overlapper med denne",
            "Du har alt ein time som overlappar med denne",
            "You already have a booking at that time",
        ),
        "not_on_grid": ProblemText(
            422,
            "Timen må starte på en av tidene i kalenderen",
            "Timen må starte på ei av tidene i kalenderen",
            "The booking must start at one of the times in the calendar",
        ),
        "duration_not_allowed": ProblemText(
            422,
            "Denne varigheten kan ikke velges for tjenesten",
            "Denne lengda kan ikkje veljast for tenesta",
            "That length cannot be chosen for this service",
        ),
        "no_valid_allocation": ProblemText(
            422,
            "Du har ikke et gyldig vedtak for denne tjenesten på den datoen",
            "Du har ikkje eit gyldig vedtak for denne tenesta på den datoen",
            "You have no valid decision for this service on that date",
        ),
        "service_retired": ProblemText(
            422,
            "Tjenesten kan ikke bestilles lenger",
            "Tenesta kan ikkje bestillast lenger",
            "This service can no longer be booked",
        ),
        "not_active": ProblemText(
            409,
            "Timen er allerede avlyst eller gjennomført",
            "Timen er alt avlyst eller gjennomført",
            "The booking is already cancelled or completed",
        ),
        "outcome_too_early": ProblemText(
            422,
            "Du kan ikke registrere utfallet før timen har startet",
            "Du kan ikkje registrere utfallet før timen har starta",
            "You cannot record the outcome before the visit has started",
        ),
        "recipient_required": ProblemText(
            422,
            "Velg hvem timene gjelder",
            "Vel kven timane gjeld",
            "Choose whose bookings to show",
        ),
        "staff_double_booked": ProblemText(
            409,
            "Den ansatte har allerede et besøk på den tiden",
            "Den tilsette har alt eit besøk på den tida",
            "That staff member already has a visit at that time",
        ),
        "busy": ProblemText(
            503,
            "Det er mange som bestiller akkurat nå. Prøv igjen om et øyeblikk",
            "Det er mange som bestiller akkurat no. Prøv igjen om eit augneblink",
            "Many people are booking right now. Please try again in a moment",
        ),
    }
)

# Decisions (vedtak).
PROBLEMS.update(
    {
        "allocation_reference_taken": ProblemText(
            409,
            "Saksnummeret er allerede brukt på et annet vedtak. Endre det vedtaket i stedet",
            "Saksnummeret er allereie brukt på eit anna vedtak. Endre det vedtaket i staden",
            "The case reference is already used by another decision. Change that decision instead",
        ),
        "allocation_overlaps": ProblemText(
            409,
            "Personen har allerede et vedtak om denne tjenesten i den perioden",
            "Personen har allereie eit vedtak om denne tenesta i den perioden",
            "The person already has a decision for this service in that period",
        ),
        "allocation_bookings_in_the_way": ProblemText(
            409,
            "Endringen tar bort tid som allerede er bestilt. Flytt eller avlys disse timene først",
            "Endringa tek bort tid som alt er bestilt. Flytt eller avlys desse timane først",
            "The change takes away time that is already booked. Move or cancel these bookings first",
        ),
        "allocation_anchor": ProblemText(
            422,
            "Et vedtak per fire uker trenger en startdato for periodene (og bare da)",
            "Eit vedtak per fire veker treng ein startdato for periodane (og berre då)",
            "A decision per four weeks needs a start date for its periods (and only then)",
        ),
        "allocation_evaluation_date": ProblemText(
            422,
            "Et utprøvingsvedtak trenger en evalueringsdato innenfor vedtaksperioden (og bare det)",
            "Eit utprøvingsvedtak treng ein evalueringsdato innanfor vedtaksperioden (og berre det)",
            "A trial decision needs an evaluation date within its period (and only a trial decision)",
        ),
    }
)

# Reminders and notifications.
PROBLEMS.update(
    {
        "reminder_channel_unreachable": ProblemText(
            422,
            "Vi har ingen adresse å sende påminnelser til på den måten. Legg inn e-post eller telefonnummer først",
            "Vi har ingen adresse å sende påminningar til på den måten. Legg inn e-post eller telefonnummer først",
            "We have nowhere to send reminders that way. Add an e-mail address or phone number first",
        ),
        "not_represented": ProblemText(
            422,
            "Du kan bare få påminnelser for personer du er pårørende eller verge for",
            "Du kan berre få påminningar for personar du er pårørande eller verje for",
            "You can only get reminders for people you act for",
        ),
        "webhook_endpoint_not_allowed": ProblemText(
            422,
            "Adressen kan ikke motta webhooks: bruk https til en offentlig adresse",
            "Adressa kan ikkje ta imot webhooks: bruk https til ei offentleg adresse",
            "The address cannot receive webhooks: use https to a public address",
        ),
        "webhook_personal_data_not_allowed": ProblemText(
            403,
            "Bare kommunens administratorer kan abonnere på personopplysninger",
            "Berre kommunen sine administratorar kan abonnere på personopplysningar",
            "Only the municipality's administrators can subscribe to personal data",
        ),
        "webhook_not_dead": ProblemText(
            409,
            "Leveransen er ikke gitt opp, så den kan ikke sendes på nytt",
            "Leveransen er ikkje gitt opp, så han kan ikkje sendast på nytt",
            "The delivery has not been given up on, so it cannot be sent again",
        ),
        "reminder_not_retryable": ProblemText(
            409,
            "Besøket er endret eller har startet, så påminnelsen sendes ikke på nytt",
            "Besøket er endra eller har starta, så påminninga blir ikkje send på nytt",
            "The visit has changed or started, so the reminder is not sent again",
        ),
    }
)

# Calendar feeds.
PROBLEMS.update(
    {
        "feed_kind_not_allowed": ProblemText(
            403,
            "Du kan ikke lage en slik kalender. Den gjelder mottakere, pårørende med fullmakt eller ansatte",
            "Du kan ikkje lage ein slik kalender. Han gjeld mottakarar, pårørande med fullmakt eller tilsette",
            "You cannot make that kind of calendar. It is for recipients, proxies or staff",
        ),
        "feed_limit_reached": ProblemText(
            409,
            "Du har mange kalenderlenker allerede. Slett en du ikke bruker, og prøv igjen",
            "Du har mange kalenderlenkjer alt. Slett ei du ikkje brukar, og prøv igjen",
            "You already have many calendar links. Delete one you do not use and try again",
        ),
    }
)

# Visit feedback ("Min stemme teller") and the shared plan.
PROBLEMS.update(
    {
        "visit_not_delivered": ProblemText(
            409,
            "Du kan svare på spørsmålet når besøket er gjennomført",
            "Du kan svare på spørsmålet når besøket er gjennomført",
            "You can answer once the visit has taken place",
        ),
        "feedback_exists": ProblemText(
            409,
            "Det er allerede svart på dette besøket",
            "Det er alt svart på dette besøket",
            "This visit has already been answered",
        ),
        "feedback_own_voice": ProblemText(
            403,
            "Spørsmålet er til den som fikk besøket. Svar for hen bare hvis hen ikke kan svare selv",
            "Spørsmålet er til den som fekk besøket. Svar for hen berre om hen ikkje kan svare sjølv",
            "The question is for the person who had the visit. Answer for them only if they cannot answer themselves",
        ),
        "invalid_month_range": ProblemText(
            422,
            "Velg en periode der første måned ikke er etter siste, og som er høyst 36 måneder",
            "Vel ein periode der første månad ikkje er etter siste, og som er høgst 36 månader",
            "Choose a period whose first month is not after its last, of at most 36 months",
        ),
    }
)

# Report views: evaluation, reviews, coverage, coordinating committee.
PROBLEMS.update(
    {
        "invalid_thresholds": ProblemText(
            422,
            "Tersklene er ikke gyldige: minutter per uke må være 1 til 10080, og prosent 1 til 100",
            "Tersklane er ikkje gyldige: minutt per veke må vere 1 til 10080, og prosent 1 til 100",
            "The thresholds are not valid: minutes a week must be 1 to 10080, and the percentage 1 to 100",
        ),
    }
)

# Setting up a municipality, and importing from the case system (fagsystem).
PROBLEMS.update(
    {
        "unknown_municipality_number": ProblemText(
            422,
            "Kommunenummeret finnes ikke i kommunelisten (SSB, gyldig fra 2024)",
            "Kommunenummeret finst ikkje i kommunelista (SSB, gyldig frå 2024)",
            "The municipality number is not in the list of municipalities (SSB, valid from 2024)",
        ),
        "municipality_name_mismatch": ProblemText(
            422,
            "Kommunenummeret hører til en annen kommune",
            "Kommunenummeret høyrer til ein annan kommune",
            "The municipality number belongs to another municipality",
        ),
        "municipality_not_set_up": ProblemText(
            404,
            "Kommunen er ikke opprettet her ennå",
            "Kommunen er ikkje oppretta her enno",
            "The municipality has not been set up here yet",
        ),
    }
)

# Rows of the case system's export that cannot be imported (the CLI's report, the import endpoint's rows).
PROBLEMS.update(
    {
        "import_missing": ProblemText(422, "Feltet må fylles ut", "Feltet må fyllast ut", "The field is required"),
        "import_too_long": ProblemText(422, "Verdien er for lang", "Verdien er for lang", "The value is too long"),
        "import_not_one_of": ProblemText(
            422, "Verdien er ikke en av de tillatte", "Verdien er ikkje ein av dei tillatne", "Not an allowed value"
        ),
        "import_not_a_date": ProblemText(
            422,
            "Ikke en dato (skriv 2026-09-01 eller 01.09.2026)",
            "Ikkje ein dato (skriv 2026-09-01 eller 01.09.2026)",
            "Not a date (write 2026-09-01 or 01.09.2026)",
        ),
        "import_not_minutes": ProblemText(
            422,
            "Ikke et gyldig antall minutter (et helt tall over 0)",
            "Ikkje eit gyldig tal minutt (eit heilt tal over 0)",
            "Not a valid number of minutes (a whole number above 0)",
        ),
        "import_not_yes_or_no": ProblemText(422, "Skriv ja eller nei", "Skriv ja eller nei", "Write yes or no"),
        "import_unknown_person": ProblemText(
            422,
            "Personen finnes ikke i kommunen. Ta med en person-rad for hen i filen",
            "Personen finst ikkje i kommunen. Ta med ei person-rad for hen i fila",
            "The person is not registered in the municipality. Add a person row for them to the file",
        ),
        "import_unknown_service": ProblemText(
            422,
            "Fant ingen tjeneste med dette navnet (eller id-en) i kommunen",
            "Fann inga teneste med dette namnet (eller id-en) i kommunen",
            "No service of this name (or id) in the municipality",
        ),
        "import_ambiguous_service": ProblemText(
            422,
            "Flere avdelinger har en tjeneste med dette navnet. Fyll ut avdeling",
            "Fleire avdelingar har ei teneste med dette namnet. Fyll ut avdeling",
            "Several departments have a service of this name. Fill in the department",
        ),
        "import_decision_fixed": ProblemText(
            409,
            "Vedtaket finnes allerede med en annen mottaker, tjeneste eller periodetype. Avslutt det og lag et nytt",
            "Vedtaket finst alt med ein annan mottakar, teneste eller periodetype. Avslutt det og lag eit nytt",
            "The decision exists with another recipient, service or kind of period. End it and make a new one",
        ),
        "import_proxy_link_ended": ProblemText(
            409,
            "Koblingen er avsluttet i Tjenesteshop og tas ikke opp igjen av importen",
            "Koplinga er avslutta i Tjenesteshop og blir ikkje teken opp att av importen",
            "The link was ended in Tjenesteshop, and the import does not revive it",
        ),
        "import_not_saved": ProblemText(
            422,
            "Raden kunne ikke lagres: en verdi passer ikke",
            "Rada kunne ikkje lagrast: ein verdi passar ikkje",
            "The row could not be saved: a value does not fit",
        ),
        "import_encoding": ProblemText(
            422,
            "Filen er verken UTF-8 eller Windows-1252. Lagre den på nytt som UTF-8",
            "Fila er verken UTF-8 eller Windows-1252. Lagre ho på nytt som UTF-8",
            "The file is neither UTF-8 nor Windows-1252. Save it again as UTF-8",
        ),
        "import_empty": ProblemText(
            422,
            "Filen har ingen rader å importere",
            "Fila har ingen rader å importere",
            "The file has no rows to import",
        ),
        "import_too_many_rows": ProblemText(
            413,
            "Filen har for mange rader. Del den opp",
            "Fila har for mange rader. Del ho opp",
            "The file has too many rows. Split it up",
        ),
        "import_not_csv": ProblemText(
            422,
            "Filen kan ikke leses som CSV: et felt er altfor langt",
            "Fila kan ikkje lesast som CSV: eit felt er altfor langt",
            "The file cannot be read as CSV: a field is far too long",
        ),
        "import_refused": ProblemText(
            422,
            "Noen rader ble avvist, så ingenting er importert. Se radene og grunnene",
            "Nokre rader vart avviste, så ingenting er importert. Sjå radene og grunnane",
            "Some rows were refused, so nothing was imported. See the rows and the reasons",
        ),
        "import_no_record_column": ProblemText(
            422,
            "Filen mangler kolonnen «record» (person, proxy eller decision) i første rad",
            "Fila manglar kolonnen «record» (person, proxy eller decision) i første rad",
            "The file's first row lacks the column «record» (person, proxy or decision)",
        ),
    }
)


# The FHIR interface (/fhir/R4): its refusals are the same problems, answered as an OperationOutcome.
PROBLEMS.update(
    {
        "gone": ProblemText(
            410,
            "Dette finnes ikke lenger",
            "Dette finst ikkje lenger",
            "This is no longer available",
        ),
        "invalid_search_parameter": ProblemText(
            400,
            "En søkeparameter kan ikke leses. Se hvilken i svaret",
            "Ein søkjeparameter kan ikkje lesast. Sjå kva for ein i svaret",
            "A search parameter cannot be read. See which in the answer",
        ),
        "unknown_identifier_system": ProblemText(
            422,
            "Personen må oppgis med fødselsnummer eller D-nummer (urn:oid:2.16.578.1.12.4.1.4.1 eller .4.2)",
            "Personen må givast opp med fødselsnummer eller D-nummer (urn:oid:2.16.578.1.12.4.1.4.1 eller .4.2)",
            "Give the person by national identity number or D number (urn:oid:2.16.578.1.12.4.1.4.1 or .4.2)",
        ),
        "appointment_change_unsupported": ProblemText(
            422,
            "Bare avbestilling kan gjøres her: send timen med status «cancelled»",
            "Berre avbestilling kan gjerast her: send timen med status «cancelled»",
            "Only cancelling is possible here: send the appointment with status «cancelled»",
        ),
    }
)

# The waitlist (venteliste): why an entry or an answer to an offer is refused.
PROBLEMS.update(
    {
        "offer_gone": ProblemText(
            409,
            "Tiden holdes ikke lenger for deg: den er besvart eller fristen har gått ut",
            "Tida blir ikkje halden for deg lenger: ho er svart på eller fristen har gått ut",
            "The time is no longer held for you: it has been answered or the deadline has passed",
        ),
        "waitlist_not_waiting": ProblemText(
            409,
            "Du står ikke lenger på ventelisten for dette",
            "Du står ikkje lenger på ventelista for dette",
            "You are no longer on the waitlist for this",
        ),
        "waitlist_in_the_past": ProblemText(
            422,
            "Datoene har allerede vært. Velg datoer fra i dag",
            "Datoane har alt vore. Vel datoar frå i dag",
            "Those dates have passed. Choose dates from today",
        ),
        "waitlist_too_long": ProblemText(
            422,
            "Du kan stå på ventelisten for høyst ett år om gangen",
            "Du kan stå på ventelista for høgst eitt år om gongen",
            "You can be on the waitlist for at most one year at a time",
        ),
        "waitlist_weekdays": ProblemText(
            422,
            "Velg minst én ukedag",
            "Vel minst éin vekedag",
            "Choose at least one weekday",
        ),
        "waitlist_hours": ProblemText(
            422,
            "Tidsrommet må være langt nok til timen, og slutte etter at det begynner",
            "Tidsrommet må vere langt nok til timen, og slutte etter at det byrjar",
            "The hours must be long enough for the visit, and end after they begin",
        ),
    }
)

# Recurring visits (faste avtaler): why a series is refused, or why one occurrence was not booked.
PROBLEMS.update(
    {
        "series_not_allowed": ProblemText(
            409,
            "Avdelingen tillater ikke faste avtaler. Bestill hver time for seg",
            "Avdelinga tillèt ikkje faste avtalar. Bestill kvar time for seg",
            "The department does not allow recurring visits. Book each visit on its own",
        ),
        "series_ended": ProblemText(
            409,
            "Den faste avtalen er avsluttet",
            "Den faste avtalen er avslutta",
            "The recurring visit has ended",
        ),
        "series_share_full": ProblemText(
            409,
            "Faste avtaler har fylt sin del av denne tiden. Velg en annen tid, eller bestill denne som enkelttime",
            "Faste avtalar har fylt sin del av denne tida. Vel ei anna tid, eller bestill denne som enkelttime",
            "Recurring visits have filled their share of this time. Choose another time, or book this one on its own",
        ),
        "no_such_time": ProblemText(
            409,
            "Klokkeslettet finnes ikke den natten (overgang til sommertid)",
            "Klokkeslettet finst ikkje den natta (overgang til sommartid)",
            "That time does not exist that night (the change to summer time)",
        ),
    }
)
