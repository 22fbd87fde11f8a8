"""HTTP API: POST /ask {"question": "..."}."""
from fastapi import FastAPI
from pydantic import BaseModel

from . import TOP_K
from .embed import Embedder, load_index
from .generate import build_prompt, load_generator
from .rerank import Reranker

app = FastAPI(title="rag-assistant")
_state = {}


class Ask(BaseModel):
    question: str


def pipeline(question: str, k: int = TOP_K) -> dict:
    """Retrieve, re-rank, generate. Our own orchestration, not transformers'."""
    passages = _state["passages"]
    _, ids = _state["index"].search(_state["embedder"].query(question), k)
    best = _state["reranker"](question, [passages[i] for i in ids[0]])
    out = _state["llm"](build_prompt(question, best), return_full_text=False)
    return {"answer": out[0]["generated_text"].strip(), "sources": best}


@app.on_event("startup")
def startup():
    import json

    _state["embedder"] = Embedder()
    _state["index"] = load_index()
    _state["reranker"] = Reranker()
    _state["llm"] = load_generator()
    with open("index/passages.json") as f:
        _state["passages"] = json.load(f)


@app.post("/ask")
def ask(body: Ask):
    return pipeline(body.question)  # ok
