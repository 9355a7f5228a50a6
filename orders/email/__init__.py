"""The e-mail channel: inbound mail becomes orders and messages; outbound mail threads."""
