"""sentiment-cli: sentiment analysis from the command line."""
__version__ = "0.4.0"
