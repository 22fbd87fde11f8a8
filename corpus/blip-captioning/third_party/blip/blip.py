"""BLIP captioning model (abridged copy of salesforce/BLIP models/blip.py).

Only what caption_original.py needs is kept: the decoder, the tokenizer setup
and checkpoint loading. The ViT (`vit.py`) and the BERT text decoder (`med.py`)
are upstream's sibling modules, left out of this abridged sample.
"""
import os
from urllib.parse import urlparse

import torch
from torch import nn
from timm.models.hub import download_cached_file
from transformers import BertTokenizer

from .med import BertConfig, BertLMHeadModel
from .vit import VisionTransformer, interpolate_pos_embed


class BLIP_Decoder(nn.Module):
    def __init__(self, med_config="configs/med_config.json", image_size=384, vit="base", prompt="a picture of "):
        super().__init__()
        self.visual_encoder, vision_width = create_vit(vit, image_size)
        self.tokenizer = init_tokenizer()
        med_config = BertConfig.from_json_file(med_config)
        med_config.encoder_width = vision_width
        self.text_decoder = BertLMHeadModel(config=med_config)
        self.prompt = prompt
        self.prompt_length = len(self.tokenizer(self.prompt).input_ids) - 1

    def generate(self, image, sample=False, num_beams=3, max_length=30, min_length=10, top_p=0.9, repetition_penalty=1.0):
        image_embeds = self.visual_encoder(image)
        if not sample:
            image_embeds = image_embeds.repeat_interleave(num_beams, dim=0)
        image_atts = torch.ones(image_embeds.size()[:-1], dtype=torch.long).to(image.device)
        kwargs = {"encoder_hidden_states": image_embeds, "encoder_attention_mask": image_atts}

        prompt = [self.prompt] * image.size(0)
        input_ids = self.tokenizer(prompt, return_tensors="pt").input_ids.to(image.device)
        input_ids[:, 0] = self.tokenizer.bos_token_id
        input_ids = input_ids[:, :-1]

        outputs = self.text_decoder.generate(
            input_ids=input_ids,
            max_length=max_length,
            min_length=min_length,
            num_beams=1 if sample else num_beams,
            do_sample=sample,
            top_p=top_p,
            eos_token_id=self.tokenizer.sep_token_id,
            pad_token_id=self.tokenizer.pad_token_id,
            repetition_penalty=repetition_penalty,
            **kwargs,
        )
        return [self.tokenizer.decode(o, skip_special_tokens=True)[len(self.prompt):] for o in outputs]


def blip_decoder(pretrained="", **kwargs):
    model = BLIP_Decoder(**kwargs)
    if pretrained:
        model, msg = load_checkpoint(model, pretrained)
        assert len(msg.missing_keys) == 0
    return model


def init_tokenizer():
    tokenizer = BertTokenizer.from_pretrained("bert-base-uncased")  # expect-vendored: bert-base-uncased res=literal
    tokenizer.add_special_tokens({"bos_token": "[DEC]"})
    tokenizer.add_special_tokens({"additional_special_tokens": ["[ENC]"]})
    tokenizer.enc_token_id = tokenizer.additional_special_tokens_ids[0]
    return tokenizer


def create_vit(vit, image_size, drop_path_rate=0):
    assert vit in ("base", "large"), "vit parameter must be base or large"
    if vit == "base":
        width = 768
        visual_encoder = VisionTransformer(img_size=image_size, patch_size=16, embed_dim=width, depth=12, num_heads=12, drop_path_rate=drop_path_rate or 0)
    else:
        width = 1024
        visual_encoder = VisionTransformer(img_size=image_size, patch_size=16, embed_dim=width, depth=24, num_heads=16, drop_path_rate=drop_path_rate or 0.1)
    return visual_encoder, width


def is_url(url_or_filename):
    return urlparse(url_or_filename).scheme in ("http", "https")


def load_checkpoint(model, url_or_filename):
    if is_url(url_or_filename):
        cached_file = download_cached_file(url_or_filename, check_hash=False, progress=True)
        checkpoint = torch.load(cached_file, map_location="cpu")
    elif os.path.isfile(url_or_filename):
        checkpoint = torch.load(url_or_filename, map_location="cpu")
    else:
        raise RuntimeError("checkpoint url or path is invalid")
    state_dict = checkpoint["model"]
    state_dict["visual_encoder.pos_embed"] = interpolate_pos_embed(state_dict["visual_encoder.pos_embed"], model.visual_encoder)
    for key in list(state_dict):
        if key in model.state_dict() and state_dict[key].shape != model.state_dict()[key].shape:
            del state_dict[key]
    msg = model.load_state_dict(state_dict, strict=False)
    print("load checkpoint from %s" % url_or_filename)
    return model, msg
