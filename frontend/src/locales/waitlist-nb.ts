// Bokmål texts of the waitlist (venteliste): asking to be told, the list, and answering an offer.
const waitlistNb = {
  waitlist: {
    notifyMe: 'Gi meg beskjed hvis en tid blir ledig',
    notifyMeDay: 'Gi meg beskjed hvis en tid blir ledig {{day}}',
    joined: 'Du står på ventelisten for {{day}}. Vi sier fra hvis en tid blir ledig.',
    title: 'Venteliste',
    intro: 'Her ser du hva du venter på. Blir en tid ledig, holder vi den for deg en kort stund.',
    none: 'Du står ikke på noen venteliste.',
    link: 'Ventelisten',
    days: '{{from}} til {{to}}',
    oneDay: '{{day}}',
    withdraw: 'Ta meg av ventelisten',
    withdrawn: 'Du er tatt av ventelisten.',
    held: 'Ledig tid holdes for deg: {{when}}',
    answer: 'Svar på tilbudet',
    status: { waiting: 'Venter', booked: 'Bestilt', withdrawn: 'Avsluttet', ended: 'Utløpt' },
    offerTitle: 'En tid er ledig',
    offerText: 'Tiden holdes for deg til {{until}}. Etter det går den videre til neste på ventelisten.',
    accept: 'Bestill tiden',
    decline: 'Nei takk, gi den videre',
    accepted: 'Timen er bestilt: {{when}}.',
    declined: 'Tiden går videre til neste på ventelisten. Du står fortsatt på listen.',
    gone: 'Denne tiden holdes ikke lenger for deg.',
    offerStatus: {
      booked: 'Du har bestilt denne tiden.',
      declined: 'Du takket nei til denne tiden.',
      lapsed: 'Fristen for å svare gikk ut.',
      released: 'Du tok deg av ventelisten.',
    },
  },
};
export default waitlistNb;
export type WaitlistTexts = typeof waitlistNb;
