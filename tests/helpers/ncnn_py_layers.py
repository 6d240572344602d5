"""NumPy versions of the Zipformer custom layers for the `ncnn` Python package, so the
PyPI ncnn build can run the same graphs as an independent reference for ncasr's core."""

from __future__ import annotations

import ncnn
import numpy as np

_alive = []  # ncnn keeps raw pointers to Python layers: keep them referenced


def _set(top, array) -> None:
    """Write array into the output Mat in place (allocating it with ncnn's own allocator),
    so the blob never points at memory Python may free."""
    a = np.ascontiguousarray(array, dtype=np.float32)
    if a.ndim == 1:
        top.create(a.shape[0])
    elif a.ndim == 2:
        top.create(a.shape[1], a.shape[0])
    else:
        top.create(a.shape[2], a.shape[1], a.shape[0])
    np.copyto(top.numpy(), a)


class SherpaMetaData(ncnn.Layer):
    def __init__(self):
        super().__init__()
        self.one_blob_only = False


class PoolingModuleNoProj(ncnn.Layer):
    def __init__(self):
        super().__init__()
        self.one_blob_only = False
        self.support_inplace = False

    def forward(self, bottoms, tops, opt):
        x = bottoms[0].numpy().astype(np.float64)  # (T, C)
        n = float(bottoms[1].numpy().reshape(-1)[0])
        avg = bottoms[2].numpy().reshape(-1).astype(np.float64)
        t = np.arange(1, x.shape[0] + 1, dtype=np.float64)[:, None]
        y = (np.cumsum(x, axis=0) + n * avg) / (n + t)
        _set(tops[0], y)
        _set(tops[1], np.array([n + x.shape[0]]))
        _set(tops[2], y[-1:].reshape(bottoms[2].numpy().shape))
        return 0


class TensorAsStrided(ncnn.Layer):
    def __init__(self):
        super().__init__()
        self.one_blob_only = True

    def load_param(self, pd):
        self.sizes = [int(v) for v in pd.get(0, ncnn.Mat()).numpy().view(np.int32)]
        self.strides = [int(v) for v in pd.get(1, ncnn.Mat()).numpy().view(np.int32)]
        self.offset = pd.get(2, 0)
        return 0

    def forward(self, bottom, top, opt):
        flat = bottom.numpy().reshape(-1)
        y = np.lib.stride_tricks.as_strided(
            flat[self.offset :], shape=self.sizes, strides=[s * flat.itemsize for s in self.strides]
        )
        _set(top, y)
        return 0


class SimpleUpsample(ncnn.Layer):
    def __init__(self):
        super().__init__()
        self.one_blob_only = True

    def load_param(self, pd):
        self.upsample = pd.get(0, 0)
        self.channels = pd.get(1, 0)
        return 0

    def load_model(self, mb):
        flat = mb.load(self.channels * self.upsample, 0).numpy().copy()
        self.bias = flat.reshape(self.upsample, self.channels)
        return 0

    def forward(self, bottom, top, opt):
        x = bottom.numpy()  # (T, C)
        y = x[:, None, :] + self.bias[None, :, :]
        _set(top, y.reshape(-1, x.shape[1]))
        return 0


class Stack(ncnn.Layer):
    def __init__(self):
        super().__init__()
        self.one_blob_only = False

    def forward(self, bottoms, tops, opt):
        _set(tops[0], np.stack([b.numpy() for b in bottoms], axis=0))
        return 0


def register(net: "ncnn.Net") -> None:
    for cls in (SherpaMetaData, PoolingModuleNoProj, TensorAsStrided, SimpleUpsample, Stack):

        def create(cls=cls):
            layer = cls()
            _alive.append(layer)
            return layer

        def destroy(layer):
            pass

        net.register_custom_layer(cls.__name__, create, destroy)
