"""`python -m bot` is `govbot`."""

from bot.cli import main

main()
