// The schema's machinery (config/rules.hpp): how a table is checked, the
// text helpers behind the messages.
#include "config/rules.hpp"

#include "../support/catch.hpp"

#include <string>
#include <vector>

using namespace igtb::config;

TEST_CASE("schema table: malformed tables are rejected") {
  using namespace igtb::config::schema;
  const auto f = [](const std::string& key) {
    return field(key, at(&BridgeConfig::output, &OutputConfig::port), rule::Int<std::uint16_t>{1, 65535}, "doc");
  };
  CHECK_NOTHROW(Schema({f("a.x"), f("a.y"), f("b.x")}, {}));
  CHECK_THROWS_AS(Schema({f("a.x"), f("a.x")}, {}), std::logic_error);
  CHECK_THROWS_AS(Schema({f("a.x"), f("b.x"), f("a.y")}, {}), std::logic_error);
  CHECK_THROWS_AS(Schema({f("a"), f("a.x")}, {}), std::logic_error);
  CHECK_THROWS_AS(Schema({f("a..x")}, {}), std::logic_error);
  CHECK_THROWS_AS(Schema({f("a.x")}, {Check{{"a.z"}, [](const BridgeConfig&) { return std::string(); }}}), std::logic_error);

  // Deeper nesting works for parsing and printing.
  const Schema deep({f("p.m.w.a"), f("p.m.w.b"), f("p.k")}, {});
  CHECK(deep.is_section("p.m.w"));
  CHECK(deep.children("p") == std::vector<std::string>{"m", "k"});
  CHECK(deep.unknown_key_hint("p.m.w.aa") == " (did you mean 'p.m.w.a'?)");
}

TEST_CASE("helpers") {
  using namespace igtb::config::schema;
  CHECK(edit_distance("prot", "port") == 1);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(closest("foo", {"host", "port"}).empty());
  CHECK(format_double(5) == "5.0");
  CHECK(format_double(0.1) == "0.1");
  CHECK(format_double(1e-5) == "1e-05");
  CHECK(yaml_string("Image_Reference") == "Image_Reference");
  CHECK(yaml_string("null") == "\"null\"");
  CHECK(yaml_string("a b") == "\"a b\"");
  CHECK(yaml_string("") == "\"\"");
}
