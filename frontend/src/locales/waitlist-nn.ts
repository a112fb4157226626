import type { WaitlistTexts } from './waitlist-nb';

// Nynorsk texts of the waitlist (venteliste).
const waitlistNn: WaitlistTexts = {
  waitlist: {
    notifyMe: 'Gi meg beskjed viss ei tid blir ledig',
    notifyMeDay: 'Gi meg beskjed viss ei tid blir ledig {{day}}',
    joined: 'Du står på ventelista for {{day}}. Vi seier frå viss ei tid blir ledig.',
    title: 'Venteliste',
    intro: 'Her ser du kva du ventar på. Blir ei tid ledig, held vi henne for deg ei kort stund.',
    none: 'Du står ikkje på nokon venteliste.',
    link: 'Ventelista',
    days: '{{from}} til {{to}}',
    oneDay: '{{day}}',
    withdraw: 'Ta meg av ventelista',
    withdrawn: 'Du er teken av ventelista.',
    held: 'Ledig tid blir halden for deg: {{when}}',
    answer: 'Svar på tilbodet',
    status: { waiting: 'Ventar', booked: 'Bestilt', withdrawn: 'Avslutta', ended: 'Utgått' },
    offerTitle: 'Ei tid er ledig',
    offerText: 'Tida blir halden for deg til {{until}}. Etter det går ho vidare til neste på ventelista.',
    accept: 'Bestill tida',
    decline: 'Nei takk, gi henne vidare',
    accepted: 'Timen er bestilt: {{when}}.',
    declined: 'Tida går vidare til neste på ventelista. Du står framleis på lista.',
    gone: 'Denne tida blir ikkje halden for deg lenger.',
    offerStatus: {
      booked: 'Du har bestilt denne tida.',
      declined: 'Du takka nei til denne tida.',
      lapsed: 'Fristen for å svare gjekk ut.',
      released: 'Du tok deg av ventelista.',
    },
  },
};
export default waitlistNn;
