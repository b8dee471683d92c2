"""The original AttnGAN's networks and training iteration in PyTorch, for same-machine baselines.

Written for this project's benchmarks from the paper's architecture and the
module names and semantics documented in ``shared/reference_vectors/README.md``
(NCHW, the original parameter names, the original's order of operations,
including its per-caption loop in the word loss, its attention-mask repeat and
the discriminator gradients it computes during the generator update). It is
not used by the package. :func:`verify` loads the weights of a reference-vectors
file into these modules and checks their outputs against the file, so the
timings in ``torch_baseline.py`` are of the reference's computation, proven on
the same numbers our own parity tool uses.
"""

from __future__ import annotations

import json

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


# ---------------------------------------------------------------------------
# Building blocks


def conv3x3(cin, cout):
    return nn.Conv2d(cin, cout, 3, 1, 1, bias=False)


class GLU(nn.Module):
    def forward(self, x):
        half = x.size(1) // 2
        return x[:, :half] * torch.sigmoid(x[:, half:])


def up_block(cin, cout):
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), conv3x3(cin, cout * 2),
                         nn.BatchNorm2d(cout * 2), GLU())


class ResBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.block = nn.Sequential(conv3x3(channels, channels * 2), nn.BatchNorm2d(channels * 2),
                                   GLU(), conv3x3(channels, channels), nn.BatchNorm2d(channels))

    def forward(self, x):
        return self.block(x) + x


# ---------------------------------------------------------------------------
# Text encoder


class TextEncoder(nn.Module):
    """Embedding (300) → dropout → bi-LSTM over the packed caption."""

    def __init__(self, vocab_size, nef, word_dim=300, dropout=0.5):
        super().__init__()
        self.encoder = nn.Embedding(vocab_size, word_dim)
        self.drop = nn.Dropout(dropout)
        self.rnn = nn.LSTM(word_dim, nef // 2, 1, batch_first=True, bidirectional=True)
        self.nef = nef

    def forward(self, captions, lengths):
        emb = self.drop(self.encoder(captions))
        packed = nn.utils.rnn.pack_padded_sequence(emb, lengths.cpu(), batch_first=True,
                                                   enforce_sorted=False)
        output, (h, _) = self.rnn(packed)
        output = nn.utils.rnn.pad_packed_sequence(output, batch_first=True)[0]
        words_emb = output.transpose(1, 2)
        sent_emb = h.transpose(0, 1).contiguous().view(-1, self.nef)
        return words_emb, sent_emb


# ---------------------------------------------------------------------------
# Image encoder: Inception-v3 (torchvision structure) + the two embeddings


class BasicConv2d(nn.Module):
    def __init__(self, cin, cout, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def _avg3(x):
    return F.avg_pool2d(x, 3, 1, 1)  # counts the zero padding, as torchvision


class InceptionA(nn.Module):
    def __init__(self, cin, pool_features):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(cin, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(cin, pool_features, kernel_size=1)

    def forward(self, x):
        return torch.cat([
            self.branch1x1(x), self.branch5x5_2(self.branch5x5_1(x)),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            self.branch_pool(_avg3(x))], 1)


class InceptionB(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x):
        return torch.cat([
            self.branch3x3(x),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            F.max_pool2d(x, 3, 2)], 1)


class InceptionC(nn.Module):
    def __init__(self, cin, c7):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = x
        for k in range(1, 6):
            d = getattr(self, f"branch7x7dbl_{k}")(d)
        return torch.cat([self.branch1x1(x), b7, d, self.branch_pool(_avg3(x))], 1)


class InceptionD(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x):
        b7 = x
        for k in range(1, 5):
            b7 = getattr(self, f"branch7x7x3_{k}")(b7)
        return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), b7, F.max_pool2d(x, 3, 2)], 1)


class InceptionE(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(cin, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x):
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        d = torch.cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
        return torch.cat([self.branch1x1(x), b3, d, self.branch_pool(_avg3(x))], 1)


class ImageEncoder(nn.Module):
    """Inception-v3 to Mixed_6e (region features) and Mixed_7c (global code)."""

    def __init__(self, nef, align_corners=True):
        super().__init__()
        self.align_corners = align_corners
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b = InceptionA(192, 32)
        self.Mixed_5c = InceptionA(256, 64)
        self.Mixed_5d = InceptionA(288, 64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, 128)
        self.Mixed_6c = InceptionC(768, 160)
        self.Mixed_6d = InceptionC(768, 160)
        self.Mixed_6e = InceptionC(768, 192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280)
        self.Mixed_7c = InceptionE(2048)
        self.emb_features = nn.Conv2d(768, nef, 1, bias=False)
        self.emb_cnn_code = nn.Linear(2048, nef)

    def forward(self, x):
        x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=self.align_corners)
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, 3, 2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, 3, 2)
        for name in ("5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e"):
            x = getattr(self, f"Mixed_{name}")(x)
        features = x
        for name in ("7a", "7b", "7c"):
            x = getattr(self, f"Mixed_{name}")(x)
        x = F.avg_pool2d(x, 8).view(x.size(0), -1)
        return self.emb_features(features), self.emb_cnn_code(x)


# ---------------------------------------------------------------------------
# Generator


class CANet(nn.Module):
    def __init__(self, nef, condition_dim):
        super().__init__()
        self.fc = nn.Linear(nef, condition_dim * 4)
        self.glu = GLU()
        self.c_dim = condition_dim

    def forward(self, sent_emb, eps):
        x = self.glu(self.fc(sent_emb))
        mu, logvar = x[:, :self.c_dim], x[:, self.c_dim:]
        return eps * torch.exp(0.5 * logvar) + mu, mu, logvar


class InitStage(nn.Module):
    def __init__(self, ngf, in_dim):
        super().__init__()
        self.ngf = ngf
        self.fc = nn.Sequential(nn.Linear(in_dim, ngf * 4 * 4 * 2, bias=False),
                                nn.BatchNorm1d(ngf * 4 * 4 * 2), GLU())
        self.upsample1 = up_block(ngf, ngf // 2)
        self.upsample2 = up_block(ngf // 2, ngf // 4)
        self.upsample3 = up_block(ngf // 4, ngf // 8)
        self.upsample4 = up_block(ngf // 8, ngf // 16)

    def forward(self, z, c_code):
        x = self.fc(torch.cat((c_code, z), 1)).view(-1, self.ngf, 4, 4)
        return self.upsample4(self.upsample3(self.upsample2(self.upsample1(x))))


class Attention(nn.Module):
    """Word attention with the reference's mask repeat (``mask.repeat(queryL, 1)``)."""

    def __init__(self, idf, cdf):
        super().__init__()
        self.conv_context = nn.Conv2d(cdf, idf, 1, bias=False)
        self.mask = None

    def forward(self, x, context):
        b, _, ih, iw = x.shape
        query_len, source_len = ih * iw, context.size(2)
        target_t = x.view(b, -1, query_len).transpose(1, 2)
        source_t = self.conv_context(context.unsqueeze(3)).squeeze(3)
        attn = torch.bmm(target_t, source_t).view(b * query_len, source_len)
        if self.mask is not None:
            attn = attn.masked_fill(self.mask.repeat(query_len, 1), -float("inf"))
        attn = F.softmax(attn, dim=1).view(b, query_len, source_len).transpose(1, 2).contiguous()
        weighted = torch.bmm(source_t, attn).view(b, -1, ih, iw)
        return weighted, attn.view(b, -1, ih, iw)


class NextStage(nn.Module):
    def __init__(self, ngf, nef, r_num):
        super().__init__()
        self.att = Attention(ngf, nef)
        self.residual = nn.Sequential(*[ResBlock(ngf * 2) for _ in range(r_num)])
        self.upsample = up_block(ngf * 2, ngf)

    def forward(self, h_code, words_emb, mask):
        self.att.mask = mask
        context, attn = self.att(h_code, words_emb)
        return self.upsample(self.residual(torch.cat((h_code, context), 1))), attn


class ImageHead(nn.Module):
    def __init__(self, ngf):
        super().__init__()
        self.img = nn.Sequential(conv3x3(ngf, 3), nn.Tanh())

    def forward(self, x):
        return self.img(x)


class Generator(nn.Module):
    """``G_NET``; with ``dcgan`` the AttnDCGAN's ``G_DCGAN``: the stages pass only
    their hidden code on and one head, ``img_net``, draws the last stage's image."""

    def __init__(self, gf_dim, nef, z_dim, condition_dim, r_num, branch_num=3, dcgan=False):
        super().__init__()
        self.ca_net = CANet(nef, condition_dim)
        self.h_net1 = InitStage(gf_dim * 16, z_dim + condition_dim)
        if not dcgan:
            self.img_net1 = ImageHead(gf_dim)
        for i in range(2, branch_num + 1):
            setattr(self, f"h_net{i}", NextStage(gf_dim, nef, r_num))
            if not dcgan:
                setattr(self, f"img_net{i}", ImageHead(gf_dim))
        if dcgan:
            self.img_net = ImageHead(gf_dim)
        self.branch_num = branch_num
        self.dcgan = dcgan

    def forward(self, z, sent_emb, words_emb, mask, eps):
        c_code, mu, logvar = self.ca_net(sent_emb, eps)
        h = self.h_net1(z, c_code)
        images, maps = ([] if self.dcgan else [self.img_net1(h)]), []
        for i in range(2, self.branch_num + 1):
            h, attn = getattr(self, f"h_net{i}")(h, words_emb, mask)
            if not self.dcgan:
                images.append(getattr(self, f"img_net{i}")(h))
            maps.append(attn)
        if self.dcgan:
            images.append(self.img_net(h))
        return images, maps, mu, logvar, c_code


# ---------------------------------------------------------------------------
# Discriminators


def _leaky_block(cin, cout):
    return nn.Sequential(conv3x3(cin, cout), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2))


def _down_block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout),
                         nn.LeakyReLU(0.2))


def _encode_by_16(ndf):
    return nn.Sequential(
        nn.Conv2d(3, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4),
        nn.LeakyReLU(0.2),
        nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8),
        nn.LeakyReLU(0.2))


class Logits(nn.Module):
    def __init__(self, ndf, nef, condition):
        super().__init__()
        self.nef = nef
        if condition:
            self.jointConv = _leaky_block(ndf * 8 + nef, ndf * 8)
        self.outlogits = nn.Sequential(nn.Conv2d(ndf * 8, 1, 4, 4), nn.Sigmoid())
        self.condition = condition

    def forward(self, h_code, c_code=None):
        if self.condition:
            c_code = c_code.view(-1, self.nef, 1, 1).repeat(1, 1, 4, 4)
            h_code = self.jointConv(torch.cat((h_code, c_code), 1))
        return self.outlogits(h_code).view(-1)


class Discriminator(nn.Module):
    """``D_NET64/128/256`` (``stage`` 0/1/2); ``b_jcu=False``: no ``UNCOND_DNET``."""

    def __init__(self, ndf, nef, stage, b_jcu=True):
        super().__init__()
        self.img_code_s16 = _encode_by_16(ndf)
        if stage >= 1:
            self.img_code_s32 = _down_block(ndf * 8, ndf * 16)
        if stage == 1:
            self.img_code_s32_1 = _leaky_block(ndf * 16, ndf * 8)
        if stage == 2:
            self.img_code_s64 = _down_block(ndf * 16, ndf * 32)
            self.img_code_s64_1 = _leaky_block(ndf * 32, ndf * 16)
            self.img_code_s64_2 = _leaky_block(ndf * 16, ndf * 8)
        self.UNCOND_DNET = Logits(ndf, nef, condition=False) if b_jcu else None
        self.COND_DNET = Logits(ndf, nef, condition=True)
        self.stage = stage

    def forward(self, x):
        x = self.img_code_s16(x)
        if self.stage == 1:
            x = self.img_code_s32_1(self.img_code_s32(x))
        elif self.stage == 2:
            x = self.img_code_s64_2(self.img_code_s64_1(self.img_code_s64(self.img_code_s32(x))))
        return x


# ---------------------------------------------------------------------------
# Losses (the reference's, per-caption loop included)


def _class_masks(class_ids, batch):
    if class_ids is None:
        return None
    masks = []
    for i in range(batch):
        mask = (class_ids == class_ids[i]).astype(np.uint8)
        mask[i] = 0
        masks.append(mask.reshape((1, -1)))
    return torch.from_numpy(np.concatenate(masks, 0)).bool()


def _func_attention(query, context, gamma1):
    batch, query_len = query.size(0), query.size(2)
    ih, iw = context.size(2), context.size(3)
    source_len = ih * iw
    context = context.view(batch, -1, source_len)
    attn = torch.bmm(context.transpose(1, 2).contiguous(), query)
    attn = F.softmax(attn.view(batch * source_len, query_len), dim=1)
    attn = attn.view(batch, source_len, query_len).transpose(1, 2).contiguous()
    attn = F.softmax(attn.view(batch * query_len, source_len) * gamma1, dim=1)
    attn = attn.view(batch, query_len, source_len)
    weighted = torch.bmm(context, attn.transpose(1, 2).contiguous())
    return weighted, attn.view(batch, -1, ih, iw)


def _cosine(x1, x2, eps=1e-8):
    w12 = torch.sum(x1 * x2, 1)
    return (w12 / (torch.norm(x1, 2, 1) * torch.norm(x2, 2, 1)).clamp(min=eps)).squeeze()


def words_loss(region, words_emb, labels, lengths, class_ids, gammas):
    gamma1, gamma2, gamma3 = gammas
    batch = region.size(0)
    similarities = []
    for i in range(batch):
        n = int(lengths[i])
        word = words_emb[i, :, :n].unsqueeze(0).contiguous().repeat(batch, 1, 1)
        weighted, _ = _func_attention(word, region, gamma1)
        word = word.transpose(1, 2).contiguous().view(batch * n, -1)
        weighted = weighted.transpose(1, 2).contiguous().view(batch * n, -1)
        row = _cosine(word, weighted).view(batch, n)
        similarities.append(torch.log(torch.exp(row * gamma2).sum(dim=1, keepdim=True)))
    similarities = torch.cat(similarities, 1) * gamma3
    masks = _class_masks(class_ids, batch)
    if masks is not None:
        similarities = similarities.masked_fill(masks, -float("inf"))
    return (F.cross_entropy(similarities, labels),
            F.cross_entropy(similarities.transpose(0, 1), labels))


def sent_loss(cnn_code, sent_emb, labels, class_ids, gamma3, eps=1e-8):
    batch = cnn_code.size(0)
    cnn, rnn = cnn_code.unsqueeze(0), sent_emb.unsqueeze(0)
    scores = torch.bmm(cnn, rnn.transpose(1, 2))
    norm = torch.bmm(torch.norm(cnn, 2, dim=2, keepdim=True),
                     torch.norm(rnn, 2, dim=2, keepdim=True).transpose(1, 2))
    scores = (scores / norm.clamp(min=eps) * gamma3).squeeze()
    masks = _class_masks(class_ids, batch)
    if masks is not None:
        scores = scores.masked_fill(masks, -float("inf"))
    return F.cross_entropy(scores, labels), F.cross_entropy(scores.transpose(0, 1), labels)


def kl_loss(mu, logvar):
    return torch.mean(1 + logvar - mu.pow(2) - logvar.exp()) * -0.5


def discriminator_loss(net, real, fake, sent_emb):
    bce = nn.BCELoss()
    batch = real.size(0)
    ones, zeros = torch.ones(batch), torch.zeros(batch)
    real_features, fake_features = net(real), net(fake.detach())
    cond_real = bce(net.COND_DNET(real_features, sent_emb), ones)
    cond_fake = bce(net.COND_DNET(fake_features, sent_emb), zeros)
    cond_wrong = bce(net.COND_DNET(real_features[:batch - 1], sent_emb[1:]), zeros[1:])
    if net.UNCOND_DNET is None:
        return cond_real + (cond_fake + cond_wrong) / 2.0
    real_err = bce(net.UNCOND_DNET(real_features), ones)
    fake_err = bce(net.UNCOND_DNET(fake_features), zeros)
    return (real_err + cond_real) / 2.0 + (fake_err + cond_fake + cond_wrong) / 3.0


def generator_loss(nets, image_encoder, fakes, words_emb, sent_emb, lengths, class_ids,
                   gammas, damsm_lambda):
    return generator_loss_parts(nets, image_encoder, fakes, words_emb, sent_emb, lengths,
                                class_ids, gammas, damsm_lambda)["total"]


# ---------------------------------------------------------------------------
# The whole model and one training iteration (trainer.py's order)


class AttnGAN:
    """Encoders (eval, frozen), generator and its average, discriminators, Adam optimizers."""

    def __init__(self, cfg: dict):
        nef = cfg["embedding_dim"]
        self.cfg = cfg
        self.text_encoder = TextEncoder(cfg["vocab_size"], nef, cfg.get("text_input_dim", 300))
        self.image_encoder = ImageEncoder(nef)
        for net in (self.text_encoder, self.image_encoder):
            net.eval()
            for p in net.parameters():
                p.requires_grad = False
        dcgan = bool(cfg.get("b_dcgan", False))  # GAN.B_DCGAN: G_DCGAN + D_NET(b_jcu=False)
        self.generator = Generator(cfg["gf_dim"], nef, cfg["z_dim"], cfg["condition_dim"],
                                   cfg["r_num"], cfg["branch_num"], dcgan=dcgan)
        self.discriminators = (
            [Discriminator(cfg["df_dim"], nef, cfg["branch_num"] - 1, b_jcu=False)] if dcgan
            else [Discriminator(cfg["df_dim"], nef, i) for i in range(cfg["branch_num"])])
        self.average = [p.detach().clone() for p in self.generator.parameters()]
        self.g_optimizer = torch.optim.Adam(self.generator.parameters(), 2e-4, betas=(0.5, 0.999))
        self.d_optimizers = [torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
                             for d in self.discriminators]

    def train_step(self, images, captions, lengths, class_ids, noise=None, eps=None,
                   record: dict | None = None):
        """One iteration of ``trainer.py``; returns the generator loss without KL.

        ``noise``/``eps``: the iteration's z and CA noise (default: drawn).
        ``record``: a dict to fill with what the training-vectors format holds
        (losses, fake images, every gradient, states after the update, the
        weight average), as numpy arrays under ``loss/*``, ``fake_imgs/*``,
        ``grad/<net>/*``, ``state/<net>/*``, ``avg_netG/*``.
        """
        cfg = self.cfg
        gammas = (cfg["gamma1"], cfg["gamma2"], cfg["gamma3"])
        words_emb, sent_emb = self.text_encoder(captions, lengths)
        words_emb, sent_emb = words_emb.detach(), sent_emb.detach()
        mask = (captions == 0)[:, :words_emb.size(2)]
        batch = captions.size(0)
        if noise is None:
            noise = torch.randn(batch, cfg["z_dim"])
        if eps is None:
            eps = torch.randn(batch, cfg["condition_dim"])
        fakes, _, mu, logvar, _ = self.generator(noise, sent_emb, words_emb, mask, eps)
        # AttnDCGAN: its one discriminator takes the last scale (trainer.py pairs it
        # with imgs[0], the 64 px images, which D_NET256 cannot take).
        images = images[-len(fakes):]
        for i, (net, optimizer) in enumerate(zip(self.discriminators, self.d_optimizers)):
            net.zero_grad()
            d_loss = discriminator_loss(net, images[i], fakes[i], sent_emb)
            d_loss.backward()
            if record is not None:
                record[f"loss/d_loss{i}"] = _numpy(d_loss)
                record.update(_grads(net, f"grad/netD{i}/"))
            optimizer.step()
        self.generator.zero_grad()
        if record is None:
            loss = generator_loss(self.discriminators, self.image_encoder, fakes, words_emb,
                                  sent_emb, lengths, class_ids, gammas, cfg["lambda"])
            kl = kl_loss(mu, logvar)
        else:
            parts = generator_loss_parts(self.discriminators, self.image_encoder, fakes,
                                         words_emb, sent_emb, lengths, class_ids, gammas,
                                         cfg["lambda"])
            loss, kl = parts.pop("total"), kl_loss(mu, logvar)
            record.update({f"loss/{k}": _numpy(v) for k, v in parts.items()})
            record["loss/kl_loss"] = _numpy(kl)
            record["loss/g_total"] = _numpy(loss + kl)
            record.update({f"fake_imgs/{i}": _numpy(x) for i, x in enumerate(fakes)})
        (loss + kl).backward()
        if record is not None:
            record.update(_grads(self.generator, "grad/netG/"))
        self.g_optimizer.step()
        with torch.no_grad():
            for p, avg in zip(self.generator.parameters(), self.average):
                avg.mul_(0.999).add_(p, alpha=0.001)
        if record is not None:
            record.update(_states(self.generator, "state/netG/"))
            for i, net in enumerate(self.discriminators):
                record.update(_states(net, f"state/netD{i}/"))
            names = [name for name, _ in self.generator.named_parameters()]
            record.update({f"avg_netG/{name}": _numpy(avg)
                           for name, avg in zip(names, self.average)})
        return float(loss.detach())


def generator_loss_parts(nets, image_encoder, fakes, words_emb, sent_emb, lengths, class_ids,
                         gammas, damsm_lambda) -> dict:
    """:func:`generator_loss` (same order of operations) and its DAMSM parts before λ."""
    bce = nn.BCELoss()
    batch = fakes[0].size(0)
    ones, labels = torch.ones(batch), torch.arange(batch)
    total = 0.0
    for i, net in enumerate(nets):
        features = net(fakes[i])
        total = total + bce(net.COND_DNET(features, sent_emb), ones)
        if net.UNCOND_DNET is not None:
            total = total + bce(net.UNCOND_DNET(features), ones)
    region, code = image_encoder(fakes[-1])
    w0, w1 = words_loss(region, words_emb, labels, lengths, class_ids, gammas)
    s0, s1 = sent_loss(code, sent_emb, labels, class_ids, gammas[2])
    return {"total": total + (w0 + w1) * damsm_lambda + (s0 + s1) * damsm_lambda,
            "words_loss0": w0, "words_loss1": w1, "sent_loss0": s0, "sent_loss1": s1}


def _numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy().astype(np.float32) if torch.is_tensor(x) else np.float32(x)


def _grads(module: nn.Module, prefix: str) -> dict:
    return {prefix + name: _numpy(p.grad) for name, p in module.named_parameters()
            if p.grad is not None}


def _states(module: nn.Module, prefix: str) -> dict:
    return {prefix + name: _numpy(value) for name, value in module.state_dict().items()
            if not name.endswith("num_batches_tracked")}


# ---------------------------------------------------------------------------
# Training vectors: the format of shared/reference_vectors/attngan_small_train.npz


def _tensors(data, prefix: str) -> dict:
    return {k[len(prefix):]: torch.from_numpy(np.array(data[k])) for k in data.files
            if k.startswith(prefix)}


def write_forward_file(path: str, cfg: dict, seed: int = 0) -> None:
    """A forward file (the parts a training check reads): random weights for
    every module (torch's default initialisation, BatchNorm affine parameters
    and running statistics perturbed), inputs and ``config_json``.

    ``cfg``: the keys of ``config_json`` (``vocab_size``, ``embedding_dim``,
    ``gf_dim``, ``df_dim``, ``z_dim``, ``condition_dim``, ``r_num``,
    ``branch_num``, ``words_num``, ``text_input_dim``, ``batch``, ``gamma1..3``,
    ``lambda``).
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = AttnGAN(cfg)
    arrays = {"config_json": np.array(json.dumps(cfg))}
    nets = {"text_encoder": model.text_encoder, "image_encoder": model.image_encoder,
            "netG": model.generator}
    nets.update({f"netD{i}": d for i, d in enumerate(model.discriminators)})
    for name, net in nets.items():
        for key, value in net.state_dict().items():
            if key.endswith("num_batches_tracked"):
                continue
            value = value.detach().numpy().astype(np.float32)
            if key.endswith(".running_var"):
                value = rng.uniform(0.5, 1.5, value.shape).astype(np.float32)
            elif key.endswith(".running_mean"):
                value = rng.normal(0, 0.1, value.shape).astype(np.float32)
            elif value.ndim == 1 and name != "text_encoder" and key.endswith(".weight"):
                value = rng.uniform(0.8, 1.2, value.shape).astype(np.float32)
            arrays[f"state/{name}/{key}"] = value
    batch, words = int(cfg["batch"]), int(cfg["words_num"])
    lengths = rng.integers(2, words + 1, batch)
    lengths[0] = words
    captions = np.zeros((batch, words), np.int64)
    for i, n in enumerate(lengths):
        captions[i, :n] = rng.integers(1, int(cfg["vocab_size"]), n)
    arrays["in/captions"] = captions
    arrays["in/cap_lens"] = lengths.astype(np.int64)
    arrays["in/class_ids"] = rng.integers(0, max(2, batch // 2), batch).astype(np.int64)
    for i in range(int(cfg["branch_num"])):
        size = 64 * 2 ** i
        arrays[f"in/real_imgs/{i}"] = rng.uniform(-1, 1, (batch, 3, size, size)).astype(
            np.float32)
    arrays["in/noise"] = rng.normal(size=(batch, int(cfg["z_dim"]))).astype(np.float32)
    arrays["in/ca_eps"] = rng.normal(size=(batch, int(cfg["condition_dim"]))).astype(np.float32)
    np.savez_compressed(path, **arrays)


def training_vectors(forward_path: str, iterations: int = 2, seed: int = 77,
                     noises: dict | None = None) -> dict:
    """What the training-vectors format holds for ``iterations`` iterations of
    :meth:`AttnGAN.train_step` from a forward file's weights and inputs, in
    float64 (as TRAINING.md): iteration 0 with the forward file's noise, later
    ones with fresh noise (stored under ``train/K/in/``; ``noises``: given
    ``{K: (noise, ca_eps)}`` instead, e.g. another file's); discriminator
    gradients and states of iteration 0 only, as the shared file."""
    import hashlib

    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        data, cfg, model = _loaded_model(forward_path)
        for net in [model.text_encoder, model.image_encoder, model.generator,
                    *model.discriminators]:
            net.double()
        model.average = [p.detach().clone() for p in model.generator.parameters()]
        model.g_optimizer = torch.optim.Adam(model.generator.parameters(), 2e-4,
                                             betas=(0.5, 0.999))
        model.d_optimizers = [torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
                              for d in model.discriminators]
        images = [torch.from_numpy(np.array(data[f"in/real_imgs/{i}"])).double()
                  for i in range(cfg["branch_num"])]
        captions = torch.from_numpy(np.array(data["in/captions"])).long()
        lengths = torch.from_numpy(np.array(data["in/cap_lens"])).long()
        class_ids = np.array(data["in/class_ids"])
        rng = np.random.default_rng(seed)
        out = {"config_json": np.array(json.dumps({**cfg, "train_iterations": iterations,
                                                   "train_seed": seed,
                                                   "precision": "float64"})),
               "forward_file": np.array(forward_path.rsplit("/", 1)[-1]),
               "forward_file_sha256": np.array(hashlib.sha256(
                   open(forward_path, "rb").read()).hexdigest())}
        for k in range(iterations):
            if k == 0:
                noise, eps = np.array(data["in/noise"]), np.array(data["in/ca_eps"])
            elif noises and k in noises:
                noise, eps = (np.asarray(x, np.float32) for x in noises[k])
                out[f"train/{k}/in/noise"], out[f"train/{k}/in/ca_eps"] = noise, eps
            else:
                noise = rng.normal(size=(len(lengths), cfg["z_dim"])).astype(np.float32)
                eps = rng.normal(size=(len(lengths), cfg["condition_dim"])).astype(np.float32)
                out[f"train/{k}/in/noise"], out[f"train/{k}/in/ca_eps"] = noise, eps
            record: dict = {}
            model.train_step(images, captions, lengths, class_ids,
                             torch.from_numpy(noise).double(), torch.from_numpy(eps).double(),
                             record=record)
            for key, value in record.items():
                if k > 0 and ("netD" in key):
                    continue
                out[f"train/{k}/{key}"] = value
        return out
    finally:
        torch.set_default_dtype(previous)


def write_training_file(forward_path: str, path: str, iterations: int = 2,
                        seed: int = 77) -> None:
    """Writes :func:`training_vectors` of ``forward_path`` to ``path`` (``.npz``)."""
    np.savez_compressed(path, **training_vectors(forward_path, iterations, seed))


# ---------------------------------------------------------------------------
# Verification against a reference-vectors file


def _load(module: nn.Module, data, name: str) -> None:
    prefix = f"state/{name}/"
    state = {k[len(prefix):]: torch.from_numpy(np.array(data[k]))
             for k in data.files if k.startswith(prefix)}
    own = module.state_dict()
    for key in own:
        if key.endswith("num_batches_tracked") and key not in state:
            state[key] = own[key]
    module.load_state_dict(state, strict=True)


def _loaded_model(path: str):
    """``(data, cfg, model)``: a reference-vectors file, its config and the port's
    :class:`AttnGAN` with its weights (in the default dtype)."""
    data = np.load(path)
    cfg = json.loads(str(data["config_json"]))
    model = AttnGAN(cfg)
    _load(model.text_encoder, data, "text_encoder")
    _load(model.image_encoder, data, "image_encoder")
    _load(model.generator, data, "netG")
    for i, net in enumerate(model.discriminators):
        _load(net, data, f"netD{i}")
    return data, cfg, model


def verify(path: str, tolerance: float = 1e-4) -> int:
    """Loads a reference-vectors file's weights, compares outputs; returns the number checked.

    Raises AssertionError naming the first output that differs by more than
    ``tolerance · (1 + max|ref|)``.
    """
    data, cfg, model = _loaded_model(path)
    for net in model.discriminators:
        net.eval()
    model.generator.eval()
    checked = 0

    def check(key, ours):
        nonlocal checked
        ref = np.asarray(data[key], np.float64)
        ours = np.asarray(ours.detach().numpy() if torch.is_tensor(ours) else ours, np.float64)
        error = float(np.max(np.abs(ours - ref)))
        bound = tolerance * (1 + float(np.max(np.abs(ref))))
        assert ours.shape == ref.shape and error <= bound, (key, ours.shape, ref.shape, error)
        checked += 1

    captions = torch.from_numpy(np.array(data["in/captions"])).long()
    lengths = torch.from_numpy(np.array(data["in/cap_lens"])).long()
    class_ids = np.array(data["in/class_ids"])
    with torch.no_grad():
        words_emb, sent_emb = model.text_encoder(captions, lengths)
        check("out/words_emb", words_emb)
        check("out/sent_emb", sent_emb)
        ref_words = torch.from_numpy(np.array(data["out/words_emb"]))
        ref_sent = torch.from_numpy(np.array(data["out/sent_emb"]))
        mask = (captions == 0)[:, :ref_words.size(2)]
        fakes, maps, mu, logvar, c_code = model.generator(
            torch.from_numpy(np.array(data["in/noise"])), ref_sent, ref_words, mask,
            torch.from_numpy(np.array(data["in/ca_eps"])))
        for i, image in enumerate(fakes):
            check(f"out/fake_imgs/{i}", image)
        for i, attention in enumerate(maps):
            check(f"out/att_maps/{i}", attention)
        check("out/mu", mu)
        check("out/logvar", logvar)
        check("out/c_code", c_code)
        check("out/kl_loss", kl_loss(mu, logvar))
        ref_fakes = [torch.from_numpy(np.array(data[f"out/fake_imgs/{i}"]))
                     for i in range(cfg["branch_num"])]
        reals = [torch.from_numpy(np.array(data[f"in/real_imgs/{i}"]))
                 for i in range(cfg["branch_num"])]
        region, code = model.image_encoder(ref_fakes[-1])
        check("out/region_features", region)
        check("out/cnn_code", code)
        labels = torch.arange(captions.size(0))
        gammas = (cfg["gamma1"], cfg["gamma2"], cfg["gamma3"])
        w0, w1 = words_loss(region, ref_words, labels, lengths, class_ids, gammas)
        check("out/words_loss0", w0)
        check("out/words_loss1", w1)
        s0, s1 = sent_loss(code, ref_sent, labels, class_ids, cfg["gamma3"])
        check("out/sent_loss0", s0)
        check("out/sent_loss1", s1)
        for i, net in enumerate(model.discriminators):
            fake_h, real_h = net(ref_fakes[i]), net(reals[i])
            check(f"out/D{i}/h_code", fake_h)
            check(f"out/D{i}/cond_logits", net.COND_DNET(fake_h, ref_sent))
            check(f"out/D{i}/uncond_logits", net.UNCOND_DNET(fake_h))
            check(f"out/D{i}/cond_logits_real", net.COND_DNET(real_h, ref_sent))
            check(f"out/D{i}/cond_logits_wrong", net.COND_DNET(real_h[:-1], ref_sent[1:]))
            check(f"out/d_loss/{i}", discriminator_loss(net, reals[i], ref_fakes[i], ref_sent))
        check("out/g_total", generator_loss(model.discriminators, model.image_encoder,
                                            ref_fakes, ref_words, ref_sent, lengths, class_ids,
                                            gammas, cfg["lambda"]))
    return checked
