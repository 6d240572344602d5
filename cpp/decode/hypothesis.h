#pragma once
// Hypotheses of modified beam search, keyed by their token sequence so that equal
// sequences reached by different paths merge.
#include <string>
#include <unordered_map>
#include <vector>

namespace ncasr {

struct Hypothesis {
  std::vector<int> ys;          // token ids, starting with kContextSize blanks
  std::vector<int> timestamps;  // encoder frame of each token after the blanks
  double log_prob = 0.0;
  int num_trailing_blanks = 0;
  // Hotword matching (context graph state and the bonus collected so far).
  int context_state = 0;
  double context_score = 0.0;

  std::string key() const;
};

class Hypotheses {
 public:
  void clear() { hyps_.clear(); }
  bool empty() const { return hyps_.empty(); }
  size_t size() const { return hyps_.size(); }
  // Adds h, or log-adds its probability into an equal sequence already present.
  void add(Hypothesis h);
  // The k best by log_prob / len(ys) (sherpa-ncnn's length normalisation), best first.
  std::vector<Hypothesis> top_k(int k) const;
  const Hypothesis& best() const;

 private:
  std::unordered_map<std::string, Hypothesis> hyps_;
};

}  // namespace ncasr
