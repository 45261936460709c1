//===- Dim.cpp - Symbolic dim expressions in canonical form ---------------===//
//
// Canonical form: a sum is a constant plus coefficient*term pairs with
// like terms combined and terms ordered by their text; a product is a
// constant times factors ordered by their text; max/min order their
// operands; everything static is folded. Each node carries its canonical
// text, so equality is a string comparison.
//
//===----------------------------------------------------------------------===//
#include "h8/Analysis/Dim.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "h8/IR/Checked.h"

namespace h8 {

enum class DimOp { kSymbol, kAdd, kMul, kFloorDiv, kMax, kMin };

struct Dim::Node {
  DimOp op;
  std::string name;  // kSymbol
  std::vector<Dim> operands;  // kAdd/kMul: terms/factors (constant first); else 2
  std::string text;  // canonical text
  mutable int64_t references = 1;
};

void Dim::Retain(const Node* node) { ++node->references; }

void Dim::Release(const Node* node) {
  if (--node->references == 0) delete node;
}

namespace {

int64_t PyFloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Text of an operand inside a larger expression: parenthesized unless it
// is atomic (a number, a symbol, a call).
std::string Operand(const Dim& d) {
  std::string t = d.ToString();
  if (d.is_static() && d.value() >= 0) return t;
  bool atomic = true;
  int depth = 0;
  for (char c : t) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth == 0 && (c == ' ' || c == '*' || c == '/')) atomic = false;
  }
  return atomic ? t : absl::StrCat("(", t, ")");
}

}  // namespace

struct DimBuilder {
  static Dim FromNode(Dim::Node node) { return Dim(new Dim::Node(std::move(node))); }
  static const Dim::Node* NodeOf(const Dim& d) { return d.is_symbolic() ? d.node() : nullptr; }

  // coefficient * base, where base is symbolic and not a product with a
  // constant.
  static void SplitCoefficient(const Dim& d, int64_t* coef, Dim* base) {
    const Dim::Node* n = NodeOf(d);
    *coef = 1;
    *base = d;
    if (n == nullptr || n->op != DimOp::kMul || !n->operands[0].is_static()) return;
    *coef = n->operands[0].value();
    std::vector<Dim> rest(n->operands.begin() + 1, n->operands.end());
    *base = rest.size() == 1 ? rest[0] : BuildMul(1, std::move(rest));
  }

  static Dim BuildMul(int64_t constant, std::vector<Dim> factors) {
    if (constant == 0) return Dim::Static(0);
    if (factors.empty()) return Dim::Static(constant);
    std::sort(factors.begin(), factors.end(),
              [](const Dim& a, const Dim& b) { return a.ToString() < b.ToString(); });
    if (constant == 1 && factors.size() == 1) return factors[0];
    Dim::Node node{DimOp::kMul, "", {}, ""};
    if (constant != 1) node.operands.push_back(Dim::Static(constant));
    for (auto& f : factors) node.operands.push_back(f);
    std::string text = constant == 1 ? "" : constant == -1 ? "-" : absl::StrCat(constant, "*");
    for (size_t i = 0; i < factors.size(); ++i)
      absl::StrAppend(&text, i == 0 ? "" : "*", Operand(factors[i]));
    node.text = std::move(text);
    return FromNode(std::move(node));
  }

  static Dim Add(const Dim& a, const Dim& b) {
    if (a.is_unknown() || b.is_unknown()) return Dim();
    int64_t constant = 0;
    std::vector<std::pair<Dim, int64_t>> terms;  // base, coefficient
    bool overflow = false;
    auto add_term = [&](const Dim& d) {
      if (d.is_static()) {
        overflow |= AddOverflows(constant, d.value(), &constant);
        return;
      }
      int64_t coef;
      Dim base;
      SplitCoefficient(d, &coef, &base);
      for (auto& t : terms) {
        if (t.first == base) {
          overflow |= AddOverflows(t.second, coef, &t.second);
          return;
        }
      }
      terms.emplace_back(base, coef);
    };
    for (const Dim* d : {&a, &b}) {
      const Dim::Node* n = NodeOf(*d);
      if (n != nullptr && n->op == DimOp::kAdd) {
        for (const Dim& t : n->operands) add_term(t);
      } else {
        add_term(*d);
      }
    }
    if (overflow) return Dim();
    std::vector<Dim> parts;
    for (auto& t : terms)
      if (t.second != 0) parts.push_back(BuildMul(t.second, {t.first}));
    if (parts.empty()) return Dim::Static(constant);
    if (parts.size() == 1 && constant == 0) return parts[0];
    std::sort(parts.begin(), parts.end(),
              [](const Dim& x, const Dim& y) { return x.ToString() < y.ToString(); });
    Dim::Node node{DimOp::kAdd, "", {}, ""};
    std::string text;
    for (size_t i = 0; i < parts.size(); ++i) {
      std::string t = parts[i].ToString();
      if (i == 0) {
        text = t;
      } else if (!t.empty() && t[0] == '-') {
        absl::StrAppend(&text, " - ", t.substr(1));
      } else {
        absl::StrAppend(&text, " + ", t);
      }
      node.operands.push_back(parts[i]);
    }
    if (constant > 0) absl::StrAppend(&text, " + ", constant);
    // The magnitude in unsigned arithmetic: -INT64_MIN does not exist.
    if (constant < 0) absl::StrAppend(&text, " - ", 0 - static_cast<uint64_t>(constant));
    if (constant != 0) node.operands.push_back(Dim::Static(constant));
    node.text = std::move(text);
    return FromNode(std::move(node));
  }

  static Dim Mul(const Dim& a, const Dim& b) {
    if (a.is_static() && a.value() == 0) return Dim::Static(0);
    if (b.is_static() && b.value() == 0) return Dim::Static(0);
    if (a.is_unknown() || b.is_unknown()) return Dim();
    int64_t constant = 1;
    std::vector<Dim> factors;
    bool overflow = false;
    for (const Dim* d : {&a, &b}) {
      const Dim::Node* n = NodeOf(*d);
      std::vector<Dim> parts =
          n != nullptr && n->op == DimOp::kMul ? n->operands : std::vector<Dim>{*d};
      for (const Dim& p : parts) {
        if (p.is_static()) {
          overflow |= MulOverflows(constant, p.value(), &constant);
        } else {
          factors.push_back(p);
        }
      }
    }
    if (overflow) return Dim();
    return BuildMul(constant, std::move(factors));
  }

  static Dim Binary(DimOp op, const Dim& a, const Dim& b, const char* fn) {
    if (a.is_unknown() || b.is_unknown()) return Dim();
    Dim x = a, y = b;
    if (op != DimOp::kFloorDiv && y.ToString() < x.ToString()) std::swap(x, y);
    Dim::Node node{op, "", {x, y}, ""};
    node.text = op == DimOp::kFloorDiv
                    ? absl::StrCat(Operand(x), "//", Operand(y))
                    : absl::StrCat(fn, "(", x.ToString(), ", ", y.ToString(), ")");
    return FromNode(std::move(node));
  }
};

Dim Dim::Static(int64_t value) {
  Dim d;
  d.kind_ = kStatic;
  d.value_ = value;
  return d;
}

Dim Dim::Symbol(absl::string_view name) {
  return DimBuilder::FromNode(Node{DimOp::kSymbol, std::string(name), {}, std::string(name)});
}

std::string Dim::ToString() const {
  if (kind_ == kStatic) return absl::StrCat(value_);
  if (kind_ == kUnknown) return "?";
  return node()->text;
}

bool Dim::operator==(const Dim& other) const {
  if (kind_ != other.kind_ || kind_ == kUnknown) return false;
  if (kind_ == kStatic) return value_ == other.value_;
  return node() == other.node() || node()->text == other.node()->text;
}

std::vector<std::string> Dim::Symbols() const {
  std::set<std::string> out;
  std::vector<const Node*> stack;
  if (kind_ == kSymbolic) stack.push_back(node());
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (n->op == DimOp::kSymbol) out.insert(n->name);
    for (const Dim& d : n->operands)
      if (d.kind_ == kSymbolic) stack.push_back(d.node());
  }
  return {out.begin(), out.end()};
}

Dim Dim::Substitute(const std::map<std::string, int64_t>& values) const {
  if (kind_ != kSymbolic) return *this;
  const Node& n = *node();
  switch (n.op) {
    case DimOp::kSymbol: {
      auto it = values.find(n.name);
      return it == values.end() ? *this : Static(it->second);
    }
    case DimOp::kAdd:
    case DimOp::kMul: {
      Dim acc = Static(n.op == DimOp::kAdd ? 0 : 1);
      for (const Dim& d : n.operands)
        acc = n.op == DimOp::kAdd ? acc + d.Substitute(values) : acc * d.Substitute(values);
      return acc;
    }
    case DimOp::kFloorDiv:
      return FloorDiv(n.operands[0].Substitute(values), n.operands[1].Substitute(values));
    case DimOp::kMax:
      return Max(n.operands[0].Substitute(values), n.operands[1].Substitute(values));
    case DimOp::kMin:
      return Min(n.operands[0].Substitute(values), n.operands[1].Substitute(values));
  }
  return *this;
}

Dim operator+(const Dim& a, const Dim& b) {
  if (a.is_static() && b.is_static()) {
    int64_t r;
    return AddOverflows(a.value(), b.value(), &r) ? Dim() : Dim::Static(r);
  }
  // x + 0 is x (already canonical): no expression to build.
  if (b.is_static() && b.value() == 0) return a;
  if (a.is_static() && a.value() == 0) return b;
  return DimBuilder::Add(a, b);
}

Dim operator-(const Dim& a, const Dim& b) { return a + Dim::Static(-1) * b; }

Dim operator*(const Dim& a, const Dim& b) {
  if (a.is_static() && b.is_static()) {
    int64_t r;
    return MulOverflows(a.value(), b.value(), &r) ? Dim() : Dim::Static(r);
  }
  return DimBuilder::Mul(a, b);
}

Dim FloorDiv(const Dim& a, const Dim& b) {
  if (b.is_static() && b.value() == 0) return Dim();
  if (b.is_static() && b.value() == 1) return a;
  if (a.is_static() && b.is_static()) {
    if (a.value() == std::numeric_limits<int64_t>::min() && b.value() == -1) return Dim();
    return Dim::Static(PyFloorDiv(a.value(), b.value()));
  }
  if (a == b) return Dim::Static(1);
  // (c*x)//c == x, and (c*k*x)//c == k*x.
  const Dim::Node* n = DimBuilder::NodeOf(a);
  if (b.is_static() && b.value() > 0 && n != nullptr && n->op == DimOp::kMul &&
      n->operands[0].is_static() && n->operands[0].value() % b.value() == 0) {
    std::vector<Dim> rest(n->operands.begin() + 1, n->operands.end());
    return DimBuilder::BuildMul(n->operands[0].value() / b.value(), std::move(rest));
  }
  return DimBuilder::Binary(DimOp::kFloorDiv, a, b, "");
}

Dim CeilDiv(const Dim& a, const Dim& b) { return FloorDiv(a + b - Dim::Static(1), b); }

Dim Max(const Dim& a, const Dim& b) {
  if (a.is_static() && b.is_static()) return Dim::Static(std::max(a.value(), b.value()));
  if (a == b) return a;
  return DimBuilder::Binary(DimOp::kMax, a, b, "max");
}

Dim Min(const Dim& a, const Dim& b) {
  if (a.is_static() && b.is_static()) return Dim::Static(std::min(a.value(), b.value()));
  if (a == b) return a;
  return DimBuilder::Binary(DimOp::kMin, a, b, "min");
}

Dim Product(const std::vector<Dim>& dims, size_t begin, size_t end) {
  Dim acc = Dim::Static(1);
  for (size_t i = begin; i < dims.size() && i < end; ++i) acc = acc * dims[i];
  return acc;
}

//===----------------------------------------------------------------------===//
// Parsing torch.export expressions
//===----------------------------------------------------------------------===//

namespace {

class ExprParser {
 public:
  explicit ExprParser(absl::string_view text) : s_(text) {}

  std::optional<Dim> Parse() {
    std::optional<Dim> d = Sum(0);
    Skip();
    if (!d || pos_ != s_.size()) return std::nullopt;
    return d;
  }

 private:
  static constexpr int kMaxDepth = 64;

  void Skip() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }
  bool Eat(absl::string_view tok) {
    Skip();
    if (s_.substr(pos_, tok.size()) != tok) return false;
    pos_ += tok.size();
    return true;
  }

  std::optional<Dim> Sum(int depth) {
    std::optional<Dim> acc = Term(depth);
    while (acc) {
      if (Eat("+")) {
        auto r = Term(depth);
        if (!r) return std::nullopt;
        acc = *acc + *r;
      } else if (Eat("-")) {
        auto r = Term(depth);
        if (!r) return std::nullopt;
        acc = *acc - *r;
      } else {
        break;
      }
    }
    return acc;
  }

  std::optional<Dim> Term(int depth) {
    std::optional<Dim> acc = Atom(depth);
    while (acc) {
      if (Eat("//")) {
        auto r = Atom(depth);
        if (!r) return std::nullopt;
        acc = FloorDiv(*acc, *r);
      } else if (Eat("*")) {
        auto r = Atom(depth);
        if (!r) return std::nullopt;
        acc = *acc * *r;
      } else {
        break;
      }
    }
    return acc;
  }

  std::optional<Dim> Atom(int depth) {
    if (depth > kMaxDepth) return std::nullopt;
    Skip();
    if (Eat("-")) {
      auto r = Atom(depth + 1);
      if (!r) return std::nullopt;
      return Dim::Static(0) - *r;
    }
    if (Eat("(")) {
      auto r = Sum(depth + 1);
      if (!r || !Eat(")")) return std::nullopt;
      return r;
    }
    size_t start = pos_;
    if (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      int64_t v = 0;
      if (!absl::SimpleAtoi(s_.substr(start, pos_ - start), &v)) return std::nullopt;
      return Dim::Static(v);
    }
    while (pos_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
      ++pos_;
    if (pos_ == start) return std::nullopt;
    std::string name(s_.substr(start, pos_ - start));
    if ((name == "max" || name == "Max" || name == "min" || name == "Min") && Eat("(")) {
      auto a = Sum(depth + 1);
      if (!a || !Eat(",")) return std::nullopt;
      auto b = Sum(depth + 1);
      if (!b || !Eat(")")) return std::nullopt;
      return name[1] == 'a' ? Max(*a, *b) : Min(*a, *b);
    }
    return Dim::Symbol(name);
  }

  absl::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

Dim Dim::FromParam(absl::string_view text) {
  if (std::optional<Dim> d = ExprParser(text).Parse()) return *d;
  return Symbol(text);
}

}  // namespace h8
