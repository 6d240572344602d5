#pragma once
// Hotword boosting for modified beam search: an Aho-Corasick trie over token ids.
// Each token that extends a hotword match earns that hotword's score; a match that
// breaks off gives back what it earned (so partial matches do not win); a complete
// match keeps its bonus. Each hotword carries its own score.
#include <string>
#include <unordered_map>
#include <vector>

namespace ncasr {

class SymbolTable;

struct Hotword {
  std::vector<int> tokens;
  float score = 0.f;
};

class ContextGraph {
 public:
  explicit ContextGraph(const std::vector<Hotword>& hotwords);

  // Parses a hotwords file: one hotword per line as space-separated tokens from
  // tokens.txt, optionally ending in ":score"; default_score otherwise.
  static std::vector<Hotword> parse(const std::string& text, const SymbolTable& tokens, float default_score,
                                    const std::string& source);

  // Advances *state by token; *pending is the bonus not yet made permanent by a complete
  // match. Returns the score to add to the hypothesis.
  double forward_one_step(int* state, double* pending, int token) const;
  // Score to add when the utterance ends in a partial match: gives the pending bonus back.
  double finalize(double pending) const { return -pending; }

  int num_nodes() const { return static_cast<int>(nodes_.size()); }

 private:
  struct Node {
    std::unordered_map<int, int> next;
    int fail = 0;
    bool ends = false;  // some hotword ends here or at a suffix (via fail links)
    bool has_children = false;
    float token_score = 0.f;  // bonus for the token that enters this node
    double path_score = 0.0;  // sum of token scores from the root
  };
  int step(int state, int token) const;
  std::vector<Node> nodes_;
};

}  // namespace ncasr
