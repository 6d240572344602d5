#pragma once
// Rewrites of a parsed ncnn graph that replace a chain of small layers pnnx writes for one
// icefall module by one ncasr layer (fewer graph steps, memory passes and copies). Only
// chains of weightless layers are fused, so the .bin is read exactly as before; a chain is
// fused only when its intermediate blobs have no consumer outside it.
#include "model/param_file.h"

namespace ncasr {

// Split(x) -> a, b;  s = BinaryOp(a - 1);  g = Sigmoid(s);  y = BinaryOp(b * g)
//   => y = NcasrDoubleSwish(x)          (Zipformer's DoubleSwish, x * sigmoid(x - 1))
// Returns the number of chains fused.
int fuse_double_swish(ParamFile* pf);

// Split(x) -> a, b, c;  q = BinaryOp(a * b);  m = Reduction(mean of q over w, keepdims);
// e = BinaryOp(m + eps);  s = BinaryOp(e ^ -0.5);  y = BinaryOp(c * s)
//   => y = NcasrBasicNorm(x) with 0=eps 1=axis   (icefall's BasicNorm over the last axis;
//      the Reduction's axis is -1, or 1 or 2 where pnnx wrote the last axis's index)
// Returns the number of chains fused.
int fuse_basic_norm(ParamFile* pf);

}  // namespace ncasr
