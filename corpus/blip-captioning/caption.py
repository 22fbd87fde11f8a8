"""Caption every image of a folder with the transformers port of BLIP."""
import argparse
from pathlib import Path

import torch
from PIL import Image
from transformers import BlipForConditionalGeneration, BlipProcessor

CHECKPOINTS = {
    False: "Salesforce/blip-image-captioning-base",
    True: "Salesforce/blip-image-captioning-large",
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--large", action="store_true")
    parser.add_argument("--prompt", default="a photography of")
    args = parser.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    checkpoint = CHECKPOINTS[args.large]
    processor = BlipProcessor.from_pretrained(checkpoint)  # expect: Salesforce/blip-image-captioning-base, Salesforce/blip-image-captioning-large res=dict_lookup
    model = BlipForConditionalGeneration.from_pretrained(checkpoint, torch_dtype=torch.float16 if device == "cuda" else torch.float32).to(device)  # expect: Salesforce/blip-image-captioning-base, Salesforce/blip-image-captioning-large res=dict_lookup

    for path in sorted(Path(args.folder).glob("*.[jp][pn]g")):
        image = Image.open(path).convert("RGB")
        inputs = processor(image, args.prompt, return_tensors="pt").to(device, model.dtype)
        out = model.generate(**inputs, max_new_tokens=30)
        print(f"{path.name}\t{processor.decode(out[0], skip_special_tokens=True)}")


if __name__ == "__main__":
    main()
