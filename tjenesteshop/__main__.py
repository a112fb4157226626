"""`python -m tjenesteshop`."""

from tjenesteshop.cli import main

main()
