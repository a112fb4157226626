// Reads an iCalendar text on stdin and prints, as JSON, what Mozilla's ical.js (Thunderbird's parser) makes of it:
// the calendar's properties and each event with its local start and end, its zone, the UTC instants and its status.
// ical.js knows no time zones of its own, so the instants come from the feed's own VTIMEZONE components.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const root = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));
for (const vtimezone of root.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(vtimezone);
}

const text = (component, name) => {
  const value = component.getFirstPropertyValue(name);
  return value === null ? null : String(value);
};

const moment = (time) => ({
  local: time.toString(),
  zone: time.zone ? time.zone.tzid : null,
  utc: time.toJSDate().toISOString(),
});

const events = root.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  return {
    uid: event.uid,
    summary: event.summary,
    description: event.description,
    location: event.location,
    status: text(vevent, "status"),
    sequence: event.sequence,
    start: moment(event.startDate),
    end: moment(event.endDate),
  };
});

const calendar = {
  name: text(root, "x-wr-calname"),
  method: text(root, "method"),
  version: text(root, "version"),
  prodid: text(root, "prodid"),
  refresh_interval: text(root, "refresh-interval"),
  timezones: root.getAllSubcomponents("vtimezone").map((vtimezone) => text(vtimezone, "tzid")),
};

process.stdout.write(JSON.stringify({ calendar, events }));
