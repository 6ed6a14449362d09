"""The bot's one web server: the editors' console and, in webhook mode, Telegram's webhook."""
