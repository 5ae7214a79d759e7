"""Channel adapters: how messages get from a platform into Rasa and back."""
