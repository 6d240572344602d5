#include "decode/hypothesis.h"

#include <algorithm>
#include <cmath>

namespace ncasr {

std::string Hypothesis::key() const {
  std::string k;
  k.reserve(ys.size() * 4);
  for (int y : ys) k.append(reinterpret_cast<const char*>(&y), sizeof(y));
  return k;
}

static double log_add(double a, double b) {
  double hi = std::max(a, b), lo = std::min(a, b);
  return hi + std::log1p(std::exp(lo - hi));
}

void Hypotheses::add(Hypothesis h) {
  std::string k = h.key();
  auto it = hyps_.find(k);
  if (it == hyps_.end()) {
    hyps_.emplace(std::move(k), std::move(h));
  } else {
    it->second.log_prob = log_add(it->second.log_prob, h.log_prob);
  }
}

std::vector<Hypothesis> Hypotheses::top_k(int k) const {
  std::vector<Hypothesis> v;
  v.reserve(hyps_.size());
  for (const auto& kv : hyps_) v.push_back(kv.second);
  auto score = [](const Hypothesis& h) { return h.log_prob / h.ys.size(); };
  std::stable_sort(v.begin(), v.end(), [&](const Hypothesis& a, const Hypothesis& b) {
    double sa = score(a), sb = score(b);
    if (sa != sb) return sa > sb;
    return a.ys < b.ys;  // deterministic order on ties
  });
  if (static_cast<int>(v.size()) > k) v.resize(k);
  return v;
}

const Hypothesis& Hypotheses::best() const {
  const Hypothesis* best = nullptr;
  for (const auto& kv : hyps_) {
    const auto& h = kv.second;
    if (!best || h.log_prob / h.ys.size() > best->log_prob / best->ys.size() ||
        (h.log_prob / h.ys.size() == best->log_prob / best->ys.size() && h.ys < best->ys))
      best = &h;
  }
  return *best;
}

}  // namespace ncasr
