"""Canny-edge ControlNet on top of SD 1.5, with the ft-MSE VAE."""
import argparse

import cv2
import numpy as np
import torch
from diffusers import (
    AutoencoderKL,
    ControlNetModel,
    StableDiffusionControlNetPipeline,
    UniPCMultistepScheduler,
)
from PIL import Image


def canny(image: Image.Image, low=100, high=200) -> Image.Image:
    edges = cv2.Canny(np.array(image), low, high)
    return Image.fromarray(np.stack([edges] * 3, axis=-1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", required=True)
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()

    controlnet = ControlNetModel.from_pretrained("lllyasviel/sd-controlnet-canny", torch_dtype=torch.float16)  # expect: lllyasviel/sd-controlnet-canny res=literal
    vae = AutoencoderKL.from_pretrained("stabilityai/sd-vae-ft-mse", torch_dtype=torch.float16)  # expect: stabilityai/sd-vae-ft-mse res=literal
    pipe = StableDiffusionControlNetPipeline.from_pretrained(  # expect: runwayml/stable-diffusion-v1-5 res=literal
        "runwayml/stable-diffusion-v1-5",
        controlnet=controlnet,
        vae=vae,
        torch_dtype=torch.float16,
    )
    pipe.scheduler = UniPCMultistepScheduler.from_config(pipe.scheduler.config)  # ok
    pipe.enable_model_cpu_offload()

    control = canny(Image.open(args.image).convert("RGB"))
    image = pipe(args.prompt, image=control, num_inference_steps=args.steps).images[0]
    image.save("controlnet.png")


if __name__ == "__main__":
    main()
