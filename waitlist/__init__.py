"""The waitlist (venteliste): who asked to be told when a time frees up, and the holds offered to them."""
