#include "models/semantic_model.hpp"

#include <caffe2/serialize/inline_container.h>
#include <yaml-cpp/yaml.h>

#include <exception>

namespace igtb {

namespace {

constexpr const char* kConfigFile = "config.json";

/// S or C: the YAML's where set, else config.json's; both set: they must agree.
std::int64_t settle(std::int64_t from_yaml, std::int64_t embedded, const std::string& spec, const char* key,
                    const char* what) {
  if (from_yaml > 0 && embedded > 0 && from_yaml != embedded)
    throw ModelError(spec + ": " + key + " is " + std::to_string(from_yaml) + " but the model's config.json says " +
                     std::to_string(embedded) + " (" + what + ")");
  const std::int64_t v = from_yaml > 0 ? from_yaml : embedded;
  if (v <= 0)
    throw ModelError(spec + ": no " + what + ": the model has no config.json \"shape\" and " + key +
                     " is not set");
  return v;
}

}  // namespace

EmbeddedSettings parse_embedded_settings(const std::string& json, const std::string& path) {
  EmbeddedSettings s;
  s.present = true;
  const auto bad = [&](const std::string& why) {
    return ModelError(path + ": config.json " + why + " (aigt's train.py writes {\"shape\": [1, C, S, S]})");
  };
  YAML::Node d;
  try {
    d = YAML::Load(json);  // JSON is YAML's flow style
  } catch (const YAML::Exception& e) {
    throw bad("is not JSON: " + e.msg);
  }
  if (!d.IsMap()) throw bad("is not a JSON object");
  for (const char* key : {"use_tracking_layer", "use_tracking"})
    if (const YAML::Node t = d[key]) {
      try {
        s.tracking_layer = s.tracking_layer || t.as<bool>();
      } catch (const YAML::Exception&) {
        throw bad(std::string("key \"") + key + "\" is not true or false");
      }
    }
  if (const YAML::Node names = d["class_names"]) {
    if (!names.IsSequence()) throw bad("key \"class_names\" is not a list of names");
    for (const auto& n : names) {
      if (!n.IsScalar() || n.Scalar().empty()) throw bad("key \"class_names\" is not a list of names");
      s.class_names.push_back(n.Scalar());
    }
  }
  const YAML::Node shape = d["shape"];
  if (!shape) return s;  // says nothing we read: the YAML must
  if (!shape.IsSequence() || shape.size() != 4) throw bad("key \"shape\" is not a list of 4 numbers");
  std::int64_t v[4];
  try {
    for (std::size_t i = 0; i < 4; ++i) v[i] = shape[i].as<std::int64_t>();
  } catch (const YAML::Exception&) {
    throw bad("key \"shape\" is not a list of 4 numbers");
  }
  if (v[1] < 1 || v[2] < 1 || v[2] != v[3])
    throw bad("key \"shape\" [" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + ", " + std::to_string(v[2]) +
              ", " + std::to_string(v[3]) + "] is not [1, C, S, S]");
  s.in_channels = v[1];
  s.input_size = v[2];
  return s;
}

EmbeddedSettings read_embedded_settings(const std::string& path) {
  std::string json;
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    const std::string record = std::string("extra/") + kConfigFile;
    if (!reader.hasRecord(record)) return {};
    const auto [data, size] = reader.getRecord(record);
    json.assign(static_cast<const char*>(data.get()), size);
  } catch (const std::exception& e) {
    throw ModelError(path + ": not a TorchScript archive (" + short_error(e) + ")");
  }
  return parse_embedded_settings(json, path);
}

torch::Tensor SemanticModel::run(const torch::Tensor& image) const { return module.forward({image}).at(0); }

SemanticModel load_semantic_model(const std::string& spec, const torch::Device& device, torch::ScalarType dtype,
                                  const SemanticSettings& yaml) {
  SemanticModel m;
  m.spec = spec;
  // Not found, not a module: its own error first.
  m.module = load_module(spec, DemoModel::Segmentation, device, dtype);
  const EmbeddedSettings embedded = spec == kDemoModelSpec ? parse_embedded_settings(demo_segmentation_config(), spec)
                                    : Model::is_aoti_spec(spec) ? EmbeddedSettings{}
                                                                : read_embedded_settings(spec);
  if (embedded.tracking_layer)
    throw ModelError(spec + ": trained with aigt's tracking layer (config.json use_tracking_layer: true), so it takes "
                            "(image, transforms); the bridge feeds images only: export the model without it");
  m.input_size = settle(yaml.input_size, embedded.input_size, spec, "models.input_size", "input size S");
  m.in_channels = settle(yaml.in_channels, embedded.in_channels, spec, "models.in_channels", "input channels C");
  const bool from_file = embedded.input_size > 0, from_yaml = yaml.input_size > 0 || yaml.in_channels > 0;
  m.settings_from = from_file && from_yaml ? "config.json and the YAML" : from_file ? kConfigFile : "the YAML";
  torch::Tensor out;
  try {
    torch::NoGradGuard no_grad;
    out = m.run(torch::zeros({1, m.in_channels, m.input_size, m.input_size}, torch::dtype(dtype).device(device)));
  } catch (const std::exception& e) {
    throw ModelError(spec + ": the probe with a zero image [1, " + std::to_string(m.in_channels) + ", " +
                     std::to_string(m.input_size) + ", " + std::to_string(m.input_size) +
                     "] failed: " + short_error(e));
  }
  if (out.dim() != 4 || out.size(0) != 1 || out.size(1) < 1 || out.size(2) != m.input_size ||
      out.size(3) != m.input_size)
    throw ModelError(spec + ": forward(image[1, C, S, S]) must return [1, K, S, S] (K classes), got " +
                     shape_of(out) + " for S = " + std::to_string(m.input_size));
  m.classes = out.size(1);
  if (m.classes > 255)
    throw ModelError(spec + ": " + std::to_string(m.classes) + " classes; a label map holds at most 255");
  // Names: the YAML's or config.json's; both: the same.
  if (!yaml.class_names.empty() && !embedded.class_names.empty() && yaml.class_names != embedded.class_names)
    throw ModelError(spec + ": models.class_names differs from the model's config.json \"class_names\"");
  m.class_names = yaml.class_names.empty() ? embedded.class_names : yaml.class_names;
  const std::size_t foreground = std::size_t(m.classes > 1 ? m.classes - 1 : 1);
  if (!m.class_names.empty() && m.class_names.size() != foreground)
    throw ModelError(spec + ": " + std::to_string(m.class_names.size()) + " class names (" +
                     (yaml.class_names.empty() ? "config.json \"class_names\"" : "models.class_names") + ") for " +
                     std::to_string(foreground) + " foreground class" + (foreground == 1 ? "" : "es") +
                     " (the model returns " + std::to_string(m.classes) + " channels, background first)");
  return m;
}

}  // namespace igtb
