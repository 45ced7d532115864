#include "io/text_fields.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace igtb::io::detail {
namespace {

constexpr std::string_view kFramePrefix = "Seq_Frame";
constexpr std::string_view kTransform = "Transform";
constexpr std::string_view kTransformStatus = "TransformStatus";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    std::size_t j = i;
    while (j < s.size() && !is_space(s[j])) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string quoted(std::string_view value) {
  constexpr std::size_t kMax = 80;
  if (value.size() <= kMax) return "'" + std::string(value) + "'";
  return "'" + std::string(value.substr(0, kMax)) + "...'";
}

bool parse_double(std::string_view s, double& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::string escape_nrrd_value(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string unescape_nrrd_value(std::string_view value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size() && (value[i + 1] == '\\' || value[i + 1] == 'n')) {
      out += value[++i] == 'n' ? '\n' : '\\';
    } else {
      out += value[i];
    }
  }
  return out;
}

bool read_line(std::istream& in, std::string& line) {
  if (!std::getline(in, line)) return false;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

void HeaderFields::add(std::string_view key, std::string_view value) {
  key = trim(key);
  value = trim(value);
  if (key.substr(0, kFramePrefix.size()) == kFramePrefix) {
    const std::string_view rest = key.substr(kFramePrefix.size());
    const std::size_t underscore = rest.find('_');
    std::uint64_t index = 0;
    if (underscore == std::string_view::npos || underscore + 1 == rest.size() ||
        !parse_u64(rest.substr(0, underscore), index))
      fail(std::string(key), "malformed per-frame field name (expected Seq_FrameNNNN_Name)");
    per_frame_.push_back({static_cast<std::size_t>(index), std::string(key),
                          std::string(rest.substr(underscore + 1)), std::string(value)});
    return;
  }
  global_.insert_or_assign(std::string(key), std::string(value));
}

const std::string* HeaderFields::find(const std::string& key) const {
  const auto it = global_.find(key);
  return it == global_.end() ? nullptr : &it->second;
}

const std::string& HeaderFields::require(const std::string& key) const {
  if (const std::string* v = find(key)) return *v;
  fail(key, "missing");
}

void HeaderFields::fail(const std::string& key, const std::string& detail) const {
  throw SequenceError(path_, key, detail);
}

std::vector<double> HeaderFields::doubles(const std::string& key, std::string_view value,
                                          std::size_t count) const {
  const auto tokens = split_ws(value);
  std::vector<double> out(tokens.size());
  bool ok = tokens.size() == count;
  for (std::size_t i = 0; ok && i < tokens.size(); ++i) ok = parse_double(tokens[i], out[i]);
  if (!ok) fail(key, "expected " + std::to_string(count) + " numbers, got " + quoted(value));
  return out;
}

std::vector<std::uint32_t> HeaderFields::dims(const std::string& key, std::string_view value,
                                              std::size_t count) const {
  const auto tokens = split_ws(value);
  std::vector<std::uint32_t> out;
  for (const auto t : tokens) {
    std::uint64_t v = 0;
    if (!parse_u64(t, v) || v == 0 || v > std::numeric_limits<std::uint32_t>::max()) break;
    out.push_back(static_cast<std::uint32_t>(v));
  }
  if (tokens.size() != count || out.size() != count)
    fail(key, "expected " + std::to_string(count) + " positive integers, got " + quoted(value));
  return out;
}

std::uint32_t HeaderFields::positive(const std::string& key, std::string_view value) const {
  return dims(key, value, 1).front();
}

bool HeaderFields::boolean(const std::string& key, std::string_view value) const {
  std::string v(trim(value));
  for (char& c : v) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  fail(key, "expected True or False, got " + quoted(value));
}

void HeaderFields::apply(SequenceFrame& frame, const FrameField& f) const {
  if (f.name == "Timestamp") {
    if (!parse_double(f.value, frame.timestamp)) fail(f.key, "expected a number, got " + quoted(f.value));
  } else if (f.name == "ImageStatus" || f.name == "Status") {
    frame.image_valid = f.value == "OK";
  } else if (ends_with(f.name, kTransform)) {
    TrackedTransform t;
    t.name = f.name.substr(0, f.name.size() - kTransform.size());
    const auto m = doubles(f.key, f.value, 16);
    std::copy(m.begin(), m.end(), t.matrix.begin());
    frame.transforms.push_back(std::move(t));
  } else {
    frame.fields.insert_or_assign(f.name, f.value);
  }
}

std::vector<SequenceFrame> HeaderFields::build_frames(std::size_t frame_count,
                                                      const std::string& count_field) const {
  std::vector<SequenceFrame> frames(frame_count);
  std::vector<const FrameField*> statuses;
  for (const FrameField& f : per_frame_) {
    if (f.index >= frame_count)
      fail(f.key, "frame index " + std::to_string(f.index) + " is beyond the frame count " +
                      std::to_string(frame_count) + " given by " + count_field);
    if (ends_with(f.name, kTransformStatus))
      statuses.push_back(&f);  // attached once every transform of the frame is known
    else
      apply(frames[f.index], f);
  }
  for (const FrameField* s : statuses) {
    SequenceFrame& frame = frames[s->index];
    const std::string name = s->name.substr(0, s->name.size() - kTransformStatus.size());
    bool attached = false;
    for (TrackedTransform& t : frame.transforms) {
      if (t.name == name) {
        t.status = s->value;
        attached = true;
      }
    }
    if (!attached) frame.fields.insert_or_assign(s->name, s->value);
  }
  return frames;
}

}  // namespace igtb::io::detail
