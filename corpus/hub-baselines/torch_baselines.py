"""PyTorch Hub baselines: classification, self-supervised features, detection."""
import argparse

import torch
from PIL import Image
from torchvision import transforms

ARCHS = ["resnet50", "mobilenet_v2"]

preprocess = transforms.Compose([
    transforms.Resize(256),
    transforms.CenterCrop(224),
    transforms.ToTensor(),
    transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
])


def classifiers():
    models = {"resnet18": torch.hub.load("pytorch/vision:v0.10.0", "resnet18", pretrained=True)}  # expect: pytorch/vision:resnet18 res=literal hub=torch_hub
    for arch in ARCHS:
        models[arch] = torch.hub.load("pytorch/vision:v0.10.0", arch, pretrained=True)  # expect: pytorch/vision:resnet50, pytorch/vision:mobilenet_v2 res=loop hub=torch_hub
    return {name: m.eval() for name, m in models.items()}


def dino_features(batch):
    vits16 = torch.hub.load("facebookresearch/dino:main", "dino_vits16")  # expect: facebookresearch/dino:dino_vits16 res=literal hub=torch_hub
    with torch.no_grad():
        return vits16(batch)


def detector():
    return torch.hub.load("ultralytics/yolov5", "yolov5s")  # expect: ultralytics/yolov5:yolov5s res=literal hub=torch_hub


def our_detector():
    # our fine-tuned weights, loaded through a checked-out copy of the yolov5 repo
    return torch.hub.load("./yolov5", "custom", path="weights/best.pt", source="local")  # expect-local


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", required=True)
    args = parser.parse_args()
    batch = preprocess(Image.open(args.image).convert("RGB")).unsqueeze(0)
    with torch.no_grad():
        for name, model in classifiers().items():
            top = model(batch).softmax(-1).topk(3)
            print(name, top.indices.tolist(), [round(v, 3) for v in top.values[0].tolist()])
    print("dino features:", tuple(dino_features(batch).shape))
    print(detector()(args.image).pandas().xyxy[0])


if __name__ == "__main__":
    main()
