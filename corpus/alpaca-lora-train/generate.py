"""Generate with a LLaMA base model plus the public Alpaca-LoRA adapter.

    python generate.py --base_model <hub id or folder> --prompt "..."
"""
import fire
import torch
from peft import PeftModel
from transformers import GenerationConfig, LlamaForCausalLM, LlamaTokenizer

TEMPLATE = "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\n{}\n\n### Response:\n"


def main(base_model: str, prompt: str = "Tell me about alpacas.", max_new_tokens: int = 256):
    tokenizer = LlamaTokenizer.from_pretrained(base_model)  # expect-unresolved
    model = LlamaForCausalLM.from_pretrained(base_model, load_in_8bit=True, torch_dtype=torch.float16, device_map="auto")  # expect-unresolved
    model = PeftModel.from_pretrained(model, "tloen/alpaca-lora-7b", torch_dtype=torch.float16)  # expect: tloen/alpaca-lora-7b res=literal
    model.eval()

    inputs = tokenizer(TEMPLATE.format(prompt), return_tensors="pt").to(model.device)
    config = GenerationConfig(temperature=0.1, top_p=0.75, top_k=40, num_beams=4)
    with torch.no_grad():
        out = model.generate(**inputs, generation_config=config, max_new_tokens=max_new_tokens)
    print(tokenizer.decode(out[0], skip_special_tokens=True).split("### Response:")[-1].strip())


if __name__ == "__main__":
    fire.Fire(main)
