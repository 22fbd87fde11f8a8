"""`python -m miner`: the command line."""
from miner.cli import main_entry

main_entry()
