#include "graph/graph_fusions.h"

#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "model/layers/compat/custom_layers.h"

namespace ncasr {
namespace {

bool float_param_is(const ParamLayer& l, const char* key, double value) {
  const std::string v = l.param(key);
  char* end = nullptr;
  return !v.empty() && std::strtod(v.c_str(), &end) == value && end && *end == '\0';
}

// A param as ncnn reads it: absent means the layer's default. pnnx writes BinaryOp's 0=0,
// ncnn's ModelWriter (ncnn2int8, ncnnoptimize) leaves defaults out.
std::string param_or(const ParamLayer& l, const char* key, const char* fallback) {
  const std::string v = l.param(key);
  return v.empty() ? fallback : v;
}

bool is_scalar_op(const ParamLayer& l, const char* op) {  // BinaryOp with a scalar operand
  return l.type == "BinaryOp" && l.bottoms.size() == 1 && l.tops.size() == 1 && param_or(l, "0", "0") == op &&
         l.param("1") == "1";
}

bool is_binary_mul(const ParamLayer& l) {  // BinaryOp multiplying two blobs
  return l.type == "BinaryOp" && l.bottoms.size() == 2 && l.tops.size() == 1 && l.param("0") == "2" &&
         (l.param("1").empty() || l.param("1") == "0");
}

// Who reads each blob, and which layers a fusion removes.
class Rewrite {
 public:
  explicit Rewrite(ParamFile* pf) : pf_(pf), drop_(pf->layers.size(), false) {
    for (size_t i = 0; i < pf->layers.size(); ++i)
      for (const auto& b : pf->layers[i].bottoms) consumers_[b].push_back(static_cast<long>(i));
  }
  ParamLayer& layer(long i) { return pf_->layers[static_cast<size_t>(i)]; }
  size_t size() const { return pf_->layers.size(); }
  // The one layer reading `blob` (whichever input), or -1 when none, several, or removed.
  long only_consumer(const std::string& blob) const {
    const auto it = consumers_.find(blob);
    if (it == consumers_.end() || it->second.size() != 1 || drop_[it->second[0]]) return -1;
    return it->second[0];
  }
  // Layer `into` becomes `type` reading `bottom`, with `params`; `removed` go away.
  void fuse(long into, const char* type, const std::string& bottom, std::vector<std::string> params,
            const std::vector<long>& removed) {
    ParamLayer& l = layer(into);
    l.type = type;
    l.bottoms = {bottom};
    l.params = std::move(params);
    for (long r : removed) drop_[r] = true;
    ++fused_;
  }
  bool removed(long i) const { return drop_[i]; }
  int finish() {
    if (fused_) {
      std::vector<ParamLayer> kept;
      for (size_t i = 0; i < pf_->layers.size(); ++i)
        if (!drop_[i]) kept.push_back(std::move(pf_->layers[i]));
      pf_->layers = std::move(kept);
    }
    return fused_;
  }

 private:
  ParamFile* pf_;
  std::map<std::string, std::vector<long>> consumers_;
  std::vector<bool> drop_;
  int fused_ = 0;
};

}  // namespace

int fuse_double_swish(ParamFile* pf) {
  Rewrite g(pf);
  for (long i = 0; i < static_cast<long>(g.size()); ++i) {
    const ParamLayer& split = g.layer(i);
    if (split.type != "Split" || split.bottoms.size() != 1 || split.tops.size() != 2 || g.removed(i)) continue;
    for (int branch = 0; branch < 2; ++branch) {
      const long s = g.only_consumer(split.tops[branch]);
      if (s < 0 || !is_scalar_op(g.layer(s), "1") || !float_param_is(g.layer(s), "2", 1.0)) continue;
      const long sig = g.only_consumer(g.layer(s).tops[0]);
      if (sig < 0 || g.layer(sig).type != "Sigmoid" || g.layer(sig).tops.size() != 1) continue;
      const long m = g.only_consumer(g.layer(sig).tops[0]);
      if (m < 0 || g.only_consumer(split.tops[1 - branch]) != m || !is_binary_mul(g.layer(m))) continue;
      g.fuse(m, kDoubleSwishType, split.bottoms[0], {}, {i, s, sig});
      break;
    }
  }
  return g.finish();
}

int fuse_basic_norm(ParamFile* pf) {
  Rewrite g(pf);
  for (long i = 0; i < static_cast<long>(g.size()); ++i) {
    const ParamLayer& split = g.layer(i);
    if (split.type != "Split" || split.bottoms.size() != 1 || split.tops.size() != 3 || g.removed(i)) continue;
    // two of the three copies are squared, the third is scaled
    for (int scaled = 0; scaled < 3; ++scaled) {
      const std::string& a = split.tops[(scaled + 1) % 3];
      const std::string& b = split.tops[(scaled + 2) % 3];
      const long sq = g.only_consumer(a);
      if (sq < 0 || g.only_consumer(b) != sq || !is_binary_mul(g.layer(sq))) continue;
      const long mean = g.only_consumer(g.layer(sq).tops[0]);
      if (mean < 0) continue;
      const ParamLayer& r = g.layer(mean);
      // One axis, the last: pnnx writes it as -1, or as its index (1 of a 2-D blob, 2 of a
      // 3-D one); the layer checks an index against its blob's rank when it runs.
      const std::string axes = r.param("-23303");
      if (r.type != "Reduction" || r.param("0") != "3" || !(r.param("1").empty() || r.param("1") == "0") ||
          (axes != "1,-1" && axes != "1,1" && axes != "1,2") || r.param("4") != "1" || r.tops.size() != 1)
        continue;
      const long add = g.only_consumer(r.tops[0]);
      if (add < 0 || !is_scalar_op(g.layer(add), "0")) continue;
      const long pow = g.only_consumer(g.layer(add).tops[0]);
      if (pow < 0 || !is_scalar_op(g.layer(pow), "6") || !float_param_is(g.layer(pow), "2", -0.5)) continue;
      const long mul = g.only_consumer(g.layer(pow).tops[0]);
      if (mul < 0 || g.only_consumer(split.tops[scaled]) != mul || !is_binary_mul(g.layer(mul))) continue;
      g.fuse(mul, kBasicNormType, split.bottoms[0], {"0=" + param_or(g.layer(add), "2", "0"), "1=" + axes.substr(2)},
             {i, sq, mean, add, pow});
      break;
    }
  }
  return g.finish();
}

}  // namespace ncasr
