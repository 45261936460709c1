#!/usr/bin/env python3
"""Export small, real PyTorch models as ONNX test fixtures for onnx-h8-opt.

Purpose
-------
onnx-h8-opt rewrites PyTorch-exported time-series models (Conv1d TCNs,
depthwise/grouped convs, causal pads + chomps, transposed convs, attention,
flatten heads) into a form the Hailo-8 NPU accepts (mostly: lifting 1-D ops to
2-D ops with (1, k) kernels).  This script produces the models the compiler is
tested on, exported by torch.onnx.export exactly as users would export them,
together with reference input/output data computed by PyTorch itself.

For every fixture <name> it writes into the output directory:

  <name>/model.onnx                   the exported graph (input "x", output "y")
  <name>/test_data_set_<i>/input_0.pb  serialized onnx.TensorProto (name = graph
  <name>/test_data_set_<i>/output_0.pb input/output name), PyTorch's values
  <name>/info.json                    opset, shapes, dynamic axes, op types, ...

and <out>/README.md describing every fixture.

For the Conv1d models a "lifted twin" <name>_2d is exported as well: the same
network written with the 2-D modules ((1, k) kernels, stride (1, s), padding
(0, p), dilation (1, d)), weights copied with .unsqueeze(2), input
[N, C, 1, T].  The script asserts (in PyTorch) that the twin reproduces the
original model's output (unsqueezed at axis 2 where there is a time axis) to
1e-5, so the twin is the reference for what lifting must produce.

Everything is deterministic: weights, BatchNorm/LayerNorm statistics and inputs
come from fixed seeds, so re-running produces byte-identical files.

Usage
-----
  /usr/bin/python3 utils/export_fixtures.py [--out test/fixtures] [--only NAME...]

  --out DIR      output directory (default: <repo>/test/fixtures)
  --only NAME..  export only these fixtures (README.md is always rewritten)
  --list         list fixture names and exit

Requires torch (tested with Debian's python3-torch 1.13), torchaudio (0.13,
for the w2v2_fe_*, conformer_conv_* and wav2letter_op11 fixtures), onnx and
numpy.  README.md also lists the opset-18 fixtures written by the sibling
utils/export_modern_fixtures.py.
"""

import argparse
import collections
import json
import math
import os
import shutil
import sys
import warnings

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO_ROOT, "test", "fixtures")
TWIN_TOL = 1e-5


# --------------------------------------------------------------------------
# Layer factory: the same network definition gives the 1-D model or its
# lifted 2-D twin ((1, k) kernels on an [N, C, 1, T] tensor).
# --------------------------------------------------------------------------
class Ops:
    def __init__(self, two_d):
        self.two_d = two_d

    def conv(self, cin, cout, k, stride=1, padding=0, dilation=1, groups=1):
        if self.two_d:
            return nn.Conv2d(cin, cout, (1, k), stride=(1, stride),
                             padding=(0, padding), dilation=(1, dilation),
                             groups=groups)
        return nn.Conv1d(cin, cout, k, stride=stride, padding=padding,
                         dilation=dilation, groups=groups)

    def conv_t(self, cin, cout, k, stride=1, padding=0, output_padding=0,
               groups=1):
        if self.two_d:
            return nn.ConvTranspose2d(cin, cout, (1, k), stride=(1, stride),
                                      padding=(0, padding),
                                      output_padding=(0, output_padding),
                                      groups=groups)
        return nn.ConvTranspose1d(cin, cout, k, stride=stride, padding=padding,
                                  output_padding=output_padding, groups=groups)

    def bn(self, c):
        return nn.BatchNorm2d(c) if self.two_d else nn.BatchNorm1d(c)

    def max_pool(self, k):
        return nn.MaxPool2d((1, k)) if self.two_d else nn.MaxPool1d(k)

    def avg_pool(self, k, ceil_mode=False):
        if self.two_d:
            return nn.AvgPool2d((1, k), ceil_mode=ceil_mode)
        return nn.AvgPool1d(k, ceil_mode=ceil_mode)

    def mean_time(self, x):
        # [N, C, T] -> [N, C];  twin: [N, C, 1, T] -> [N, C] (H == 1)
        return x.mean(dim=(2, 3)) if self.two_d else x.mean(-1)

    def chomp(self, x, n):
        # drop the last n time steps (Slice on the last axis)
        return x[:, :, :, :-n] if self.two_d else x[:, :, :-n]


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------
class TCNBlock(nn.Module):
    """Conv(k, dilation d, 'same' padding) + BN + ReLU + residual Add."""

    def __init__(self, ops, cin, cout, k, d):
        super().__init__()
        self.conv = ops.conv(cin, cout, k, padding=d * (k - 1) // 2, dilation=d)
        self.bn = ops.bn(cout)
        self.skip = ops.conv(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x):
        return F.relu(self.bn(self.conv(x))) + self.skip(x)


def tcn_blocks(ops, channels, dilations, k=3):
    return nn.Sequential(*[TCNBlock(ops, channels[i], channels[i + 1], k, d)
                           for i, d in enumerate(dilations)])


class TCNResidual(nn.Module):
    def __init__(self, two_d=False):
        super().__init__()
        self.ops = Ops(two_d)
        self.blocks = tcn_blocks(self.ops, [9, 16, 16, 16], [1, 2, 4])
        self.head = nn.Linear(16, 5)

    def forward(self, x):
        return self.head(self.ops.mean_time(self.blocks(x)))


class TCNEncoder(nn.Module):
    def __init__(self, two_d=False):
        super().__init__()
        ops = Ops(two_d)
        self.blocks = tcn_blocks(ops, [9, 16, 16, 16], [1, 2, 4])
        self.proj = ops.conv(16, 16, 1)

    def forward(self, x):
        return self.proj(self.blocks(x))


class DepthwiseTCN(nn.Module):
    def __init__(self, two_d=False):
        super().__init__()
        ops = Ops(two_d)
        self.dw1 = ops.conv(8, 8, 5, stride=2, padding=2, groups=8)    # T 100->50
        self.pw1 = ops.conv(8, 16, 1)
        self.pool1 = ops.max_pool(2)                                   # 50->25
        self.dw2 = ops.conv(16, 32, 3, padding=1, groups=16)           # x2 multiplier
        self.pool2 = ops.avg_pool(2, ceil_mode=True)                   # 25->13
        self.pw2 = ops.conv(32, 16, 1)

    def forward(self, x):
        x = self.pool1(F.relu(self.pw1(self.dw1(x))))
        return self.pw2(self.pool2(self.dw2(x)))


class GroupedConv2d(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(8, 16, (1, 3), groups=4, padding=(0, 1))
        self.c2 = nn.Conv2d(16, 16, (1, 5), groups=16, dilation=(1, 2),
                            padding=(0, 4))
        self.c3 = nn.Conv2d(16, 8, 1)

    def forward(self, x):
        return self.c3(self.c2(F.relu(self.c1(x))))


class CausalTCN(nn.Module):
    K1, D1 = 3, 1
    K2, D2 = 3, 2

    def __init__(self, two_d=False):
        super().__init__()
        self.ops = ops = Ops(two_d)
        self.left = (self.K1 - 1) * self.D1           # python int
        self.conv1 = ops.conv(9, 16, self.K1, dilation=self.D1)
        self.chomp = (self.K2 - 1) * self.D2          # python int
        self.conv2 = ops.conv(16, 16, self.K2, dilation=self.D2,
                              padding=self.chomp)

    def forward(self, x):
        x = F.relu(self.conv1(F.pad(x, (self.left, 0))))       # causal pad
        x = self.ops.chomp(self.conv2(x), self.chomp)          # pad + chomp
        return F.relu(x)


class ConvTransposeDecoder(nn.Module):
    def __init__(self, two_d=False):
        super().__init__()
        ops = Ops(two_d)
        self.down = ops.conv(8, 16, 3, stride=2, padding=1)               # 50->25
        self.up1 = ops.conv_t(16, 8, 4, stride=2, padding=1)              # 25->50
        self.up2 = ops.conv_t(8, 4, 3, stride=2, padding=1,
                              output_padding=1, groups=2)                 # 50->100

    def forward(self, x):
        x = F.relu(self.down(x))
        x = F.relu(self.up1(x))
        return self.up2(x)


class Attention(nn.Module):
    def __init__(self, d=16, n_out=4):
        super().__init__()
        self.d = d
        self.ln1 = nn.LayerNorm(d)
        self.q = nn.Linear(d, d)
        self.k = nn.Linear(d, d)
        self.v = nn.Linear(d, d)
        self.o = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, n_out)

    def forward(self, x):                       # x: [N, T, C]
        h = self.ln1(x)
        q, k, v = self.q(h), self.k(h), self.v(h)
        s = q @ k.transpose(-2, -1) / math.sqrt(self.d)
        a = torch.softmax(s, dim=-1) @ v
        x = x + self.o(a)
        h = self.ln2(x).mean(dim=1)
        return torch.softmax(self.fc(h), dim=-1)


class FlattenHead(nn.Module):
    def __init__(self, two_d=False):
        super().__init__()
        self.conv = Ops(two_d).conv(9, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 100, 4)

    def forward(self, x):
        x = F.relu(self.conv(x))
        x = x.view(x.size(0), -1)
        return self.fc(x)


class SeedTCN2d(nn.Module):
    """Hand-written deployed form: Conv2d (1,k) TCN, H=2 stacks two devices."""

    def __init__(self):
        super().__init__()
        self.blocks = tcn_blocks(Ops(True), [9, 16, 16, 16], [1, 2, 4])

    def forward(self, x):
        return self.blocks(x)


# --------------------------------------------------------------------------
# Third-party and "real-world style" models (torchaudio modules, computed
# 'same' padding, LSTM).  torchaudio is imported lazily so --list works
# without it.
# --------------------------------------------------------------------------
W2V2_SHAPES = [(8, 10, 5), (8, 3, 2), (8, 2, 2)]   # (channels, kernel, stride)


class W2V2FeatureExtractor(nn.Module):
    """torchaudio 0.13's wav2vec2 FeatureExtractor (the real module, tiny
    config); returns only the features, not the lengths."""

    def __init__(self, norm_mode):
        super().__init__()
        from torchaudio.models.wav2vec2.components import _get_feature_extractor
        self.fe = _get_feature_extractor(norm_mode=norm_mode,
                                         shapes=W2V2_SHAPES, bias=False)

    def forward(self, x):                       # x: [N, T] raw waveform
        features, _ = self.fe(x, None)
        return features                         # [N, frames, C]


class ConformerConv(nn.Module):
    """torchaudio 0.13's conformer _ConvolutionModule (the real module)."""

    def __init__(self):
        super().__init__()
        from torchaudio.models.conformer import _ConvolutionModule
        self.m = _ConvolutionModule(input_dim=16, num_channels=16,
                                    depthwise_kernel_size=7)

    def forward(self, x):                       # x: [N, T, 16]
        return self.m(x)


WAV2LETTER_WIDTH = {250: 8, 2000: 16}


def wav2letter_small():
    """torchaudio.models.Wav2Letter(num_classes=10, input_type="mfcc",
    num_features=13) -- torchaudio's own class and forward() (acoustic model
    + log_softmax(dim=1)) -- with every Conv1d of the acoustic model replaced
    by one of the same kernel/stride/padding but narrower (250 -> 8,
    2000 -> 16 channels): the full-width model is ~23M parameters (~92 MB)."""
    from torchaudio.models import Wav2Letter
    m = Wav2Letter(num_classes=10, input_type="mfcc", num_features=13)
    seq = m.acoustic_model
    for i, c in enumerate(seq):
        if isinstance(c, nn.Conv1d):
            seq[i] = nn.Conv1d(WAV2LETTER_WIDTH.get(c.in_channels, c.in_channels),
                               WAV2LETTER_WIDTH.get(c.out_channels, c.out_channels),
                               c.kernel_size[0], stride=c.stride[0],
                               padding=c.padding[0])
    return m


def same_pad_amount(length, k, stride, dilation):
    """TF-style 'same' padding computed from the runtime length.  Under
    tracing `length` is a 0-dim tensor (x.shape[-1]), so the exporter emits
    Shape/Gather/arithmetic ops feeding the Pad's pads input."""
    if not torch.is_tensor(length):
        length = torch.tensor(length)
    out = torch.div(length + (stride - 1), stride, rounding_mode="floor")
    need = (out - 1) * stride + (k - 1) * dilation + 1 - length
    return torch.clamp(need, min=0)


class SameConv1d(nn.Module):
    def __init__(self, cin, cout, k, stride=1, dilation=1):
        super().__init__()
        self.k, self.stride, self.dilation = k, stride, dilation
        self.conv = nn.Conv1d(cin, cout, k, stride=stride, dilation=dilation)

    def forward(self, x):
        pad = same_pad_amount(x.shape[-1], self.k, self.stride, self.dilation)
        x = F.pad(x, (pad // 2, pad - pad // 2))
        return self.conv(x)


class ResBlock1dSame(nn.Module):
    """ECG-style residual block: same-padded stride-2 conv, BN, ReLU,
    same-padded conv, BN; skip = MaxPool1d(2, ceil) + 1x1 conv."""

    def __init__(self, cin, cout, k=5, stride=2):
        super().__init__()
        self.c1 = SameConv1d(cin, cout, k, stride=stride)
        self.bn1 = nn.BatchNorm1d(cout)
        self.c2 = SameConv1d(cout, cout, k)
        self.bn2 = nn.BatchNorm1d(cout)
        self.pool = nn.MaxPool1d(stride, ceil_mode=True)
        self.skip = nn.Conv1d(cin, cout, 1)

    def forward(self, x):
        h = F.relu(self.bn1(self.c1(x)))
        h = self.bn2(self.c2(h))
        return F.relu(h + self.skip(self.pool(x)))


class ResNet1dSame(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = SameConv1d(1, 8, 7)
        self.bn = nn.BatchNorm1d(8)
        self.blocks = nn.Sequential(ResBlock1dSame(8, 8), ResBlock1dSame(8, 8))
        self.head = nn.Conv1d(8, 4, 1)

    def forward(self, x):                       # x: [N, 1, T]
        x = F.relu(self.bn(self.stem(x)))
        return self.head(self.blocks(x))        # [N, 4, ceil(ceil(T/2)/2)]


class LSTMTCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(8, 8, 3, padding=1)
        self.c2 = nn.Conv1d(8, 8, 3, padding=2, dilation=2)
        self.lstm = nn.LSTM(8, 8, batch_first=True)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):                       # x: [N, 8, T]
        x = F.relu(self.c1(x))
        x = F.relu(self.c2(x))
        h, _ = self.lstm(x.transpose(1, 2))     # [N, T, 8]
        return self.fc(h)                       # [N, T, 4]


class GatedLSTM(nn.Module):
    """Voice-activity-style gate: a Conv1d front end, then an LSTM over time
    only when the frame energy is above a threshold, else a 1x1 Conv1d.
    Scripted (torch.jit.script), as such models are exported, so the branch
    stays an ONNX If with the LSTM inside then_branch."""
    THRESHOLD = 0.225   # data set 0: mean 0.243 (then), data set 1: 0.209 (else)

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(8, 8, 3, padding=1)
        self.lstm = nn.LSTM(8, 8, batch_first=True)
        self.skip = nn.Conv1d(8, 8, 1)
        self.threshold = GatedLSTM.THRESHOLD

    def forward(self, x):                       # x: [N, 8, T]
        h = torch.relu(self.conv(x))
        if bool(h.mean() > self.threshold):
            y, _ = self.lstm(h.transpose(1, 2))
            y = y.transpose(1, 2)               # [N, 8, T]
        else:
            y = self.skip(h)
        return y


def gated_lstm():
    return torch.jit.script(GatedLSTM())


# --------------------------------------------------------------------------
# Fixture specifications
# --------------------------------------------------------------------------
Spec = collections.namedtuple(
    "Spec", "name opset build seed input_shapes dynamic_axes out_dynamic_axes "
            "folding description base")

BT = {0: "batch", 2: "time"}
B = {0: "batch"}

SPECS = [
    Spec("tcn_residual", 13, TCNResidual, 1, [(1, 9, 100)], BT, B, True,
         "Dilated Conv1d TCN (k=3, d=1/2/4, BN, ReLU, residual Add, 1x1 skip conv "
         "9->16) + mean(-1) + Linear(16,5) head; dynamic batch/time.", None),
    Spec("tcn_encoder", 13, TCNEncoder, 2, [(1, 9, 100), (2, 9, 100)], BT, BT, True,
         "Fully convolutional dilated Conv1d TCN 9->16->16->16 + 1x1 Conv1d, "
         "output [N,16,T]; two data sets (batch 1 and 2) to exercise dynamic axes.",
         None),
    Spec("depthwise_tcn", 11, DepthwiseTCN, 3, [(1, 8, 100)], None, None, True,
         "Depthwise-separable Conv1d (k=5 stride 2 depthwise, pointwise, MaxPool1d, "
         "depthwise with channel multiplier 2, AvgPool1d ceil_mode on odd length "
         "25->13 (exporter adds a zero Pad), pointwise); static, opset 11.", None),
    Spec("grouped_conv2d", 13, GroupedConv2d, 4, [(1, 8, 2, 100)], None, None, True,
         "Native Conv2d with (1,k) kernels: grouped (groups=4), depthwise dilated "
         "(1,5)/(1,2), 1x1; static [1,8,2,100].", None),
    Spec("causal_tcn", 13, CausalTCN, 5, [(1, 9, 100)], BT, BT, False,
         "Causal convs: F.pad(x,(2,0))+Conv1d, and Conv1d(padding=4,d=2)+chomp "
         "Slice; dynamic axes, no constant folding so the Pad's pads come from a "
         "ConstantOfShape/Concat/Reshape/Slice/Transpose/Cast chain.", None),
    Spec("convtranspose_decoder", 13, ConvTransposeDecoder, 6, [(1, 8, 50)],
         None, None, True,
         "Conv1d stride 2 down, ConvTranspose1d(16,8,4,s2,p1), grouped "
         "ConvTranspose1d(8,4,3,s2,p1,output_padding=1,groups=2); [1,8,50]->[1,4,100].",
         None),
    Spec("attention_opset17", 17, Attention, 7, [(1, 20, 16)], None, None, True,
         "Pre-LN single-head self-attention block over [N,T,C]=[1,20,16] + mean "
         "over T + Linear + softmax; opset 17 -> LayerNormalization node. Same "
         "weights as attention_opset13.", None),
    Spec("attention_opset13", 13, Attention, 7, [(1, 20, 16)], None, None, True,
         "Same model/weights as attention_opset17 exported at opset 13: LayerNorm "
         "decomposed into ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add.", None),
    Spec("flatten_head", 13, FlattenHead, 8, [(1, 9, 100)], B, B, False,
         "Conv1d + ReLU + x.view(x.size(0),-1) + Linear(800,4); dynamic batch only, "
         "no constant folding so Shape/Gather/Unsqueeze/Concat/Reshape remain.", None),
    Spec("seed_tcn2d", 13, SeedTCN2d, 9, [(1, 9, 2, 100)], None, None, True,
         "Users' hand-written deployed form: Conv2d (1,3) TCN with BN2d, ReLU, "
         "residual Adds, static [1,9,2,100] -> [1,16,2,100] (H=2 = two devices).",
         None),
]

LIFTED = ["tcn_residual", "tcn_encoder", "depthwise_tcn", "causal_tcn",
          "convtranspose_decoder", "flatten_head"]


def _lift_axes(axes):
    if axes is None:
        return None
    return {(a + 1 if a >= 2 else a): n for a, n in axes.items()}


_by_name = {s.name: s for s in SPECS}
for _n in LIFTED:
    _s = _by_name[_n]
    SPECS.append(_s._replace(
        name=_n + "_2d",
        input_shapes=[sh[:2] + (1,) + sh[2:] for sh in _s.input_shapes],
        dynamic_axes=_lift_axes(_s.dynamic_axes),
        out_dynamic_axes=_lift_axes(_s.out_dynamic_axes),
        description="Lifted 2-D twin of %s: same network with Conv2d/"
                    "ConvTranspose2d/BatchNorm2d/pools on [N,C,1,T], (1,k) "
                    "kernels, weights unsqueezed at axis 2; same input values "
                    "unsqueezed at axis 2; output equals %s's (<=1e-5)."
                    % (_n, _n),
        base=_n))
SPEC_BY_NAME = {s.name: s for s in SPECS}

# Models whose exported graph.value_info is deleted after export (many
# exporters write none; rank/shape analysis must cope without it).  torch
# 1.13's exporter in fact writes no value_info for these graphs, so this
# only guarantees the property; info.json records how many were removed.
STRIP_VALUE_INFO = set()
_n_before = len(SPECS)

BTIME = {0: "batch", 1: "time"}
_W2V2_DESC = {
    "group_norm": "GroupNorm(8 groups, affine) after the first conv only "
                  "(exported as Reshape/InstanceNormalization/Reshape/Mul/Add)",
    "layer_norm": "torchaudio's transposing LayerNorm after every conv "
                  "(Transpose/LayerNorm/Transpose)",
}
for _mode in ("group_norm", "layer_norm"):
    for _op in (11, 13, 17):
        _n = "w2v2_fe_%s_op%d" % (_mode.split("_")[0], _op)
        SPECS.append(Spec(
            _n, _op, (lambda m=_mode: W2V2FeatureExtractor(m)), 20,
            [(1, 400), (2, 320)], BTIME, {0: "batch", 1: "frames"}, True,
            "torchaudio 0.13 wav2vec2 FeatureExtractor (real module, "
            "_get_feature_extractor(norm_mode=\"%s\", shapes=%s, bias=False)): "
            "x [N,T] raw waveform -> Unsqueeze, 3 x (Conv1d k10/s5, k3/s2, k2/s2 "
            "-> GELU as Erf), %s; output y [N,frames,8] (lengths dropped); "
            "dynamic batch/time; no value_info (stripped; torch 1.13 wrote none)."
            % (_mode, W2V2_SHAPES, _W2V2_DESC[_mode]), None))
        STRIP_VALUE_INFO.add(_n)
for _op in (11, 13, 17):
    _n = "conformer_conv_op%d" % _op
    SPECS.append(Spec(
        _n, _op, ConformerConv, 21, [(1, 50, 16), (2, 37, 16)], BTIME, BTIME,
        True,
        "torchaudio 0.13 conformer _ConvolutionModule (real module, input_dim=16, "
        "num_channels=16, depthwise_kernel_size=7): LayerNorm over [N,T,16] (%s), "
        "Transpose, 1x1 Conv1d 16->32, GLU(dim=1) (Split/Sigmoid/Mul), depthwise "
        "Conv1d k7 p3 (BatchNorm1d folded into it by the exporter), SiLU "
        "(Sigmoid/Mul), 1x1 Conv1d, Transpose; dynamic batch/time; no value_info "
        "(stripped; torch 1.13 wrote none)."
        % ("LayerNormalization node" if _op >= 17 else
           "decomposed ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add"), None))
    STRIP_VALUE_INFO.add(_n)
SPECS.append(Spec(
    "wav2letter_op11", 11, wav2letter_small, 22, [(1, 13, 100)], BT,
    {0: "batch", 2: "frames"}, True,
    "torchaudio 0.13 Wav2Letter(num_classes=10, input_type=\"mfcc\", "
    "num_features=13) (torchaudio's class and forward) with its Conv1d widths "
    "shrunk (250->8, 2000->16; same kernels 48/7/32/1, stride 2 first conv, "
    "paddings): 11 Conv1d+ReLU, then log_softmax(dim=1), which opset 11 exports "
    "as Transpose -> LogSoftmax(axis=-1) -> Transpose; dynamic batch/time; "
    "value_info not stripped (torch 1.13 writes none for it either).", None))
for _op in (11, 13):
    _n = "resnet1d_same_op%d" % _op
    SPECS.append(Spec(
        _n, _op, ResNet1dSame, 23, [(1, 1, 100), (2, 1, 77)], BT,
        {0: "batch", 2: "frames"}, True,
        "ECG-style 1-D ResNet (stem Conv1d k7 + 2 residual blocks, 8 channels, "
        "stride-2 k5 convs, MaxPool1d(2,ceil)+1x1 skip, BN folded) whose 'same' "
        "padding is computed in forward() from x.shape[-1] "
        "(pad=max((ceil(L/s)-1)*s+(k-1)*d+1-L,0), F.pad(x,(pad//2,pad-pad//2))): "
        "all 5 Pads' pads are computed at run time: Shape/Gather, floor division "
        "as Div/Mod/Where/Less/Xor/..., Sub/Clip, then torch's F.pad list chain "
        "ConstantOfShape/Concat/Reshape/Slice/Transpose/Cast; dynamic "
        "batch/time; second data set has odd length 77.", None))
SPECS.append(Spec(
    "lstm_tcn_op13", 13, LSTMTCN, 24, [(1, 8, 50), (2, 8, 31)], BT,
    BTIME, True,
    "Conv1d k3 + Conv1d k3 d2 (ReLU) -> Transpose -> nn.LSTM(8, hidden 8, "
    "batch_first) over time -> Linear(8,4) per step; output [N,T,4]; dynamic "
    "batch/time (initial states built from Shape).", None))
SPECS.append(Spec(
    "gated_lstm_op13", 13, gated_lstm, 25, [(1, 8, 50), (2, 8, 31)], BT,
    BT, True,
    "Scripted (torch.jit.script) gate: Conv1d k3 + ReLU, then `if mean(h) > "
    "0.225`: Transpose -> nn.LSTM(8, hidden 8, batch_first) -> Transpose, else "
    "a 1x1 Conv1d; exported as an If whose then_branch holds the LSTM (and the "
    "scripted LSTM's weight Slice/Concat and Shape/Gather/Expand state "
    "plumbing); data set 0 takes then_branch, data set 1 else_branch; "
    "dynamic batch/time.", None))
# info.json of these records whether value_info was kept (older fixtures'
# info.json predates the field and stays byte-identical).
RECORD_VALUE_INFO = {s.name for s in SPECS[_n_before:]}
SPEC_BY_NAME = {s.name: s for s in SPECS}


# --------------------------------------------------------------------------
# Building, initialisation, twins
# --------------------------------------------------------------------------
def randomize_norms(model, seed):
    """Give BatchNorm/LayerNorm non-trivial parameters and statistics."""
    g = torch.Generator().manual_seed(seed + 5000)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                c = m.num_features
                m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                m.bias.copy_(torch.randn(c, generator=g) * 0.2)
                m.running_mean.copy_(torch.randn(c, generator=g) * 0.5)
                m.running_var.copy_(torch.rand(c, generator=g) * 1.5 + 0.5)
            elif isinstance(m, (nn.LayerNorm, nn.GroupNorm)):
                shape = m.weight.shape
                m.weight.copy_(torch.rand(shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(shape, generator=g) * 0.2)


def build_base(spec):
    torch.manual_seed(spec.seed)
    model = spec.build()
    randomize_norms(model, spec.seed)
    return model.eval()


def make_twin(base_spec, base_model):
    torch.manual_seed(base_spec.seed)
    twin = base_spec.build(two_d=True)
    src = base_model.state_dict()
    dst = twin.state_dict()
    assert src.keys() == dst.keys(), (src.keys(), dst.keys())
    new = {}
    for k, v in src.items():
        if dst[k].dim() == v.dim() + 1:
            v = v.unsqueeze(2)
        assert dst[k].shape == v.shape, (k, dst[k].shape, v.shape)
        new[k] = v.clone()
    twin.load_state_dict(new, strict=True)
    return twin.eval()


def make_inputs(spec):
    """Deterministic inputs; a twin gets its base's inputs unsqueezed at 2."""
    src = SPEC_BY_NAME[spec.base] if spec.base else spec
    xs = []
    for i, shape in enumerate(src.input_shapes):
        g = torch.Generator().manual_seed(src.seed * 100 + i + 12345)
        x = torch.randn(shape, generator=g)
        xs.append(x.unsqueeze(2) if spec.base else x)
    return xs


def build(spec, cache):
    if spec.name in cache:
        return cache[spec.name]
    if spec.base:
        base_spec = SPEC_BY_NAME[spec.base]
        base = build(base_spec, cache)
        model = make_twin(base_spec, base)
        # check: twin(x[:, :, None]) == base(x) (unsqueezed if time axis)
        with torch.no_grad():
            for xb, xt in zip(make_inputs(base_spec), make_inputs(spec)):
                assert torch.equal(xt, xb.unsqueeze(2))
                yb, yt = base(xb), model(xt)
                if yb.dim() >= 3:
                    yb = yb.unsqueeze(2)
                assert yb.shape == yt.shape, (spec.name, yb.shape, yt.shape)
                diff = (yb - yt).abs().max().item()
                assert diff <= TWIN_TOL, (spec.name, diff)
                print("  twin check %-26s %s max|diff| = %.3g"
                      % (spec.name, tuple(xt.shape), diff))
    else:
        model = build_base(spec)
    cache[spec.name] = model
    return model


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------
def dim_list(value_info):
    out = []
    for d in value_info.type.tensor_type.shape.dim:
        out.append(d.dim_param if d.HasField("dim_param") else d.dim_value)
    return out


def write_tensor(path, array, name):
    t = numpy_helper.from_array(np.ascontiguousarray(array), name)
    with open(path, "wb") as f:
        f.write(t.SerializeToString())


def export(spec, model, out_dir):
    d = os.path.join(out_dir, spec.name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    path = os.path.join(d, "model.onnx")
    xs = make_inputs(spec)

    dyn = {}
    if spec.dynamic_axes:
        dyn["x"] = dict(spec.dynamic_axes)
    if spec.out_dynamic_axes:
        dyn["y"] = dict(spec.out_dynamic_axes)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (xs[0],), path, opset_version=spec.opset,
                          input_names=["x"], output_names=["y"],
                          dynamic_axes=dyn or None,
                          do_constant_folding=spec.folding)

    m = onnx.load(path)
    onnx.checker.check_model(m)
    value_info_removed = None
    if spec.name in STRIP_VALUE_INFO:
        value_info_removed = len(m.graph.value_info)
        del m.graph.value_info[:]
        onnx.save(m, path)
        m = onnx.load(path)
        assert len(m.graph.value_info) == 0
        onnx.checker.check_model(m)
    inits = {i.name for i in m.graph.initializer}
    g_inputs = [i for i in m.graph.input if i.name not in inits]
    g_outputs = list(m.graph.output)
    assert [i.name for i in g_inputs] == ["x"], [i.name for i in g_inputs]
    assert [o.name for o in g_outputs] == ["y"], [o.name for o in g_outputs]

    data_sets = []
    with torch.no_grad():
        for i, x in enumerate(xs):
            y = model(x)
            ds = os.path.join(d, "test_data_set_%d" % i)
            os.makedirs(ds)
            write_tensor(os.path.join(ds, "input_0.pb"), x.numpy(),
                         g_inputs[0].name)
            write_tensor(os.path.join(ds, "output_0.pb"), y.numpy(),
                         g_outputs[0].name)
            data_sets.append({"name": "test_data_set_%d" % i,
                              "inputs": {g_inputs[0].name: list(x.shape)},
                              "outputs": {g_outputs[0].name: list(y.shape)}})

    op_counts = collections.Counter(n.op_type for n in m.graph.node)
    info = {
        "name": spec.name,
        "description": spec.description,
        "opset": spec.opset,
        "do_constant_folding": spec.folding,
        "seed": spec.seed,
        "inputs": [{"name": i.name, "shape": data_sets[0]["inputs"][i.name],
                    "onnx_shape": dim_list(i)} for i in g_inputs],
        "outputs": [{"name": o.name, "shape": data_sets[0]["outputs"][o.name],
                     "onnx_shape": dim_list(o)} for o in g_outputs],
        "dynamic_axes": {k: {str(a): n for a, n in v.items()}
                         for k, v in dyn.items() if k == "x"},
        "output_dynamic_axes": {k: {str(a): n for a, n in v.items()}
                                for k, v in dyn.items() if k == "y"},
        "test_data_sets": data_sets,
        "num_nodes": len(m.graph.node),
        "op_types": dict(sorted(op_counts.items())),
        "torch_version": torch.__version__,
    }
    if spec.name in STRIP_VALUE_INFO:
        info["value_info_stripped"] = True
        info["value_info_entries_removed"] = value_info_removed
    elif spec.name in RECORD_VALUE_INFO:
        info["value_info_stripped"] = False
        info["value_info_entries"] = len(m.graph.value_info)
    if spec.base:
        info["lifted_from"] = spec.base
    if spec.name + "_2d" in SPEC_BY_NAME:
        info["lifted_twin"] = spec.name + "_2d"
    if spec.name.startswith("attention_opset"):
        info["same_weights_as"] = ("attention_opset13" if spec.opset == 17
                                   else "attention_opset17")
    with open(os.path.join(d, "info.json"), "w") as f:
        json.dump(info, f, indent=2, sort_keys=True)
        f.write("\n")
    return m


# --------------------------------------------------------------------------
# Structural checks of the exported graphs
# --------------------------------------------------------------------------
def producers(m):
    return {o: n for n in m.graph.node for o in n.output}


def upstream_ops(m, tensor):
    """Op types of the nodes that (transitively) compute `tensor`."""
    prod = producers(m)
    seen, stack, ops = set(), [tensor], []
    while stack:
        t = stack.pop()
        n = prod.get(t)
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        ops.append(n.op_type)
        stack.extend(n.input)
    return collections.Counter(ops)


def ops_of(m):
    return {n.op_type for n in m.graph.node}


def check_structure(name, m):
    """Assert the properties a fixture exists for; return lines to report."""
    lines = []
    ops = ops_of(m)
    inits = {i.name for i in m.graph.initializer}
    if name.startswith("causal_tcn"):
        pads = [n for n in m.graph.node if n.op_type == "Pad"]
        assert pads, "no Pad"
        chain_ops = {"ConstantOfShape", "Concat", "Reshape", "Slice",
                     "Transpose", "Cast"}
        for p in pads:
            assert p.input[1] not in inits, "pads is an initializer"
            up = upstream_ops(m, p.input[1])
            assert chain_ops <= set(up), (chain_ops - set(up))
            lines.append("%s: Pad %s pads <- %s" % (
                name, p.name, ", ".join("%s x%d" % kv for kv in sorted(up.items()))))
    if name.startswith("flatten_head"):
        need = {"Shape", "Gather", "Unsqueeze", "Concat", "Reshape"}
        assert need <= ops, need - ops
    if name == "attention_opset17":
        assert "LayerNormalization" in ops
    if name == "attention_opset13":
        assert "LayerNormalization" not in ops
        need = {"ReduceMean", "Sub", "Pow", "Add", "Sqrt", "Div", "Mul"}
        assert need <= ops, need - ops
    if name in STRIP_VALUE_INFO:
        assert len(m.graph.value_info) == 0
    if name.startswith("w2v2_fe_"):
        opset = SPEC_BY_NAME[name].opset
        need = {"Unsqueeze", "Conv", "Erf", "Transpose"}
        if "_group_" in name:
            need |= {"InstanceNormalization", "Reshape"}
        elif opset >= 17:
            need |= {"LayerNormalization"}
        else:
            need |= {"ReduceMean", "Sub", "Pow", "Sqrt", "Div"}
        assert need <= ops, (name, need - ops)
        convs = [n for n in m.graph.node if n.op_type == "Conv"]
        assert len(convs) == len(W2V2_SHAPES), len(convs)
    if name.startswith("conformer_conv_"):
        opset = SPEC_BY_NAME[name].opset
        need = {"Conv", "Split", "Sigmoid", "Mul", "Transpose"}
        need |= ({"LayerNormalization"} if opset >= 17 else
                 {"ReduceMean", "Sub", "Pow", "Sqrt", "Div"})
        assert need <= ops, (name, need - ops)
        groups = [a.i for n in m.graph.node if n.op_type == "Conv"
                  for a in n.attribute if a.name == "group"]
        assert 16 in groups, groups                     # depthwise conv
    if name == "wav2letter_op11":
        ls = [n for n in m.graph.node if n.op_type == "LogSoftmax"]
        assert len(ls) == 1
        prod = producers(m)
        assert prod[ls[0].input[0]].op_type == "Transpose"
        cons = [n for n in m.graph.node if ls[0].output[0] in n.input]
        assert [n.op_type for n in cons] == ["Transpose"], cons
        lines.append("%s: Transpose -> LogSoftmax -> Transpose, %d value_info "
                     "as exported" % (name, len(m.graph.value_info)))
    if name.startswith("resnet1d_same_"):
        pads = [n for n in m.graph.node if n.op_type == "Pad"]
        assert len(pads) >= 5, len(pads)
        for p in pads:
            if p.input[1] in inits:
                continue            # MaxPool ceil_mode pads are not ours
            up = upstream_ops(m, p.input[1])
            need = {"Shape", "Gather", "Div", "Mod", "Clip", "Sub",
                    "ConstantOfShape", "Concat", "Reshape", "Slice"}
            assert need <= set(up), (p.name, need - set(up))
        computed = [p for p in pads if p.input[1] not in inits
                    and "Shape" in upstream_ops(m, p.input[1])]
        assert len(computed) == 5, len(computed)
        up = upstream_ops(m, computed[0].input[1])
        lines.append("%s: %d Pads with computed pads, first <- %s" % (
            name, len(computed),
            ", ".join("%s x%d" % kv for kv in sorted(up.items()))))
    if name == "lstm_tcn_op13":
        need = {"Conv", "LSTM", "Transpose", "MatMul"}
        assert need <= ops, need - ops
    if name == "gated_lstm_op13":
        ifs = [n for n in m.graph.node if n.op_type == "If"]
        assert len(ifs) == 1, ifs
        then = [a.g for a in ifs[0].attribute if a.name == "then_branch"][0]
        assert "LSTM" in {n.op_type for n in then.node}
        assert "LSTM" not in ops
        lines.append("%s: If with %d nodes in then_branch (LSTM inside)"
                     % (name, len(then.node)))
    return lines


def dir_bytes(d):
    return sum(os.path.getsize(os.path.join(r, f))
               for r, _, fs in os.walk(d) for f in fs)


def write_readme(out_dir):
    lines = [
        "# ONNX test fixtures",
        "",
        "Generated by `utils/export_fixtures.py` (do not edit by hand; re-run",
        "`/usr/bin/python3 utils/export_fixtures.py` to regenerate -- output is",
        "deterministic).  Each directory holds `model.onnx` (exported with",
        "torch.onnx.export, graph input `x`, output `y`), ONNX test-data sets",
        "`test_data_set_<i>/input_0.pb` / `output_0.pb` (serialized TensorProto",
        "with PyTorch's own outputs) and `info.json` (opset, concrete and",
        "symbolic shapes, dynamic axes, op types, lifted-twin links).",
        "",
        "`*_2d` fixtures are lifted twins: the same network and weights written",
        "with 2-D modules and (1,k) kernels on `[N,C,1,T]`; their input is the",
        "original input unsqueezed at axis 2, and their output was checked in",
        "PyTorch to equal the original output (unsqueezed at axis 2 when it has",
        "a time axis) to 1e-5.  They are the reference for what 1-D->2-D lifting",
        "must produce.",
        "",
        "Note: torch.onnx.export in eval mode (TrainingMode.EVAL) folds every",
        "BatchNorm that follows a Conv into the Conv weights, so the graphs",
        "contain no BatchNormalization nodes -- exactly what users' exports look",
        "like.  BN parameters/running stats are random, so the folding is not an",
        "identity.  All weights are random (fixed seeds), not trained.",
        "",
        "`w2v2_fe_*`, `conformer_conv_*` and `wav2letter_op11` are torchaudio",
        "0.13's own modules (tiny configurations; Wav2Letter with its Conv1d",
        "widths shrunk, see below), exported as users export them.  For",
        "`w2v2_fe_*` and `conformer_conv_*` the script deletes",
        "`graph.value_info` after export (`\"value_info_stripped\": true` in",
        "info.json): rank/shape analysis must work without it.  torch 1.13's",
        "exporter in fact writes no intermediate value_info for any fixture",
        "here, so the deletion only guarantees the property",
        "(`value_info_entries_removed` is 0).  Fixtures with two data sets use",
        "a second batch size and length to exercise the dynamic axes.",
        "",
        "| fixture | opset | contents / why |",
        "|---|---|---|",
    ]
    for s in SPECS:
        lines.append("| `%s` | %d | %s |" % (s.name, s.opset, s.description))
    # opset-18 imitations of current exporters (utils/export_modern_fixtures.py)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import export_modern_fixtures as modern
    for name, opset, desc in modern.readme_rows():
        lines.append("| `%s` | %d | %s |" % (name, opset, desc))
    lines += [""] + modern.README_HEADER
    path = os.path.join(out_dir, "README.md")
    # export_recurrent_fixtures.py owns the section between its markers.
    kept = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
        begin = old.find("<!-- export_recurrent_fixtures.py: begin -->")
        if begin >= 0:
            kept = "\n" + old[begin:]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n" + kept)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--only", nargs="+", metavar="NAME")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args(argv)

    if args.list:
        print("\n".join(s.name for s in SPECS))
        return 0
    names = args.only or [s.name for s in SPECS]
    unknown = [n for n in names if n not in SPEC_BY_NAME]
    if unknown:
        ap.error("unknown fixture(s): %s" % ", ".join(unknown))

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)

    cache, rows, notes = {}, [], []
    for s in SPECS:
        if s.name not in names:
            continue
        print("exporting %s" % s.name)
        model = build(s, cache)
        m = export(s, model, args.out)
        notes += check_structure(s.name, m)
        ops = sorted(ops_of(m))
        rows.append((s.name, s.opset, len(m.graph.node), ops,
                     os.path.getsize(os.path.join(args.out, s.name, "model.onnx")),
                     dir_bytes(os.path.join(args.out, s.name))))
    write_readme(args.out)

    print()
    print("%-28s %5s %5s %9s %9s  %s" % ("name", "opset", "nodes", "onnx B",
                                         "dir B", "op types"))
    for name, opset, n, ops, b, db in rows:
        print("%-28s %5d %5d %9d %9d  %s" % (name, opset, n, b, db, " ".join(ops)))
    print()
    for line in notes:
        print(line)
    print("total size of %s: %d bytes" % (args.out, dir_bytes(args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
