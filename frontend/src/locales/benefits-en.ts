// The benefit-realisation page's texts (issue 22), loaded with the insight screens (locales/benefits-load.ts).
const benefitsEn = {
  insight: {
    benefits: {
      "title": "Benefit realisation",
      "intro": "Does self-booking work? The figures show the department's last twelve months: how many were not met, who booked, hours allocated, booked and delivered, and what recipients answered. This month is not over yet and is left out of the trends.",
      "print": "Print",
      "exportCsv": "Download visits for research (CSV)",
      "exportJson": "Download figures and visits for research (JSON)",
      "exportHelp": "The files are pseudonymised: no names, national identity numbers or addresses, weeks instead of dates, and no groups of fewer than five visits. Every download is logged.",
      "perMonth": "Per month",
      "noShowRate": "Not met (share of visits)",
      "late": "Cancelled late",
      "selfShare": "Booked by the recipient or a relative",
      "minutes": "Hours allocated, booked and delivered",
      "allocated": "Allocated",
      "booked": "Booked",
      "delivered": "Delivered",
      "lost": "Staff hours lost to no-shows",
      "hoursUnit": "hours",
      "partial": "The last month is not over yet.",
      "soFar": "so far",
      "chartDesc": "Chart per month. {{month}}: {{figures}}.",
      "seeTable": "Every figure is in the table below.",
      "trendLabel": "Trend",
      "trend": {
        "up": "Rising by {{value}} {{unit}} a month",
        "down": "Falling by {{value}} {{unit}} a month",
        "flat": "About unchanged",
        "unknown": "Too few months to tell a trend"
      },
      "averageLead": "How far ahead people book, on average:",
      "leadTitle": "How far ahead visits were booked (twelve months)",
      "timeTitle": "When in the day the visits are (twelve months)",
      "band": "Group",
      "bookings": "Bookings",
      "share": "Share",
      "lead": {
        "under_1_day": "Under a day",
        "1_2_days": "1–2 days",
        "3_6_days": "3–6 days",
        "7_13_days": "1–2 weeks",
        "14_days_or_more": "2 weeks or more"
      },
      "time": {
        "night": "Night (00–06)",
        "morning": "Morning (06–10)",
        "midday": "Midday (10–14)",
        "afternoon": "Afternoon (14–18)",
        "evening": "Evening (18–24)"
      },
      "feedback": "My voice counts: answers per month",
      "visitsPerMonth": "Visits a month",
      "minutesPerMonth": "Delivered minutes a month",
      "points": "{{value}} percentage points",
      "baseline": {
        "title": "Before and after self-booking",
        "none": "The department has not recorded figures from before self-booking. Record them to see the change.",
        "since_one": "From {{date}}: {{count}} whole month compared with the figures from before.",
        "since_other": "From {{date}}: {{count}} whole months compared with the figures from before.",
        "sourceIs": "Source: {{source}}.",
        "figure": "Figure",
        "before": "Before",
        "after": "After",
        "change": "Change",
        "add": "Record figures from before self-booking",
        "edit": "Change the figures from before",
        "from": "Self-booking started",
        "rate": "Not met before (percent of visits)",
        "visits": "Visits a month before",
        "minutes": "Delivered minutes a month before",
        "source": "Source",
        "sourceHelp": "Where the figures come from, e.g. the case system and period",
        "save": "Save",
        "saved": "Saved."
      },
      "easy": {
        "month": "This is how {{month}} went:",
        "noShows": "{{count}} of {{due}} visits: the recipient was not at home.",
        "self": "{{percent}} of 100 bookings were made by the recipient or a relative.",
        "lost": "Staff spent {{hours}} hours on visits where nobody was at home.",
        "trend": {
          "up": "More people than before are not at home.",
          "down": "Fewer people than before are not at home.",
          "flat": "As many as before are not at home.",
          "unknown": "We do not know yet if it is getting better."
        }
      }
    },
  },
};

export default benefitsEn;
