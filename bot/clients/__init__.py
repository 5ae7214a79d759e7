"""One client module per outside service (the Telegram Bot API, the WhatsApp Cloud API's Graph
API). Each takes its HTTP client from its caller, knows the service's URLs and errors, and decides
what to retry; the channels (bot/channels/) only translate between the platforms and Rasa."""
