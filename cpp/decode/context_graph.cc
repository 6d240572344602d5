#include "decode/context_graph.h"

#include <deque>
#include <sstream>

#include "common/errors.h"
#include "model/tokens.h"

namespace ncasr {

ContextGraph::ContextGraph(const std::vector<Hotword>& hotwords) {
  nodes_.emplace_back();  // root
  for (const auto& hw : hotwords) {
    int cur = 0;
    for (int tok : hw.tokens) {
      auto it = nodes_[cur].next.find(tok);
      int nxt;
      if (it == nodes_[cur].next.end()) {
        nxt = static_cast<int>(nodes_.size());
        Node n;
        n.token_score = hw.score;
        n.path_score = nodes_[cur].path_score + hw.score;
        nodes_.push_back(n);
        nodes_[cur].next[tok] = nxt;
        nodes_[cur].has_children = true;
      } else {
        nxt = it->second;
      }
      cur = nxt;
    }
    if (cur != 0) nodes_[cur].ends = true;
  }
  // Breadth-first fail links (classic Aho-Corasick).
  std::deque<int> queue;
  for (const auto& [tok, child] : nodes_[0].next) {
    nodes_[child].fail = 0;
    queue.push_back(child);
  }
  while (!queue.empty()) {
    int u = queue.front();
    queue.pop_front();
    for (const auto& [tok, child] : nodes_[u].next) {
      int f = nodes_[u].fail;
      while (f != 0 && !nodes_[f].next.count(tok)) f = nodes_[f].fail;
      auto it = nodes_[f].next.find(tok);
      nodes_[child].fail = (it != nodes_[f].next.end() && it->second != child) ? it->second : 0;
      nodes_[child].ends = nodes_[child].ends || nodes_[nodes_[child].fail].ends;
      queue.push_back(child);
    }
  }
}

int ContextGraph::step(int state, int token) const {
  int s = state;
  while (true) {
    auto it = nodes_[s].next.find(token);
    if (it != nodes_[s].next.end()) return it->second;
    if (s == 0) return 0;
    s = nodes_[s].fail;
  }
}

double ContextGraph::forward_one_step(int* state, double* pending, int token) const {
  const int from = *state;
  const int to = step(from, token);
  double delta;
  auto direct = nodes_[from].next.find(token);
  if (direct != nodes_[from].next.end()) {
    delta = nodes_[to].token_score;  // the match goes on
    *pending += delta;
  } else {
    // The match broke off: give back what was pending, earn the fallback path's bonus.
    delta = nodes_[to].path_score - *pending;
    *pending = nodes_[to].path_score;
  }
  if (nodes_[to].ends) {
    *pending = 0.0;  // a complete hotword keeps its bonus
    if (!nodes_[to].has_children) {
      *state = 0;
      return delta;
    }
  }
  *state = to;
  return delta;
}

std::vector<Hotword> ContextGraph::parse(const std::string& text, const SymbolTable& tokens, float default_score,
                                         const std::string& source) {
  std::vector<Hotword> out;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    Hotword hw;
    hw.score = default_score;
    std::string body = line;
    auto colon = line.rfind(':');
    if (colon != std::string::npos) {
      std::string num = line.substr(colon + 1);
      try {
        size_t pos = 0;
        hw.score = std::stof(num, &pos);
        if (num.find_first_not_of(" \t", pos) != std::string::npos) throw std::invalid_argument("");
      } catch (const std::exception&) {
        throw ConfigError(source + ": line " + std::to_string(line_no) + ": bad score '" + num + "'");
      }
      body = line.substr(0, colon);
    }
    std::istringstream ws(body);
    std::string tok;
    while (ws >> tok) {
      int id = tokens.id(tok);
      if (id < 0)
        throw ConfigError(source + ": line " + std::to_string(line_no) + ": token '" + tok +
                          "' is not in tokens.txt (write hotwords as tokens, e.g. '▁HE LLO')");
      if (id >= tokens.vocab_size())
        throw ConfigError(source + ": line " + std::to_string(line_no) + ": token '" + tok +
                          "' is a disambiguation symbol, which the model never emits");
      hw.tokens.push_back(id);
    }
    if (hw.tokens.empty()) throw ConfigError(source + ": line " + std::to_string(line_no) + ": no tokens before ':'");
    out.push_back(std::move(hw));
  }
  return out;
}

}  // namespace ncasr
