"""Gradio UI for Stable Diffusion 1.x/2.x text-to-image and image-to-image."""
import argparse

import gradio as gr
import torch
from diffusers import DPMSolverMultistepScheduler, StableDiffusionImg2ImgPipeline, StableDiffusionPipeline

MODELS = {
    "sd15": "runwayml/stable-diffusion-v1-5",
    "sd21": "stabilityai/stable-diffusion-2-1",
    "sdxl": "stabilityai/stable-diffusion-xl-base-1.0",  # needs sdxl.py, not offered here
}

parser = argparse.ArgumentParser()
parser.add_argument("--model", choices=["sd15", "sd21"], default="sd15")
parser.add_argument("--share", action="store_true")
args = parser.parse_args()

device = "cuda" if torch.cuda.is_available() else "cpu"
dtype = torch.float16 if device == "cuda" else torch.float32

txt2img = StableDiffusionPipeline.from_pretrained(MODELS[args.model], torch_dtype=dtype, safety_checker=None)  # expect: runwayml/stable-diffusion-v1-5, stabilityai/stable-diffusion-2-1 res=dict_lookup
txt2img.scheduler = DPMSolverMultistepScheduler.from_config(txt2img.scheduler.config)  # ok
txt2img = txt2img.to(device)

# img2img always uses SD 1.5: it behaves better at low strength
img2img = StableDiffusionImg2ImgPipeline.from_pretrained("runwayml/stable-diffusion-v1-5", torch_dtype=dtype).to(device)  # expect: runwayml/stable-diffusion-v1-5 res=literal
img2img.enable_attention_slicing()


def generate(prompt, negative, steps, guidance, seed):
    g = torch.Generator(device).manual_seed(int(seed))
    return txt2img(prompt, negative_prompt=negative, num_inference_steps=int(steps), guidance_scale=guidance, generator=g).images[0]


def transform(image, prompt, strength, seed):
    g = torch.Generator(device).manual_seed(int(seed))
    return img2img(prompt=prompt, image=image.convert("RGB").resize((512, 512)), strength=strength, generator=g).images[0]


with gr.Blocks(title="Stable Diffusion demo") as demo:
    with gr.Tab("Text to image"):
        prompt = gr.Textbox(label="Prompt")
        negative = gr.Textbox(label="Negative prompt", value="blurry, low quality")
        steps = gr.Slider(10, 50, value=25, step=1, label="Steps")
        guidance = gr.Slider(1, 15, value=7.5, label="Guidance")
        seed = gr.Number(value=0, label="Seed")
        out = gr.Image()
        gr.Button("Generate").click(generate, [prompt, negative, steps, guidance, seed], out)
    with gr.Tab("Image to image"):
        src = gr.Image(type="pil")
        prompt2 = gr.Textbox(label="Prompt")
        strength = gr.Slider(0.1, 1.0, value=0.6, label="Strength")
        seed2 = gr.Number(value=0, label="Seed")
        out2 = gr.Image()
        gr.Button("Transform").click(transform, [src, prompt2, strength, seed2], out2)

demo.launch(share=args.share)
