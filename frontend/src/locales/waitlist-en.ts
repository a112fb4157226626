import type { WaitlistTexts } from './waitlist-nb';

// English texts of the waitlist.
const waitlistEn: WaitlistTexts = {
  waitlist: {
    notifyMe: 'Tell me if a time becomes free',
    notifyMeDay: 'Tell me if a time becomes free on {{day}}',
    joined: 'You are on the waitlist for {{day}}. We will tell you if a time becomes free.',
    title: 'Waitlist',
    intro: 'What you are waiting for. If a time becomes free, we hold it for you for a short while.',
    none: 'You are not on any waitlist.',
    link: 'The waitlist',
    days: '{{from}} to {{to}}',
    oneDay: '{{day}}',
    withdraw: 'Take me off the waitlist',
    withdrawn: 'You are off the waitlist.',
    held: 'A free time is held for you: {{when}}',
    answer: 'Answer the offer',
    status: { waiting: 'Waiting', booked: 'Booked', withdrawn: 'Ended', ended: 'Expired' },
    offerTitle: 'A time is free',
    offerText: 'The time is held for you until {{until}}. After that it goes to the next on the waitlist.',
    accept: 'Book this time',
    decline: 'No thanks, pass it on',
    accepted: 'Booked: {{when}}.',
    declined: 'The time goes to the next on the waitlist. You are still on the list.',
    gone: 'This time is no longer held for you.',
    offerStatus: {
      booked: 'You have booked this time.',
      declined: 'You said no to this time.',
      lapsed: 'The time to answer ran out.',
      released: 'You left the waitlist.',
    },
  },
};
export default waitlistEn;
