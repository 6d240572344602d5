"""Independent encoder run with the `ncnn` Python package (PyPI), for checking ncasr's core."""

from __future__ import annotations

from pathlib import Path
from typing import List

import ncnn
import numpy as np

from .ncnn_py_layers import register


def initial_states(model_type: str, raw: dict) -> List[np.ndarray]:
    """Zero states as numpy arrays in ncnn's (c, h, w) order, from the metadata."""
    if model_type == "lstm":
        layers, dim, hidden = raw[1], raw[2], raw[3]
        return [np.zeros((layers, dim)), np.zeros((layers, hidden))]
    if model_type == "conv_emformer":
        layers, memory, kernel, left, d = raw[1], raw[2], raw[3], raw[4], raw[7]
        out = []
        for _ in range(layers):
            out += [np.zeros((memory, d)), np.zeros((left, d)), np.zeros((left, d)), np.zeros((d, kernel - 1))]
        return out
    chunk, left_chunks = raw[1], raw[2]
    groups = [[] for _ in range(7)]
    for L, D, A, ds, k in zip(raw[16], raw[17], raw[18], raw[19], raw[20]):
        lc = chunk // 2 * left_chunks // ds
        groups[0].append(np.zeros((L,)))
        groups[1].append(np.zeros((L, D)))
        groups[2].append(np.zeros((L, lc, A)))
        groups[3].append(np.zeros((L, lc, A // 2)))
        groups[4].append(np.zeros((L, lc, A // 2)))
        groups[5].append(np.zeros((L, D, k - 1)))
        groups[6].append(np.zeros((L, D, k - 1)))
    return [s for g in groups for s in g]


def segment_offset(model_type: str, raw: dict):
    if model_type == "lstm":
        return 9, 4
    if model_type == "conv_emformer":
        return raw[5] + raw[6] + 11, raw[5]
    return raw[1] + raw[3], raw[1]


def encode_chunks(model_dir: Path, model_type: str, raw: dict, feats: np.ndarray) -> List[np.ndarray]:
    net = ncnn.Net()
    net.opt.use_vulkan_compute = False
    net.opt.use_fp16_storage = False
    net.opt.use_fp16_arithmetic = False
    net.opt.use_fp16_packed = False
    net.opt.num_threads = 1
    register(net)
    d = Path(model_dir)
    assert net.load_param(str(d / "encoder_jit_trace-pnnx.ncnn.param")) == 0
    assert net.load_model(str(d / "encoder_jit_trace-pnnx.ncnn.bin")) == 0
    states = initial_states(model_type, raw)
    segment, offset = segment_offset(model_type, raw)
    n_states = len(states)
    extra = 1 if model_type == "lstm" else 0
    outs = []
    for start in range(0, feats.shape[0] - segment + 1, offset):
        ex = net.create_extractor()
        # ncnn.Mat(array) borrows the array's memory: keep every input alive until extract.
        inputs = [np.ascontiguousarray(feats[start : start + segment], np.float32)]
        if extra:
            inputs.append(np.array([segment], np.float32))
        inputs += [np.ascontiguousarray(s, np.float32) for s in states]
        for i, a in enumerate(inputs):
            ex.input(f"in{i}", ncnn.Mat(a))
        ret, out = ex.extract("out0")
        assert ret == 0
        outs.append(out.numpy().copy())
        new_states = []
        for i in range(n_states):
            ret, s = ex.extract(f"out{1 + extra + i}")
            assert ret == 0
            new_states.append(s.numpy().copy().reshape(states[i].shape))
        states = new_states
    return outs
