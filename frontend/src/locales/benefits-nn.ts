// The benefit-realisation page's texts (issue 22), loaded with the insight screens (locales/benefits-load.ts).
const benefitsNn = {
  insight: {
    benefits: {
      "title": "Gevinst\u00adrealisering",
      "intro": "Verkar sjølvbestilling? Tala viser dei siste tolv månadene for avdelinga: kor mange som ikkje møtte, kven som bestilte, timar tildelte, bestilte og leverte, og kva mottakarane svarte. Denne månaden er ikkje ferdig enno og er ikkje med i trendane.",
      "print": "Skriv ut",
      "exportCsv": "Last ned besøk for forsking (CSV)",
      "exportJson": "Last ned tal og besøk for forsking (JSON)",
      "exportHelp": "Filene er pseudonymiserte: utan namn, fødselsnummer og adresse, med veke i staden for dato, og utan grupper på færre enn fem besøk. Kvar nedlasting blir logga.",
      "perMonth": "Per månad",
      "noShowRate": "Ikkje møtt (del av besøk)",
      "late": "Avbestilt for seint",
      "selfShare": "Bestilt av mottakar eller pårørande",
      "minutes": "Timar tildelte, bestilte og leverte",
      "allocated": "Tildelt",
      "booked": "Bestilt",
      "delivered": "Levert",
      "lost": "Tilsettetimar tapte ved ikkje møtt",
      "hoursUnit": "timar",
      "partial": "Den siste månaden er ikkje ferdig enno.",
      "soFar": "så langt",
      "chartDesc": "Diagram per månad. {{month}}: {{figures}}.",
      "seeTable": "Alle tala står i tabellen under.",
      "trendLabel": "Trend",
      "trend": {
        "up": "Aukar med {{value}} {{unit}} per månad",
        "down": "Minkar med {{value}} {{unit}} per månad",
        "flat": "Om lag uendra",
        "unknown": "For få månader til å seie noko om trenden"
      },
      "averageLead": "Kor lang tid i førevegen folk bestiller, i snitt:",
      "leadTitle": "Kor lang tid i førevegen det vart bestilt (tolv månader)",
      "timeTitle": "Når på døgnet besøka er (tolv månader)",
      "band": "Gruppe",
      "bookings": "Bestillingar",
      "share": "Del",
      "lead": {
        "under_1_day": "Under eitt døgn",
        "1_2_days": "1–2 døgn",
        "3_6_days": "3–6 døgn",
        "7_13_days": "1–2 veker",
        "14_days_or_more": "2 veker eller meir"
      },
      "time": {
        "night": "Natt (00–06)",
        "morning": "Morgon (06–10)",
        "midday": "Midt på dagen (10–14)",
        "afternoon": "Ettermiddag (14–18)",
        "evening": "Kveld (18–24)"
      },
      "feedback": "Min stemme teller: svar per månad",
      "visitsPerMonth": "Besøk per månad",
      "minutesPerMonth": "Leverte minutt per månad",
      "points": "{{value}} prosentpoeng",
      "baseline": {
        "title": "Før og etter sjølvbestilling",
        "none": "Avdelinga har ikkje registrert tal frå før sjølvbestilling. Registrer dei for å sjå endringa.",
        "since_one": "Frå {{date}}: {{count}} heil månad samanlikna med tala frå før.",
        "since_other": "Frå {{date}}: {{count}} heile månader samanlikna med tala frå før.",
        "sourceIs": "Kjelde: {{source}}.",
        "figure": "Tal",
        "before": "Før",
        "after": "Etter",
        "change": "Endring",
        "add": "Registrer tal frå før sjølvbestilling",
        "edit": "Endre tala frå før",
        "from": "Sjølvbestilling starta",
        "rate": "Ikkje møtt før (prosent av besøk)",
        "visits": "Besøk per månad før",
        "minutes": "Leverte minutt per månad før",
        "source": "Kjelde",
        "sourceHelp": "Kvar tala kjem frå, til dømes fagsystem og periode",
        "save": "Lagre",
        "saved": "Lagra."
      },
      "easy": {
        "month": "Slik gjekk det i {{month}}:",
        "noShows": "{{count}} av {{due}} besøk: mottakaren var ikkje heime.",
        "self": "{{percent}} av 100 bestillingar gjorde mottakaren eller pårørande sjølv.",
        "lost": "Tilsette brukte {{hours}} timar på besøk der ingen var heime.",
        "trend": {
          "up": "Fleire enn før er ikkje heime.",
          "down": "Færre enn før er ikkje heime.",
          "flat": "Like mange som før er ikkje heime.",
          "unknown": "Vi veit ikkje enno om det blir betre."
        }
      }
    },
  },
};

export default benefitsNn;
