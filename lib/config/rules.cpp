#include "config/rules.hpp"

#include "core/device_names.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <system_error>

namespace igtb::config::schema {

namespace {

bool is_quoted_or_str(const YAML::Node& node) {
  // yaml-cpp: "?" = plain scalar, "!" = quoted scalar, or an explicit tag.
  return node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

// Shortest round-trip text of a double, as is ("5", "0.1", "1e-05").
std::string shortest(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Text of a scalar for string rules: anything scalar (quoted or not), else throws.
std::string string_text(const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar()) throw ValueError{"expected " + what + ", got " + describe_node(node)};
  return node.Scalar();
}

std::string last_component(const std::string& key) {
  const auto dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

std::string parent_of(const std::string& key) {
  const auto dot = key.rfind('.');
  return dot == std::string::npos ? std::string() : key.substr(0, dot);
}

}  // namespace

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "an empty value";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      break;
  }
  return "'" + node.Scalar() + "'";
}

std::string format_double(double v) {
  std::string s = shortest(v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // 'n': inf / nan
  return s;
}

std::string yaml_string(const std::string& s) {
  const bool plain_chars = !s.empty() && (std::isalnum(static_cast<unsigned char>(s[0])) || s[0] == '_' || s[0] == '/') &&
                           std::all_of(s.begin(), s.end(), [](char c) {
                             return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
                                    c == '/';
                           });
  if (plain_chars && s != "null" && s != "Null" && s != "NULL") return s;
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          static const char* hex = "0123456789abcdef";
          out += "\\x";
          out += hex[(c >> 4) & 0xf];
          out += hex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

std::string closest(const std::string& word, const std::vector<std::string>& choices) {
  const std::size_t limit = word.size() <= 3 ? 1 : word.size() <= 6 ? 2 : 3;
  std::string best;
  std::size_t best_d = limit + 1;
  for (const auto& c : choices) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d && d < std::max(word.size(), c.size())) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string number_text(const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar()) throw ValueError{"expected " + what + ", got " + describe_node(node)};
  if (is_quoted_or_str(node))
    throw ValueError{"expected " + what + ", got the string \"" + node.Scalar() + "\" (write it without quotes)"};
  return node.Scalar();
}

ParsedInteger parse_integer(const std::string& text) {
  ParsedInteger p;
  std::size_t i = 0;
  bool minus = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) minus = text[i++] == '-';
  if (i == text.size()) return p;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return p;
    const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (p.magnitude > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) p.overflow = true;
    if (!p.overflow) p.magnitude = p.magnitude * 10 + digit;
  }
  p.valid = true;
  p.negative = minus && p.magnitude != 0;
  return p;
}

namespace rule {

std::string Real::describe() const {
  const bool has_min = std::isfinite(min), has_max = std::isfinite(max);
  if (has_min && has_max)
    return min_exclusive ? "a number > " + shortest(min) + " and <= " + shortest(max)
                         : "a number " + shortest(min) + ".." + shortest(max);
  if (has_min) return (min_exclusive ? "a number > " : "a number >= ") + shortest(min);
  if (has_max) return "a number <= " + shortest(max);
  return "a number";
}

double Real::decode(const YAML::Node& node, bool) const {
  const std::string text = number_text(node, describe());
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (first != last && *first == '+') ++first;  // from_chars takes '-' but not '+'
  double v = 0;
  const bool parsed = first != last && *first != '+' && (first == text.data() || *first != '-');
  const auto r = parsed ? std::from_chars(first, last, v) : std::from_chars_result{first, std::errc::invalid_argument};
  if (r.ec != std::errc() || r.ptr != last || !std::isfinite(v) || v < min || (min_exclusive && v == min) || v > max)
    throw ValueError{"expected " + describe() + ", got '" + text + "'"};
  return v;
}

bool Bool::decode(const YAML::Node& node, bool) const {
  const std::string text = number_text(node, describe());
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  throw ValueError{"expected true or false, got '" + text + "'"};
}

std::string OneOf::describe() const {
  std::vector<std::string> shown;
  for (const auto& c : choices) shown.push_back(c.empty() ? "'' (empty)" : c);
  return "one of " + join(shown, ", ");
}

std::string OneOf::decode(const YAML::Node& node, bool) const {
  // "key:" with nothing after it (or --set key=) is the empty choice where there is one.
  if (node.IsNull() && std::find(choices.begin(), choices.end(), "") != choices.end()) return {};
  const std::string text = string_text(node, describe());
  if (std::find(choices.begin(), choices.end(), text) != choices.end()) return text;
  std::string msg = "expected " + describe() + ", got '" + text + "'";
  const std::string guess = closest(text, choices);
  if (!guess.empty()) msg += " (did you mean '" + guess + "'?)";
  throw ValueError{msg};
}

std::string Text::describe() const {
  switch (kind) {
    case Kind::Ipv4:
      return "an IPv4 address such as 127.0.0.1 (or 0.0.0.0 for all interfaces)";
    case Kind::Host:
      return "a host name or IPv4 address";
    case Kind::Path:
      return "a file path";
    case Kind::OptionalPath:
      return "a file path, or \"\" for none";
    case Kind::DeviceName:
      return "a device name of 1.." + std::to_string(kDeviceNameMax) + " printable ASCII characters";
    case Kind::OptionalDeviceName:
      return "a device name of 1.." + std::to_string(kDeviceNameMax) + " printable ASCII characters, or \"\" for none";
    case Kind::TorchDevice:
      return "cpu, cuda or cuda:N";
    case Kind::NonEmpty:
      break;
  }
  return "a non-empty string";
}

bool is_torch_device_name(const std::string& text) {
  return text == "cpu" || text == "cuda" ||
         (text.size() > 5 && text.size() <= 8 && text.rfind("cuda:", 0) == 0 &&
          std::all_of(text.begin() + 5, text.end(), [](char c) { return c >= '0' && c <= '9'; }));
}

std::string Text::decode(const YAML::Node& node, bool) const {
  const bool optional = kind == Kind::OptionalPath || kind == Kind::OptionalDeviceName;
  if (node.IsNull() && optional) return {};  // "key:" with nothing after it: none
  const std::string text = string_text(node, describe());
  std::string hint;
  bool ok = !text.empty() || optional;
  const auto printable = [](char c) { return c >= 0x20 && c < 0x7f; };
  if (kind == Kind::Path || kind == Kind::OptionalPath) {
    // UTF-8 beyond ASCII is fine in a path; control characters (newline, NUL, escape) are not.
    ok = ok && text.size() <= 4096 &&
         std::none_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  } else if (kind == Kind::DeviceName || kind == Kind::OptionalDeviceName) {
    ok = ok && text.size() <= kDeviceNameMax && std::all_of(text.begin(), text.end(), printable);
  } else if (kind == Kind::TorchDevice) {
    ok = is_torch_device_name(text);
  } else if (ok && kind == Kind::Ipv4) {
    in_addr a{};
    ok = inet_pton(AF_INET, text.c_str(), &a) == 1;
    if (!ok && text == "localhost") hint = " (use 127.0.0.1)";
  } else if (ok && kind == Kind::Host) {
    ok = text.size() <= 253 && std::all_of(text.begin(), text.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
         });
  }
  if (!ok && text.find(':') != std::string::npos && (kind == Kind::Ipv4 || kind == Kind::Host)) hint = " (the port is a separate key)";
  if (!ok) throw ValueError{"expected " + describe() + ", got '" + text + "'" + hint};
  return text;
}

std::string TextList::describe() const {
  std::string s = "a list of " + item + "s";
  if (max_length != std::numeric_limits<std::size_t>::max())
    s += " (at most " + std::to_string(max_length) + " characters each)";
  return s;
}

std::string TextList::encode(const std::vector<std::string>& v) const {
  std::vector<std::string> items;
  for (const auto& s : v) items.push_back(yaml_string(s));
  return "[" + join(items, ", ") + "]";
}

std::vector<std::string> TextList::decode(const YAML::Node& node, bool from_set) const {
  std::vector<std::string> out;
  const auto check_item = [&](const std::string& text, std::size_t index, int line) {
    const std::string sub = "[" + std::to_string(index) + "]";
    if (text.empty()) throw ValueError{"expected a " + item + ", got an empty string", sub, line};
    if (text.size() > max_length)
      throw ValueError{"expected a " + item + " of at most " + std::to_string(max_length) + " characters, got '" + text +
                           "' (" + std::to_string(text.size()) + " characters)",
                       sub, line};
    out.push_back(text);
  };
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return out;
    case YAML::NodeType::Map:
      throw ValueError{"expected " + describe() + ", got a map"};
    case YAML::NodeType::Sequence:
      for (std::size_t i = 0; i < node.size(); ++i) {
        const YAML::Node e = node[i];
        const int line = e.IsNull() ? -1 : e.Mark().line;  // a null's mark is the next token's
        if (!e.IsScalar())
          throw ValueError{"expected a " + item + ", got " + describe_node(e), "[" + std::to_string(i) + "]", line};
        check_item(e.Scalar(), i, line);
      }
      return out;
    case YAML::NodeType::Scalar:
      break;
  }
  const std::string text = node.Scalar();
  if (!from_set) {
    throw ValueError{"expected " + describe() + ", got '" + text + "' (write a YAML list: [" + text + "])"};
  }
  // --set key=a,b,c
  if (trim(text).empty()) return out;
  std::size_t start = 0, index = 0;
  for (;;) {
    const auto comma = text.find(',', start);
    check_item(trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start)), index++, -1);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace rule

Schema::Schema(std::vector<Field> fields, std::vector<Check> checks)
    : fields_(std::move(fields)), checks_(std::move(checks)) {
  sections_.push_back("");
  std::vector<std::string> closed;
  std::vector<std::string> open;  // sections of the previous key
  for (const auto& f : fields_) {
    if (f.key.empty() || f.key.front() == '.' || f.key.back() == '.' || f.key.find("..") != std::string::npos)
      throw std::logic_error("config schema: malformed key '" + f.key + "'");
    std::vector<std::string> mine;
    for (auto dot = f.key.find('.'); dot != std::string::npos; dot = f.key.find('.', dot + 1))
      mine.push_back(f.key.substr(0, dot));
    for (const auto& s : open)
      if (std::find(mine.begin(), mine.end(), s) == mine.end()) closed.push_back(s);
    for (const auto& s : mine) {
      if (std::find(closed.begin(), closed.end(), s) != closed.end())
        throw std::logic_error("config schema: the rows of section '" + s + "' must be adjacent (at '" + f.key + "')");
      if (std::find(sections_.begin(), sections_.end(), s) == sections_.end()) sections_.push_back(s);
    }
    open = mine;
  }
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    for (std::size_t j = i + 1; j < fields_.size(); ++j)
      if (fields_[i].key == fields_[j].key) throw std::logic_error("config schema: duplicate key '" + fields_[i].key + "'");
    if (is_section(fields_[i].key))
      throw std::logic_error("config schema: '" + fields_[i].key + "' is both a key and a section");
  }
  for (const auto& c : checks_)
    for (const auto& k : c.keys)
      if (!leaf(k)) throw std::logic_error("config schema: check names unknown key '" + k + "'");
}

const Field* Schema::leaf(const std::string& key) const {
  for (const auto& f : fields_)
    if (f.key == key) return &f;
  return nullptr;
}

bool Schema::is_section(const std::string& key) const {
  return std::find(sections_.begin(), sections_.end(), key) != sections_.end();
}

std::vector<std::string> Schema::children(const std::string& section) const {
  std::vector<std::string> out;
  const std::string prefix = section.empty() ? std::string() : section + ".";
  for (const auto& f : fields_) {
    if (f.key.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = f.key.substr(prefix.size());
    const std::string name = rest.substr(0, rest.find('.'));
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

std::string Schema::unknown_key_hint(const std::string& key) const {
  const auto did_you_mean = [](const std::vector<std::string>& c) {
    std::vector<std::string> quoted;
    for (const auto& s : c) quoted.push_back("'" + s + "'");
    return " (did you mean " + join(quoted, " or ") + "?)";
  };
  const std::string parent = parent_of(key), name = last_component(key);
  const auto qualify = [&](const std::string& child) { return parent.empty() ? child : parent + "." + child; };

  std::vector<std::string> all;  // every key and section name, table order
  for (const auto& f : fields_) all.push_back(f.key);
  for (const auto& s : sections_)
    if (!s.empty()) all.push_back(s);

  // 1. a typo among the siblings (input.prot -> input.port), or 2. a typo in
  // the section (inptu.port -> input.port).
  if (is_section(parent)) {
    const std::string guess = closest(name, children(parent));
    if (!guess.empty()) return did_you_mean({qualify(guess)});
  } else {
    const std::string guess = closest(key, all);
    if (!guess.empty()) return did_you_mean({guess});
  }
  // 3. the right name in another section: output.mode -> input.mode
  std::vector<std::string> same_name;
  for (const auto& k : all)
    if (k != key && last_component(k) == name) same_name.push_back(k);
  if (!same_name.empty() && same_name.size() <= 3) return did_you_mean(same_name);
  // 4. list what is valid in the deepest section that exists.
  std::string section = parent;
  while (!is_section(section)) section = parent_of(section);
  if (section.empty()) return "; valid top-level keys: " + join(children(section), ", ");
  return "; valid keys under '" + section + "': " + join(children(section), ", ");
}

}  // namespace igtb::config::schema
