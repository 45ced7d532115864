#include "config/config.hpp"

#include "config/schema.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

// Reading a configuration: YAML text and --set overrides checked against the
// schema (schema.cpp), origins kept for the error messages, and the reverse
// (to_yaml). Everything here is generic over the schema's table.

namespace igtb::config {

namespace {

using schema::Field;
using schema::ValueError;

[[noreturn]] void fail(const std::string& where, const std::string& message) {
  throw ConfigError(where + ": " + message);
}

std::string at_line(const std::string& source, int line0) { return source + ":" + std::to_string(line0 + 1); }

/// Where each document's first node is (documents without a node are not counted).
struct DocumentMarks : YAML::EventHandler {
  std::vector<YAML::Mark> with_content;
  bool seen = false;
  void note(const YAML::Mark& m) {
    if (!seen) with_content.push_back(m);
    seen = true;
  }
  void end_document() { seen = false; }
  void OnDocumentStart(const YAML::Mark&) override { seen = false; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { note(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { note(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { note(m); }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    note(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    note(m);
  }
  void OnMapEnd() override {}
};

class Builder {
 public:
  BridgeConfig config;

  void apply_document(const std::string& text, const std::string& source) {
    YAML::Node root;
    try {
      // Count documents with a bounded event walk rather than YAML::LoadAll:
      // yaml-cpp 0.7 (Debian 12) loops forever, allocating, in LoadAll on
      // some malformed input (e.g. ",\n", found by fuzz_config; fixed upstream
      // in 2024). YAML::Load, which reads the first document, returns.
      std::istringstream in(text);
      YAML::Parser parser(in);
      DocumentMarks marks;
      for (int i = 0; i < 4 && marks.with_content.size() < 2 && parser.HandleNextDocument(marks); ++i) marks.end_document();
      if (marks.with_content.size() > 1)
        fail(at_line(source, std::max(0, marks.with_content[1].line)),
             "expected one YAML document, found 2 or more (remove the '---' separators)");
      root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      if (e.mark.is_null()) fail(source, "invalid YAML: " + e.msg);
      fail(at_line(source, e.mark.line) + ":" + std::to_string(e.mark.column + 1), "invalid YAML: " + e.msg);
    } catch (const YAML::Exception& e) {
      fail(source, std::string("invalid YAML: ") + e.what());
    }
    if (!root || root.IsNull()) return;
    if (!root.IsMap()) {
      fail(at_line(source, std::max(0, root.Mark().line)),
           "expected a map of sections (" + join_children("") + ") at the top level, got " + schema::describe_node(root));
    }
    walk(root, "", source);
  }

  void apply_override(const std::string& item) {
    const std::string where = "--set " + item;
    const auto eq = item.find('=');
    const std::string key = eq == std::string::npos ? std::string() : trim(item.substr(0, eq));
    if (key.empty()) fail(where, "expected key=value, e.g. --set output.port=18946");
    const Field* f = schema::schema().leaf(key);
    if (!f) {
      if (schema::schema().is_section(key)) {
        fail(where, "'" + key + "' is a section, not a key; set one of its keys: " + join_children(key, key + "."));
      }
      fail(where, "unknown key '" + key + "'" + schema::schema().unknown_key_hint(key));
    }
    YAML::Node value;
    try {
      value = YAML::Load(item.substr(eq + 1));
    } catch (const YAML::Exception& e) {
      fail(where, key + ": cannot parse the value as YAML: " + e.msg);
    }
    assign(*f, value, true, where, -1, "");
  }

  void validate() const {
    for (const auto& c : schema::schema().checks()) {
      const std::string message = c.check(config);
      if (message.empty()) continue;
      // Report at the origin of the involved key that was set last.
      const Origin* latest = nullptr;
      for (const auto& k : c.keys) {
        const auto it = origins_.find(k);
        if (it != origins_.end() && (!latest || it->second.seq > latest->seq)) latest = &it->second;
      }
      fail(latest ? latest->where : std::string("default configuration"), message);
    }
  }

 private:
  struct Origin {
    std::string where;  // "file.yaml:12" or "--set k=v"
    std::size_t seq;
  };
  std::map<std::string, Origin> origins_;
  std::map<std::string, int> file_lines_;  // key -> 0-based line where a file set it (duplicate detection)
  std::size_t seq_ = 0;

  static std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
  }

  static std::string join_children(const std::string& section, const std::string& prefix = "") {
    std::string out;
    for (const auto& c : schema::schema().children(section)) out += (out.empty() ? "" : ", ") + prefix + c;
    return out;
  }

  void walk(const YAML::Node& map, const std::string& prefix, const std::string& source) {
    for (const auto& kv : map) {
      const YAML::Node& k = kv.first;
      const YAML::Node& v = kv.second;
      const int line = std::max(0, k.Mark().line);
      if (!k.IsScalar()) fail(at_line(source, line), "expected a key name, got " + schema::describe_node(k));
      const std::string key = prefix.empty() ? k.Scalar() : prefix + "." + k.Scalar();
      const auto [seen, inserted] = file_lines_.emplace(key, line);
      if (!inserted) {
        fail(at_line(source, line), "duplicate key '" + key + "' (first set on line " + std::to_string(seen->second + 1) + ")");
      }
      if (const Field* f = schema::schema().leaf(key)) {
        assign(*f, v, false, at_line(source, line), line, source);
      } else if (schema::schema().is_section(key)) {
        if (v.IsNull()) continue;  // "pipeline:" with nothing under it
        if (!v.IsMap()) {
          fail(at_line(source, line), key + ": expected a section with keys " + join_children(key) + ", got " +
                                          schema::describe_node(v));
        }
        walk(v, key, source);
      } else {
        fail(at_line(source, line), "unknown key '" + key + "'" + schema::schema().unknown_key_hint(key));
      }
    }
  }

  // where: location prefix; from a file, source is set and a rule's own line (a list element) wins.
  void assign(const Field& f, const YAML::Node& value, bool from_set, const std::string& where, int line,
              const std::string& source) {
    try {
      f.assign(config, value, from_set);
    } catch (const ValueError& e) {
      const std::string loc = (!from_set && e.line >= 0 && e.line != line) ? at_line(source, e.line) : where;
      fail(loc, f.key + e.subkey + ": " + e.message);
    }
    origins_[f.key] = Origin{where, ++seq_};
  }
};

BridgeConfig finish(Builder& b, const std::vector<std::string>& overrides) {
  for (const auto& o : overrides) b.apply_override(o);
  b.validate();
  return b.config;
}

}  // namespace

BridgeConfig parse_config(const std::string& yaml_text, const std::string& source_name,
                          const std::vector<std::string>& overrides) {
  Builder b;
  b.apply_document(yaml_text, source_name);
  return finish(b, overrides);
}

void resolve_paths(BridgeConfig& c, const std::filesystem::path& base) {
  auto resolve = [&](std::string& p, bool model) {
    if (p.empty() || (model && p == "demo") || std::filesystem::path(p).is_absolute()) return;
    p = (base / p).lexically_normal().string();
  };
  resolve(c.models.detector, true);
  resolve(c.models.encoder, true);
  resolve(c.models.decoder, true);
  resolve(c.models.segmentation, true);
  resolve(c.kpi.path, false);
  resolve(c.record.dir, false);
}

BridgeConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::error_code ec;
  const std::string full = std::filesystem::absolute(path, ec).lexically_normal().string();
  const std::string named = (ec || full == path) ? "'" + path + "'" : "'" + path + "' (" + full + ")";
  if (std::filesystem::is_directory(path, ec)) throw ConfigError("cannot open config file " + named + ": it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("cannot open config file " + named + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError("cannot read config file " + named);
  Builder b;
  b.apply_document(text.str(), path);
  // Relative paths in the file are relative to the file (a service runs in
  // another working directory); those given with --set, to the working directory.
  resolve_paths(b.config, std::filesystem::path(ec ? path : full).parent_path());
  return finish(b, overrides);
}

BridgeConfig default_config(const std::vector<std::string>& overrides) {
  Builder b;
  return finish(b, overrides);
}

std::string to_yaml(const BridgeConfig& config) {
  std::string out;
  std::vector<std::string> open;  // section path components currently open
  for (const auto& f : schema::schema().fields()) {
    std::vector<std::string> parts;
    for (std::size_t start = 0;;) {
      const auto dot = f.key.find('.', start);
      parts.push_back(f.key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    const std::size_t depth = parts.size() - 1;  // number of sections
    std::size_t common = 0;
    while (common < open.size() && common < depth && open[common] == parts[common]) ++common;
    open.resize(common);
    for (std::size_t i = common; i < depth; ++i) {
      out += std::string(2 * i, ' ') + parts[i] + ":\n";
      open.push_back(parts[i]);
    }
    out += std::string(2 * depth, ' ') + parts.back() + ": " + f.encode(config) + "\n";
  }
  return out;
}

bool operator==(const BridgeConfig& a, const BridgeConfig& b) {
  for (const auto& f : schema::schema().fields())
    if (!f.equal(a, b)) return false;
  return true;
}

bool operator!=(const BridgeConfig& a, const BridgeConfig& b) { return !(a == b); }

std::vector<std::string> changed_keys(const BridgeConfig& a, const BridgeConfig& b) {
  std::vector<std::string> out;
  for (const auto& f : schema::schema().fields())
    if (!f.equal(a, b)) out.push_back(f.key);
  return out;
}

void copy_keys(BridgeConfig& to, const BridgeConfig& from, const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    const auto& fields = schema::schema().fields();
    const auto f = std::find_if(fields.begin(), fields.end(), [&](const auto& x) { return x.key == key; });
    if (f == fields.end()) throw std::invalid_argument("copy_keys: no key " + key);
    f->assign(to, YAML::Load(f->encode(from)), false);  // through its YAML text: every type, one way
  }
}

std::vector<KeyInfo> config_keys() {
  const BridgeConfig defaults;
  std::vector<KeyInfo> out;
  for (const auto& f : schema::schema().fields()) out.push_back(KeyInfo{f.key, f.type, f.doc, f.encode(defaults)});
  return out;
}

std::string quoted_override(const std::string& key, const std::string& value) {
  std::string out = key + "=\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {  // YAML escapes, so the path check names them
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace igtb::config
