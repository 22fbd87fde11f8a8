"""SDXL base (+ optional refiner), or SDXL-Turbo for 1-4 step sampling."""
import argparse

import torch
from diffusers import DiffusionPipeline, StableDiffusionXLPipeline


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--turbo", action="store_true", help="use SDXL-Turbo (1-4 steps, no CFG)")
    parser.add_argument("--refiner", default=None, help="refiner checkpoint (default: the SDXL 1.0 refiner)")
    parser.add_argument("--no_refine", action="store_true")
    parser.add_argument("--out", default="sdxl.png")
    args = parser.parse_args()

    repo = "stabilityai/sdxl-turbo" if args.turbo else "stabilityai/stable-diffusion-xl-base-1.0"
    base = StableDiffusionXLPipeline.from_pretrained(repo, torch_dtype=torch.float16, variant="fp16").to("cuda")  # expect: stabilityai/sdxl-turbo, stabilityai/stable-diffusion-xl-base-1.0 res=conditional

    if args.turbo:
        image = base(prompt=args.prompt, num_inference_steps=2, guidance_scale=0.0).images[0]
    elif args.no_refine:
        image = base(prompt=args.prompt, num_inference_steps=40).images[0]
    else:
        refiner = DiffusionPipeline.from_pretrained(  # expect: stabilityai/stable-diffusion-xl-refiner-1.0 res=conditional
            args.refiner or "stabilityai/stable-diffusion-xl-refiner-1.0",
            text_encoder_2=base.text_encoder_2,
            vae=base.vae,
            torch_dtype=torch.float16,
            variant="fp16",
        ).to("cuda")
        latents = base(prompt=args.prompt, num_inference_steps=40, denoising_end=0.8, output_type="latent").images
        image = refiner(prompt=args.prompt, num_inference_steps=40, denoising_start=0.8, image=latents).images[0]
    image.save(args.out)


if __name__ == "__main__":
    main()
