#include "config/config.hpp"
#include "config/schema.hpp"

#include "../support/catch.hpp"
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "config_errors.hpp"

using namespace igtb::config;
using namespace igtb::config::test;

TEST_CASE("defaults: struct defaults, default_config() and the shipped file agree") {
  const BridgeConfig defaults;
  CHECK(default_config() == defaults);
  CHECK(parse_config("", "empty.yaml") == defaults);
  CHECK(parse_config("# only a comment\n", "c.yaml") == defaults);
  CHECK(parse_config("pipeline:\n", "c.yaml") == defaults);

  const BridgeConfig shipped = load_config(IGTB_DEFAULT_CONFIG);
  CHECK(shipped == defaults);
  if (shipped != defaults) {
    INFO("shipped:\n" << to_yaml(shipped) << "defaults:\n" << to_yaml(defaults));
    CHECK(to_yaml(shipped) == to_yaml(defaults));
  }
}

TEST_CASE("the shipped file lists every key, each with a comment above it") {
  const YAML::Node root = YAML::LoadFile(IGTB_DEFAULT_CONFIG);
  std::ifstream in(IGTB_DEFAULT_CONFIG);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);

  for (const auto& k : config_keys()) {
    INFO("key " << k.key);
    YAML::Node n = root;
    std::string rest = k.key;
    for (auto dot = rest.find('.'); dot != std::string::npos; dot = rest.find('.')) {
      n.reset(n[rest.substr(0, dot)]);
      REQUIRE(n.IsMap());
      rest = rest.substr(dot + 1);
    }
    REQUIRE(n[rest].IsDefined());
    // The key's line is preceded (possibly across sibling keys of one block) by a comment.
    const int line = n[rest].Mark().line;  // 0-based
    REQUIRE(line > 0);
    int i = line - 1;
    while (i > 0 && lines[static_cast<std::size_t>(i)].find(':') != std::string::npos &&
           lines[static_cast<std::size_t>(i)].find('#') == std::string::npos)
      --i;
    CHECK(lines[static_cast<std::size_t>(i)].find('#') != std::string::npos);
  }
}

TEST_CASE("config_keys: one entry per key, documented") {
  const auto keys = config_keys();
  CHECK(keys.size() == 89);
  std::set<std::string> names;
  for (const auto& k : keys) {
    INFO(k.key);
    CHECK(names.insert(k.key).second);
    CHECK_FALSE(k.doc.empty());
    CHECK_FALSE(k.type.empty());
    CHECK_FALSE(k.default_value.empty());
  }
  CHECK(keys.front().key == "input.mode");
  CHECK(keys.front().default_value == "connect");
}

TEST_CASE("file values of every type") {
  const BridgeConfig c = parse_config(R"(
input:
  mode: listen
  host: plus-server.local
  port: 20000
  bind: 0.0.0.0
  image_devices: [Image_Reference, Image_Probe]
  transform_devices:
    - ProbeToReference
    - StylusToReference
  reconnect_initial_s: .25
  reconnect_max_s: 1e1
  request_v2_headers: false
  check_crc: False
  max_message_bytes: 4294967296
output:
  bind: 10.0.0.1
  port: 1
  max_clients: 1024
  queue_messages: 1
  header_version: 2
  check_crc: FALSE
pipeline:
  enabled: true
log:
  level: 'off'
  summary_interval_s: 2
)",
                                      "t.yaml");
  CHECK(c.input.mode == "listen");
  CHECK(c.input.host == "plus-server.local");
  CHECK(c.input.port == 20000);
  CHECK(c.input.bind == "0.0.0.0");
  CHECK(c.input.image_devices == std::vector<std::string>{"Image_Reference", "Image_Probe"});
  CHECK(c.input.transform_devices == std::vector<std::string>{"ProbeToReference", "StylusToReference"});
  CHECK(c.input.reconnect_initial_s == 0.25);
  CHECK(c.input.reconnect_max_s == 10.0);
  CHECK_FALSE(c.input.request_v2_headers);
  CHECK_FALSE(c.input.check_crc);
  CHECK(c.input.max_message_bytes == 4294967296ull);
  CHECK(c.output.bind == "10.0.0.1");
  CHECK(c.output.port == 1);
  CHECK(c.output.max_clients == 1024);
  CHECK(c.output.queue_messages == 1);
  CHECK(c.output.header_version == 2);
  CHECK_FALSE(c.output.check_crc);
  CHECK(c.pipeline.enabled);
  CHECK(c.log.level == "off");
  CHECK(c.log.summary_interval_s == 2.0);
}

TEST_CASE("--set overrides of every type") {
  const BridgeConfig c = default_config({
      "input.mode=listen",
      "input.port=+20000",
      "input.host=example.org",
      "input.image_devices=Image_Reference,Image_Probe",
      "input.transform_devices= A , B ",
      "input.reconnect_initial_s=0.5",
      "input.reconnect_max_s=60",
      "input.request_v2_headers=false",
      "input.max_message_bytes=1024",
      "output.port=18946",
      "output.max_clients=3",
      "output.header_version=2",
      "output.keepalive_s=0",
      "pipeline.enabled=true",
      "log.level=debug",
      " log.summary_interval_s =0.5",
  });
  CHECK(c.input.mode == "listen");
  CHECK(c.input.port == 20000);
  CHECK(c.input.host == "example.org");
  CHECK(c.input.image_devices == std::vector<std::string>{"Image_Reference", "Image_Probe"});
  CHECK(c.input.transform_devices == std::vector<std::string>{"A", "B"});
  CHECK(c.input.reconnect_initial_s == 0.5);
  CHECK(c.input.reconnect_max_s == 60.0);
  CHECK_FALSE(c.input.request_v2_headers);
  CHECK(c.input.max_message_bytes == 1024);
  CHECK(c.output.port == 18946);
  CHECK(c.output.max_clients == 3);
  CHECK(c.output.header_version == 2);
  CHECK(c.output.keepalive_s == 0);
  CHECK(c.pipeline.enabled);
  CHECK(c.log.level == "debug");
  CHECK(c.log.summary_interval_s == 0.5);
}

TEST_CASE("--set lists: comma list, YAML flow list, empty") {
  CHECK(default_config({"input.image_devices=[a, b]"}).input.image_devices == std::vector<std::string>{"a", "b"});
  CHECK(default_config({"input.image_devices=single"}).input.image_devices == std::vector<std::string>{"single"});
  const std::string file = "input:\n  image_devices: [a, b]\n";
  CHECK(parse_config(file, "t.yaml", {"input.image_devices=[]"}).input.image_devices.empty());
  CHECK(parse_config(file, "t.yaml", {"input.image_devices="}).input.image_devices.empty());
  CHECK(parse_config("input:\n  image_devices:\n", "t.yaml").input.image_devices.empty());
}

TEST_CASE("overrides apply after the file, in order") {
  const std::string file = "output:\n  port: 20000\n";
  CHECK(parse_config(file, "t.yaml").output.port == 20000);
  CHECK(parse_config(file, "t.yaml", {"output.port=20001"}).output.port == 20001);
  CHECK(parse_config(file, "t.yaml", {"output.port=20001", "output.port=20002"}).output.port == 20002);
}

TEST_CASE("load_config reads a file and applies overrides") {
  const std::string path = (std::filesystem::temp_directory_path() / "igtb_test_config_tmp.yaml").string();
  {
    std::ofstream out(path);
    out << "log:\n  level: warn\n";
  }
  const BridgeConfig c = load_config(path, {"output.port=1234"});
  CHECK(c.log.level == "warn");
  CHECK(c.output.port == 1234);
  std::remove(path.c_str());
}

TEST_CASE("load_config: relative paths in the file are the file's directory's; --set ones stay as given") {
  const auto dir = std::filesystem::temp_directory_path() / "igtb_test_config_paths";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "igtbridge.yaml").string();
  {
    std::ofstream out(path);
    out << "models:\n  detector: models/d.pt\n  encoder: demo\n  decoder: /abs/dec.pt\n"
           "kpi:\n  path: ../kpi.jsonl\nrecord:\n  dir: rec\n";
  }
  const BridgeConfig c = load_config(path, {"models.encoder=here/e.pt"});
  CHECK(c.models.detector == (dir / "models/d.pt").string());
  CHECK(c.models.encoder == "here/e.pt");  // from --set: the working directory's
  CHECK(c.models.decoder == "/abs/dec.pt");
  CHECK(c.kpi.path == (dir.parent_path() / "kpi.jsonl").string());
  CHECK(c.record.dir == (dir / "rec").string());
  CHECK(load_config(path).models.encoder == "demo");
  std::filesystem::remove_all(dir);
}

TEST_CASE("errors: missing file, directory, YAML syntax") {
  // A relative path is also named in full: where it looked.
  const std::string cwd = std::filesystem::current_path().string();
  CHECK(error_of([] { load_config("no/such/x.yaml"); }) ==
        "cannot open config file 'no/such/x.yaml' (" + cwd + "/no/such/x.yaml): No such file or directory");
  CHECK(error_of([] { load_config("/no/such/x.yaml"); }) ==
        "cannot open config file '/no/such/x.yaml': No such file or directory");
  CHECK(error_of([] { load_config("."); }) == "cannot open config file '.' (" + cwd + "/): it is a directory");

  const std::string syntax = parse_error("input:\n  image_devices: [a, b\noutput:\n  port: 1\n");
  CHECK_THAT(syntax, Catch::StartsWith("t.yaml:"));
  CHECK_THAT(syntax, Catch::Contains("invalid YAML: "));
  CHECK(parse_error("input:\n\tport: 1\n").find("t.yaml:2:") == 0);
  CHECK(parse_error("a: 1\n---\nb: 2\n") == "t.yaml:3: expected one YAML document, found 2 or more (remove the '---' separators)");
  CHECK(parse_error("- input\n- output\n") ==
        "t.yaml:1: expected a map of sections (input, output, pipeline, models, detect, segment, match, visibility, kpi, record, http, health, log) at the top level, got a list");
}

TEST_CASE("errors: wrong types name source, line and key") {
  CHECK(parse_error("log:\n  level: info\noutput:\n  port: abc\n") ==
        "t.yaml:4: output.port: expected an integer 1..65535, got 'abc'");
  CHECK(parse_error("output:\n  port: {a: 1}\n") == "t.yaml:2: output.port: expected an integer 1..65535, got a map");
  CHECK(parse_error("output:\n  port: [1]\n") == "t.yaml:2: output.port: expected an integer 1..65535, got a list");
  CHECK(parse_error("output:\n  port:\n") == "t.yaml:2: output.port: expected an integer 1..65535, got an empty value");
  CHECK(parse_error("output:\n  port: \"18944\"\n") ==
        "t.yaml:2: output.port: expected an integer 1..65535, got the string \"18944\" (write it without quotes)");
  CHECK(parse_error("output:\n  port: 70000\n") == "t.yaml:2: output.port: expected an integer 1..65535, got '70000'");
  CHECK(parse_error("output:\n  port: 0\n") == "t.yaml:2: output.port: expected an integer 1..65535, got '0'");
  CHECK(parse_error("input:\n  max_message_bytes: -5\n") ==
        "t.yaml:2: input.max_message_bytes: expected an integer 1024..4294967296, got '-5'");
  CHECK(parse_error("input:\n  max_message_bytes: 99999999999999999999999\n") ==
        "t.yaml:2: input.max_message_bytes: expected an integer 1024..4294967296, got '99999999999999999999999'");
  CHECK(parse_error("output:\n  max_clients: 2.5\n") == "t.yaml:2: output.max_clients: expected an integer 1..1024, got '2.5'");
  CHECK(parse_error("output:\n  max_clients: -1\n") == "t.yaml:2: output.max_clients: expected an integer 1..1024, got '-1'");
  CHECK(parse_error("output:\n  header_version: 3\n") ==
        "t.yaml:2: output.header_version: expected an integer 1..2, got '3'");
  CHECK(parse_error("output:\n  check_crc: yes\n") == "t.yaml:2: output.check_crc: expected true or false, got 'yes'");
  CHECK(parse_error("output:\n  check_crc: 1\n") == "t.yaml:2: output.check_crc: expected true or false, got '1'");
  CHECK(parse_error("input:\n  reconnect_initial_s: 0\n") ==
        "t.yaml:2: input.reconnect_initial_s: expected a number > 0, got '0'");
  CHECK(parse_error("input:\n  reconnect_initial_s: .inf\n") ==
        "t.yaml:2: input.reconnect_initial_s: expected a number > 0, got '.inf'");
  CHECK(parse_error("input:\n  reconnect_initial_s: nan\n") ==
        "t.yaml:2: input.reconnect_initial_s: expected a number > 0, got 'nan'");
  CHECK(parse_error("log:\n  summary_interval_s: 5s\n") ==
        "t.yaml:2: log.summary_interval_s: expected a number > 0, got '5s'");
  CHECK(parse_error("input:\n  host: [a]\n") == "t.yaml:2: input.host: expected a host name or IPv4 address, got a list");
}

TEST_CASE("errors: enumerations and string formats") {
  CHECK(parse_error("input:\n  mode: server\n") == "t.yaml:2: input.mode: expected one of connect, listen, got 'server'");
  CHECK(parse_error("input:\n  mode: conect\n") ==
        "t.yaml:2: input.mode: expected one of connect, listen, got 'conect' (did you mean 'connect'?)");
  CHECK(parse_error("log:\n  level: warning\n") ==
        "t.yaml:2: log.level: expected one of trace, debug, info, warn, error, off, got 'warning' (did you mean 'warn'?)");
  CHECK(parse_error("output:\n  bind: localhost\n") ==
        "t.yaml:2: output.bind: expected an IPv4 address such as 127.0.0.1 (or 0.0.0.0 for all interfaces), got "
        "'localhost' (use 127.0.0.1)");
  CHECK(parse_error("output:\n  bind: 256.1.1.1\n") ==
        "t.yaml:2: output.bind: expected an IPv4 address such as 127.0.0.1 (or 0.0.0.0 for all interfaces), got "
        "'256.1.1.1'");
  CHECK(parse_error("input:\n  host: 'pc 1'\n") == "t.yaml:2: input.host: expected a host name or IPv4 address, got 'pc 1'");
  CHECK(parse_error("input:\n  host: pc:18944\n") ==
        "t.yaml:2: input.host: expected a host name or IPv4 address, got 'pc:18944' (the port is a separate key)");
  CHECK(parse_error("input:\n  host: ''\n") == "t.yaml:2: input.host: expected a host name or IPv4 address, got ''");
}

TEST_CASE("errors: lists") {
  CHECK(parse_error("input:\n  image_devices: Image_Reference\n") ==
        "t.yaml:2: input.image_devices: expected a list of device names (at most 20 characters each), got "
        "'Image_Reference' (write a YAML list: [Image_Reference])");
  CHECK(parse_error("input:\n  image_devices: [a, {b: 1}]\n") ==
        "t.yaml:2: input.image_devices[1]: expected a device name, got a map");
  // A block list element is reported on its own line.
  CHECK(parse_error("input:\n  image_devices:\n    - ok\n    - ''\n") ==
        "t.yaml:4: input.image_devices[1]: expected a device name, got an empty string");
  CHECK(parse_error("input:\n  transform_devices:\n    - ok\n    -\n") ==
        "t.yaml:2: input.transform_devices[1]: expected a device name, got an empty value");
  CHECK(parse_error("input:\n  image_devices: [ThisNameIsLongerThan20]\n") ==
        "t.yaml:2: input.image_devices[0]: expected a device name of at most 20 characters, got "
        "'ThisNameIsLongerThan20' (22 characters)");
  CHECK(set_error({"input.image_devices=a,,b"}) ==
        "--set input.image_devices=a,,b: input.image_devices[1]: expected a device name, got an empty string");
}

TEST_CASE("errors: unknown keys with did-you-mean") {
  const std::string file =
      "# igtbridge\n"
      "input:\n"
      "  mode: connect\n"
      "  host: 127.0.0.1\n"
      "\n"
      "  # the port\n"
      "  prot: 18944\n";
  CHECK(error_of([&] { parse_config(file, "config/igtbridge.yaml"); }) ==
        "config/igtbridge.yaml:7: unknown key 'input.prot' (did you mean 'input.port'?)");
  CHECK(parse_error("inptu:\n  port: 1\n") == "t.yaml:1: unknown key 'inptu' (did you mean 'input'?)");
  CHECK(parse_error("output:\n  mode: listen\n") == "t.yaml:2: unknown key 'output.mode' (did you mean 'input.mode'?)");
  CHECK(parse_error("log:\n  check_crc: true\n") ==
        "t.yaml:2: unknown key 'log.check_crc' (did you mean 'input.check_crc' or 'output.check_crc'?)");
  CHECK(parse_error("input:\n  foo: 1\n") ==
        "t.yaml:2: unknown key 'input.foo'; valid keys under 'input': mode, host, port, bind, image_devices, "
        "transform_devices, reconnect_initial_s, reconnect_max_s, request_v2_headers, check_crc, max_message_bytes, allow");
  CHECK(parse_error("zzz: 1\n") == "t.yaml:1: unknown key 'zzz'; valid top-level keys: input, output, pipeline, models, detect, segment, match, visibility, kpi, record, http, health, log");
  CHECK(parse_error("input: 5\n") ==
        "t.yaml:1: input: expected a section with keys mode, host, port, bind, image_devices, transform_devices, "
        "reconnect_initial_s, reconnect_max_s, request_v2_headers, check_crc, max_message_bytes, allow, got '5'");
  CHECK(parse_error("output:\n  port: 1\n  port: 2\n") == "t.yaml:3: duplicate key 'output.port' (first set on line 2)");
  CHECK(parse_error("log:\n  level: info\nlog:\n  level: warn\n") == "t.yaml:3: duplicate key 'log' (first set on line 1)");
}

TEST_CASE("errors: --set") {
  CHECK(set_error({"output.port=abc"}) == "--set output.port=abc: output.port: expected an integer 1..65535, got 'abc'");
  CHECK(set_error({"input.prot=1"}) == "--set input.prot=1: unknown key 'input.prot' (did you mean 'input.port'?)");
  CHECK(set_error({"inptu.port=1"}) == "--set inptu.port=1: unknown key 'inptu.port' (did you mean 'input.port'?)");
  CHECK(set_error({"foo"}) == "--set foo: expected key=value, e.g. --set output.port=18946");
  CHECK(set_error({"=5"}) == "--set =5: expected key=value, e.g. --set output.port=18946");
  CHECK(set_error({"pipeline=1"}) == "--set pipeline=1: 'pipeline' is a section, not a key; set one of its keys: pipeline.enabled, pipeline.kind, pipeline.cuda_graph, pipeline.overlap_encoder, pipeline.stream_priority, pipeline.release_cached_memory, pipeline.upload_slots, pipeline.cpu_threads");
  CHECK(set_error({"output.check_crc=on"}) == "--set output.check_crc=on: output.check_crc: expected true or false, got 'on'");
  CHECK(set_error({"output.port="}) == "--set output.port=: output.port: expected an integer 1..65535, got an empty value");
  CHECK(set_error({"output.port={a: 1}"}) == "--set output.port={a: 1}: output.port: expected an integer 1..65535, got a map");
  CHECK_THAT(set_error({"output.port=[1"}), Catch::StartsWith("--set output.port=[1: output.port: cannot parse the value as YAML: "));
  // The first failing override is reported, after a file that was fine.
  CHECK(parse_error("output:\n  port: 1\n", {"output.max_clients=5", "input.mode=server"}) ==
        "--set input.mode=server: input.mode: expected one of connect, listen, got 'server'");
}

TEST_CASE("errors: cross-field checks, reported where the last involved key was set") {
  CHECK(parse_error("input:\n  reconnect_initial_s: 2\n  reconnect_max_s: 1\n") ==
        "t.yaml:3: input.reconnect_max_s (1.0) must be >= input.reconnect_initial_s (2.0)");
  CHECK(parse_error("input:\n  reconnect_max_s: 1\n  reconnect_initial_s: 2\n") ==
        "t.yaml:3: input.reconnect_max_s (1.0) must be >= input.reconnect_initial_s (2.0)");
  CHECK(set_error({"input.reconnect_initial_s=10"}) ==
        "--set input.reconnect_initial_s=10: input.reconnect_max_s (5.0) must be >= input.reconnect_initial_s (10.0)");
  CHECK(parse_error("input:\n  reconnect_initial_s: 10\n", {"input.reconnect_max_s=20"}) == "<no error>");

  CHECK(set_error({"input.mode=listen", "input.port=18945"}) ==
        "--set input.port=18945: input.port and output.port are both 18945; in listen mode the bridge listens on both, "
        "so they must differ");
  CHECK(set_error({"input.mode=listen", "input.port=18945", "input.bind=10.0.0.1"}) == "<no error>");
  CHECK(set_error({"input.mode=listen", "input.port=18945", "input.bind=0.0.0.0", "output.bind=10.0.0.1"}) ==
        "--set output.bind=10.0.0.1: input.port and output.port are both 18945; in listen mode the bridge listens on "
        "both, so they must differ");

  CHECK(set_error({"input.host=localhost", "input.port=18945"}) ==
        "--set input.port=18945: input.host:input.port (localhost:18945) is the bridge's own output "
        "(output.bind:output.port); it would connect to itself");
  CHECK(set_error({"input.host=plus", "input.port=18945"}) == "<no error>");
  // The monitoring endpoint: its own port, ordered thresholds, a valid allow-list; 0 turns it off.
  CHECK(set_error({"http.port=18945"}) == "--set http.port=18945: http.port and output.port are both 18945; they must differ");
  CHECK(set_error({"http.port=18945", "http.bind=10.0.0.1"}) == "<no error>");
  CHECK(set_error({"input.mode=listen", "input.port=18980"}) ==
        "--set input.port=18980: http.port and input.port are both 18980; in listen mode the bridge listens on both, "
        "so they must differ");
  CHECK(set_error({"input.mode=listen", "input.port=18980", "http.port=0"}) == "<no error>");
  CHECK(set_error({"http.red_e2e_ms=20"}) ==
        "--set http.red_e2e_ms=20: http.red_e2e_ms (20.0) must be >= http.amber_e2e_ms (50.0)");
  CHECK(set_error({"http.amber_drop_percent=60"}) ==
        "--set http.amber_drop_percent=60: http.red_drop_percent (50.0) must be >= http.amber_drop_percent (60.0)");
  CHECK_THAT(set_error({"http.allow=[10.0.0.0/33]"}), Catch::StartsWith("--set http.allow=[10.0.0.0/33]: http.allow: "));
  CHECK(set_error({"http.overlay_fps=11"}) ==
        "--set http.overlay_fps=11: http.overlay_fps: expected a number 0..10, got '11'");
}

TEST_CASE("to_yaml: all keys, and parse_config(to_yaml(c)) == c") {
  const BridgeConfig defaults;
  const std::string text = to_yaml(defaults);
  CHECK_THAT(text, Catch::StartsWith("input:\n  mode: connect\n  host: 127.0.0.1\n  port: 18944\n"));
  CHECK_THAT(text, Catch::Contains("\n  image_devices: []\n"));
  CHECK_THAT(text, Catch::Contains("\n  reconnect_initial_s: 0.1\n  reconnect_max_s: 5.0\n"));
  CHECK_THAT(text, Catch::Contains("\noutput:\n  bind: 127.0.0.1\n  port: 18945\n"));
  CHECK_THAT(text, Catch::EndsWith("log:\n  level: info\n  summary_interval_s: 5.0\n"));
  for (const auto& k : config_keys()) {
    const std::string leaf = k.key.substr(k.key.rfind('.') + 1);
    CHECK_THAT(text, Catch::Contains(leaf + ": " + k.default_value + "\n"));
  }
  CHECK(parse_config(text, "print") == defaults);

  BridgeConfig c = default_config({"input.mode=listen", "input.bind=0.0.0.0", "input.port=5000",
                                   "input.reconnect_initial_s=0.3", "input.reconnect_max_s=1e-1",
                                   "input.reconnect_initial_s=0.012345678901234567", "input.max_message_bytes=4294967296",
                                   "output.header_version=1", "pipeline.enabled=true", "log.level=trace"});
  // Device names that need quoting in YAML.
  c.input.image_devices = {"Image_Reference", "null", "true", "with space", "a,b", "[x]", "q\"uote", "back\\slash",
                           "#hash", "-dash", "~", "1.5", "tab\there"};
  c.input.transform_devices = {"ProbeToReference"};
  const std::string round = to_yaml(c);
  INFO(round);
  const BridgeConfig back = parse_config(round, "print");
  CHECK(back.input.image_devices == c.input.image_devices);
  CHECK(back == c);
  CHECK(to_yaml(back) == round);
}

TEST_CASE("operator== compares every key") {
  BridgeConfig a, b;
  CHECK(a == b);
  b.log.summary_interval_s = 6;
  CHECK(a != b);
  b = a;
  b.input.transform_devices.push_back("X");
  CHECK(a != b);
}

TEST_CASE("malformed YAML that made yaml-cpp 0.7's LoadAll loop forever is one error (found by fuzz_config)") {
  for (const std::string& text : {std::string(",\n"), std::string("\x2c\x2d\x2d\x0a\x6f\xe9\x00\x00\x20\x32\x7d\x4a", 12)}) {
    const std::string e = parse_error(text);
    INFO(e);
    CHECK(e.rfind("t.yaml", 0) == 0);
    CHECK(e != "<no error>");
  }
}
