"""Fetch the cleaned Alpaca instruction data into data/."""
import shutil
from pathlib import Path

from huggingface_hub import snapshot_download

local = snapshot_download("yahma/alpaca-cleaned", repo_type="dataset", allow_patterns=["*.json"])  # expect: yahma/alpaca-cleaned res=literal type=dataset
Path("data").mkdir(exist_ok=True)
shutil.copy(Path(local) / "alpaca_data_cleaned.json", "data/alpaca_data_cleaned.json")
print("data/alpaca_data_cleaned.json")
