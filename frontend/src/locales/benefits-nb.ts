// The benefit-realisation page's texts (issue 22), loaded with the insight screens (locales/benefits-load.ts).
const benefitsNb = {
  insight: {
    benefits: {
      "title": "Gevinst\u00adrealisering",
      "intro": "Virker selvbestilling? Tallene viser de siste tolv månedene for avdelingen: hvor mange som ikke møtte, hvem som bestilte, timer tildelt, bestilt og levert, og hva mottakerne svarte. Denne måneden er ikke ferdig ennå og er ikke med i trendene.",
      "print": "Skriv ut",
      "exportCsv": "Last ned besøk for forskning (CSV)",
      "exportJson": "Last ned tall og besøk for forskning (JSON)",
      "exportHelp": "Filene er pseudonymiserte: uten navn, fødselsnummer og adresse, med uke i stedet for dato, og uten grupper på færre enn fem besøk. Hver nedlasting logges.",
      "perMonth": "Per måned",
      "noShowRate": "Ikke møtt (andel av besøk)",
      "late": "Avbestilt for sent",
      "selfShare": "Bestilt av mottaker eller pårørende",
      "minutes": "Timer tildelt, bestilt og levert",
      "allocated": "Tildelt",
      "booked": "Bestilt",
      "delivered": "Levert",
      "lost": "Ansattimer tapt ved ikke møtt",
      "hoursUnit": "timer",
      "partial": "Den siste måneden er ikke ferdig ennå.",
      "soFar": "så langt",
      "chartDesc": "Diagram per måned. {{month}}: {{figures}}.",
      "seeTable": "Alle tallene står i tabellen under.",
      "trendLabel": "Trend",
      "trend": {
        "up": "Stiger med {{value}} {{unit}} per måned",
        "down": "Synker med {{value}} {{unit}} per måned",
        "flat": "Omtrent uendret",
        "unknown": "For få måneder til å si noe om trenden"
      },
      "averageLead": "Hvor lang tid i forveien folk bestiller, i snitt:",
      "leadTitle": "Hvor lang tid i forveien det ble bestilt (tolv måneder)",
      "timeTitle": "Når på døgnet besøkene er (tolv måneder)",
      "band": "Gruppe",
      "bookings": "Bestillinger",
      "share": "Andel",
      "lead": {
        "under_1_day": "Under ett døgn",
        "1_2_days": "1–2 døgn",
        "3_6_days": "3–6 døgn",
        "7_13_days": "1–2 uker",
        "14_days_or_more": "2 uker eller mer"
      },
      "time": {
        "night": "Natt (00–06)",
        "morning": "Morgen (06–10)",
        "midday": "Midt på dagen (10–14)",
        "afternoon": "Ettermiddag (14–18)",
        "evening": "Kveld (18–24)"
      },
      "feedback": "Min stemme teller: svar per måned",
      "visitsPerMonth": "Besøk per måned",
      "minutesPerMonth": "Leverte minutter per måned",
      "points": "{{value}} prosentpoeng",
      "baseline": {
        "title": "Før og etter selvbestilling",
        "none": "Avdelingen har ikke registrert tall fra før selvbestilling. Registrer dem for å se endringen.",
        "since_one": "Fra {{date}}: {{count}} hel måned sammenlignet med tallene fra før.",
        "since_other": "Fra {{date}}: {{count}} hele måneder sammenlignet med tallene fra før.",
        "sourceIs": "Kilde: {{source}}.",
        "figure": "Tall",
        "before": "Før",
        "after": "Etter",
        "change": "Endring",
        "add": "Registrer tall fra før selvbestilling",
        "edit": "Endre tallene fra før",
        "from": "Selvbestilling startet",
        "rate": "Ikke møtt før (prosent av besøk)",
        "visits": "Besøk per måned før",
        "minutes": "Leverte minutter per måned før",
        "source": "Kilde",
        "sourceHelp": "Hvor tallene kommer fra, for eksempel fagsystem og periode",
        "save": "Lagre",
        "saved": "Lagret."
      },
      "easy": {
        "month": "Slik gikk det i {{month}}:",
        "noShows": "{{count}} av {{due}} besøk: mottakeren var ikke hjemme.",
        "self": "{{percent}} av 100 bestillinger gjorde mottakeren eller pårørende selv.",
        "lost": "Ansatte brukte {{hours}} timer på besøk der ingen var hjemme.",
        "trend": {
          "up": "Flere enn før er ikke hjemme.",
          "down": "Færre enn før er ikke hjemme.",
          "flat": "Like mange som før er ikke hjemme.",
          "unknown": "Vi vet ikke ennå om det blir bedre."
        }
      }
    },
  },
};

export default benefitsNb;
