#pragma once
// The schema's machinery for igtb::config (internal to lib/config).
//
// A Field binds a dotted key to a member of BridgeConfig through a Rule that
// knows how to decode a YAML node, encode a value as YAML text and describe
// itself ("an integer 1..65535"). The table itself, one row per key, is
// schema.cpp; the loader that reads a file against it is config.cpp.

#include "config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace igtb::config::schema {

// Thrown by rules. The caller adds "<source>:<line>: <key><subkey>: ".
struct ValueError {
  std::string message;     // "expected an integer 1..65535, got 'abc'"
  std::string subkey = {}; // e.g. "[2]" for a list element
  int line = -1;           // 0-based line of the offending node when better than the key's, else -1
};

// "'abc'", "the quoted string \"5\"", "a map", "a list", "an empty value".
std::string describe_node(const YAML::Node& node);
// Shortest text that reads back as the same double; always has a '.' or exponent ("5.0", "0.1", "1e-05").
std::string format_double(double v);
// A YAML scalar for a string: plain where that reads back unchanged, else double-quoted.
std::string yaml_string(const std::string& s);
// Optimal-string-alignment edit distance (a transposition counts 1).
std::size_t edit_distance(const std::string& a, const std::string& b);
// Closest choice within a length-dependent threshold, or "".
std::string closest(const std::string& word, const std::vector<std::string>& choices);

// Text of a plain (unquoted, untagged-as-string) scalar, or throws "expected <what>, got ...".
std::string number_text(const YAML::Node& node, const std::string& what);

struct ParsedInteger {
  bool valid = false;     // syntactically an integer (optional sign, decimal digits)
  bool negative = false;  // never true for zero
  bool overflow = false;  // magnitude does not fit 64 bits
  std::uint64_t magnitude = 0;
};
ParsedInteger parse_integer(const std::string& text);

namespace rule {

// Integer in [min, max] (min may be negative only for signed T).
template <class T>
struct Int {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>, "Int<T> needs an integer type");
  using value_type = T;
  T min = std::numeric_limits<T>::min();
  T max = std::numeric_limits<T>::max();

  std::string describe() const {
    return "an integer " + std::to_string(+min) + ".." + std::to_string(+max);
  }
  std::string encode(T v) const { return std::to_string(+v); }
  T decode(const YAML::Node& node, bool /*from_set*/) const {
    const std::string text = number_text(node, describe());
    const ParsedInteger p = parse_integer(text);
    const auto fail = [&] { return ValueError{"expected " + describe() + ", got '" + text + "'"}; };
    if (!p.valid || p.overflow) throw fail();
    if (p.negative) {
      if constexpr (std::is_signed_v<T>) {
        // value = -magnitude; need value >= min, i.e. magnitude <= -min.
        const std::uint64_t limit = min < 0 ? static_cast<std::uint64_t>(-(static_cast<std::int64_t>(min) + 1)) + 1 : 0;
        if (p.magnitude > limit) throw fail();
        const auto v = -static_cast<std::int64_t>(p.magnitude - 1) - 1;
        if (v > static_cast<std::int64_t>(max)) throw fail();
        return static_cast<T>(v);
      } else {
        throw fail();
      }
    }
    if (p.magnitude > static_cast<std::uint64_t>(max)) throw fail();
    if constexpr (std::is_signed_v<T>) {
      if (min > 0 && p.magnitude < static_cast<std::uint64_t>(min)) throw fail();
    } else {
      if (p.magnitude < static_cast<std::uint64_t>(min)) throw fail();
    }
    return static_cast<T>(p.magnitude);
  }
};

// Finite number; min is inclusive unless min_exclusive.
struct Real {
  using value_type = double;
  double min = -std::numeric_limits<double>::infinity();
  bool min_exclusive = false;
  double max = std::numeric_limits<double>::infinity();

  std::string describe() const;
  std::string encode(double v) const { return format_double(v); }
  double decode(const YAML::Node& node, bool from_set) const;
};

// true | false (also True/TRUE/False/FALSE, as in YAML 1.2); not yes/no/on/off/1/0.
struct Bool {
  using value_type = bool;
  std::string describe() const { return "true or false"; }
  std::string encode(bool v) const { return v ? "true" : "false"; }
  bool decode(const YAML::Node& node, bool from_set) const;
};

// One of a fixed set of words.
struct OneOf {
  using value_type = std::string;
  std::vector<std::string> choices;

  std::string describe() const;
  std::string encode(const std::string& v) const { return yaml_string(v); }
  std::string decode(const YAML::Node& node, bool from_set) const;
};

// A string with a format check.
struct Text {
  enum class Kind {
    NonEmpty,  // any non-empty string
    Ipv4,      // dotted-quad IPv4 address (0.0.0.0 = all interfaces)
    Host,      // host name or IPv4 address
    Path,      // a file path: printable, no control characters, at most 4096 bytes
    OptionalPath,  // a Path, or empty for "none"
    DeviceName,    // an OpenIGTLink device name: 1..kDeviceNameMax printable ASCII characters
    OptionalDeviceName,  // a DeviceName, or empty for "none"
    TorchDevice,   // cpu, cuda or cuda:N
  };
  using value_type = std::string;
  Kind kind = Kind::NonEmpty;

  std::string describe() const;
  std::string encode(const std::string& v) const { return yaml_string(v); }
  std::string decode(const YAML::Node& node, bool from_set) const;
};

/// cpu, cuda or cuda:N (N up to 3 digits): what Text::Kind::TorchDevice accepts.
bool is_torch_device_name(const std::string& text);

// A list of non-empty strings of at most max_length characters. In a file: a
// YAML sequence (an empty value = empty list). From --set also a
// comma-separated scalar ("a,b"); "[]" or nothing = empty list.
struct TextList {
  using value_type = std::vector<std::string>;
  std::size_t max_length = std::numeric_limits<std::size_t>::max();
  std::string item = "string";  // what an item is, for messages ("device name")

  std::string describe() const;
  std::string encode(const std::vector<std::string>& v) const;
  std::vector<std::string> decode(const YAML::Node& node, bool from_set) const;
};

}  // namespace rule

// A chain of pointers to members, e.g. at(&BridgeConfig::input, &InputConfig::port).
template <class... M>
struct MemberPath {
  std::tuple<M...> members;
  template <class C>
  decltype(auto) operator()(C& c) const {
    return std::apply([&c](auto... m) -> decltype(auto) { return (c .* ... .* m); }, members);
  }
};
template <class... M>
MemberPath<M...> at(M... members) {
  return MemberPath<M...>{std::tuple<M...>(members...)};
}

struct Field {
  std::string key;   // dotted: "output.port"
  std::string type;  // rule.describe()
  std::string doc;
  std::function<void(BridgeConfig&, const YAML::Node&, bool from_set)> assign;  // throws ValueError
  std::function<std::string(const BridgeConfig&)> encode;                       // YAML text of the value
  std::function<bool(const BridgeConfig&, const BridgeConfig&)> equal;
};

// One schema row: key, member path, rule, doc.
template <class Path, class Rule>
Field field(std::string key, Path path, Rule rule, std::string doc) {
  using T = typename Rule::value_type;
  using Member = std::remove_cv_t<std::remove_reference_t<decltype(path(std::declval<BridgeConfig&>()))>>;
  static_assert(std::is_same_v<Member, T>, "the rule's value type must be the member's type");
  Field f;
  f.key = std::move(key);
  f.type = rule.describe();
  f.doc = std::move(doc);
  f.assign = [path, rule](BridgeConfig& c, const YAML::Node& n, bool from_set) { path(c) = rule.decode(n, from_set); };
  f.encode = [path, rule](const BridgeConfig& c) { return rule.encode(path(c)); };
  f.equal = [path](const BridgeConfig& a, const BridgeConfig& b) { return path(a) == path(b); };
  return f;
}

// A check over several fields; returns "" when fine, else the message
// (without source). keys: the fields involved; the error is reported at the
// origin of the one set last.
struct Check {
  std::vector<std::string> keys;
  std::function<std::string(const BridgeConfig&)> check;
};

class Schema {
 public:
  // Throws std::logic_error on a malformed table (duplicate key, a key that is
  // also a section, a section split into non-adjacent rows).
  Schema(std::vector<Field> fields, std::vector<Check> checks);

  const std::vector<Field>& fields() const { return fields_; }
  const std::vector<Check>& checks() const { return checks_; }
  const Field* leaf(const std::string& key) const;
  bool is_section(const std::string& key) const;  // "" (the root) is a section
  // Names directly under a section, in table order ("" = top level).
  std::vector<std::string> children(const std::string& section) const;
  // " (did you mean 'input.port'?)" or "; valid keys under 'input': mode, host, ..." for an unknown key.
  std::string unknown_key_hint(const std::string& key) const;

 private:
  std::vector<Field> fields_;
  std::vector<Check> checks_;
  std::vector<std::string> sections_;  // every proper prefix of a key, incl. ""
};

}  // namespace igtb::config::schema
