"""Caption images with the original BLIP implementation (vendored)."""
import sys
from pathlib import Path

import torch
from PIL import Image
from torchvision import transforms
from torchvision.transforms.functional import InterpolationMode

from third_party.blip.blip import blip_decoder

WEIGHTS = "https://storage.googleapis.com/sfr-vision-language-research/BLIP/models/model_base_caption_capfilt_large.pth"
IMAGE_SIZE = 384

transform = transforms.Compose([
    transforms.Resize((IMAGE_SIZE, IMAGE_SIZE), interpolation=InterpolationMode.BICUBIC),
    transforms.ToTensor(),
    transforms.Normalize((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)),
])

device = "cuda" if torch.cuda.is_available() else "cpu"
model = blip_decoder(pretrained=WEIGHTS, image_size=IMAGE_SIZE, vit="base").eval().to(device)  # ok

for path in sorted(Path(sys.argv[1]).glob("*.jpg")):
    image = transform(Image.open(path).convert("RGB")).unsqueeze(0).to(device)
    with torch.no_grad():
        caption = model.generate(image, sample=False, num_beams=3, max_length=20, min_length=5)
    print(f"{path.name}\t{caption[0]}")
