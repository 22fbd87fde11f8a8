"""`ptm-miner eval`: the labelled real-repository benchmark (benchmarks/accuracy/).

labels (reads and checks the labelled folders), snapshots (a read-only git
directory of each repository at its pinned commit, from a folder of mirrors or
a bare clone), score (precision and recall of mined tables against labels, a
pure function), report (the Markdown text), run (the command: pin, mine, score).
"""
