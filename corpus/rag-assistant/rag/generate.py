"""Answer generation: a transformers LLM on GPU, llama.cpp on CPU, or extractive QA."""
import os

import torch
from huggingface_hub import hf_hub_download
from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline

PROMPT = """Answer the question using only the context below.
If the answer is not in the context, say you don't know.

Context:
{context}

Question: {question}
"""


def load_generator(device_map="auto"):
    model_id = os.getenv("RAG_LLM", "mistralai/Mistral-7B-Instruct-v0.2")
    tokenizer = AutoTokenizer.from_pretrained(model_id)  # expect: mistralai/Mistral-7B-Instruct-v0.2 res=env_default
    model = AutoModelForCausalLM.from_pretrained(  # expect: mistralai/Mistral-7B-Instruct-v0.2 res=env_default
        model_id,
        torch_dtype=torch.bfloat16,
        device_map=device_map,
        token=os.environ.get("HF_TOKEN"),
    )
    # wraps the objects loaded above; no further download
    return pipeline("text-generation", model=model, tokenizer=tokenizer, max_new_tokens=384)  # ok


def load_gguf(n_ctx=4096):
    from llama_cpp import Llama

    path = hf_hub_download(  # expect: TheBloke/Mistral-7B-Instruct-v0.2-GGUF res=literal
        repo_id="TheBloke/Mistral-7B-Instruct-v0.2-GGUF",
        filename="mistral-7b-instruct-v0.2.Q4_K_M.gguf",
    )
    return Llama(model_path=path, n_ctx=n_ctx, verbose=False)


def load_extractive():
    qa_id = os.environ.get("RAG_QA_MODEL", default="deepset/roberta-base-squad2")
    return pipeline("question-answering", model=qa_id)  # expect: deepset/roberta-base-squad2 res=env_default


def load_extractive_default():
    # last resort: whatever transformers picks for the task
    return pipeline("question-answering")  # expect: distilbert/distilbert-base-cased-distilled-squad res=pipeline_task_default


def build_prompt(question, passages):
    return PROMPT.format(context="\n\n".join(passages), question=question)
